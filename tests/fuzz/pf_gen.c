// SPDX-License-Identifier: GPL-2.0
/*
 * Frames for the packet fuzzer. First a valid frame of one of the kinds a
 * port meets, with addresses and ports drawn from the world of pf_topo.c so
 * that FDB entries, NAT mappings, flows and forwards are hit (a random
 * frame would almost never reach the NAT): ARP; IPv4 TCP (any flags, bogus
 * ones included), UDP (with and without checksum), ICMP echo and errors
 * quoting a mapped packet, other protocols; IP options, fragments, VLAN
 * tags; IPv6 with extension headers; frames of up to 1600 bytes (past the
 * uplinks' MTU). Then, for most frames, mutations: truncation, bytes
 * added, bit flips, random bytes, header fields set to odd values. A few
 * frames are random bytes from the start. All from pf_rand(): a seed
 * gives the same frames every time.
 */
#include <string.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/in.h>

#include "pf.h"

#define IP4(a, b, c, d)	((__u32)(a) << 24 | (__u32)(b) << 16 | \
			 (__u32)(c) << 8 | (__u32)(d))

static const __u8 BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const __u8 MCAST4[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
static const __u8 MCAST6[6] = { 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 };
static const __u8 ZERO[6];

enum csum { C_OK, C_BAD, C_ZERO, C_PARTIAL };

static void put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(__u8 *p, __u32 v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static void rand_bytes(__u8 *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (__u8)pf_rand();
}

static void rand_mac(__u8 *m)
{
	rand_bytes(m, 6);
	m[0] &= 0xfe;	/* unicast: a multicast source only tests one path */
}

/* ---- picking from the world ------------------------------------------------ */

static const struct pf_vm *vm_of_port(__u32 port)
{
	size_t i;

	for (i = 0; i < pf_nvms; i++)
		if (pf_vms[i].port == port)
			return &pf_vms[i];
	return NULL;
}

static const struct pf_vm *vm_in_net(__u32 net)
{
	const struct pf_vm *v;
	int tries;

	for (tries = 0; tries < 8; tries++) {
		v = &pf_vms[pf_below(pf_nvms)];
		if (v->net == net)
			return v;
	}
	return NULL;
}

static const __u8 *host_mac_of(const struct pf_net *n)
{
	const struct pf_dev *d = pf_dev(n->host_if ? n->host_if : n->uplink);

	return d ? d->mac : BCAST;
}

/* A destination MAC for a frame entering a port of network n. */
static void pick_dst_mac(const struct pf_net *n, __u8 *mac)
{
	const struct pf_vm *v;

	switch (pf_below(12)) {
	case 0:
		memcpy(mac, BCAST, 6);
		break;
	case 1:
		memcpy(mac, pf_chance(50) ? MCAST4 : MCAST6, 6);
		break;
	case 2: case 3: case 4:
		memcpy(mac, n ? host_mac_of(n) : BCAST, 6);
		break;
	case 5: case 6:
		v = n ? vm_in_net(n->id) : NULL;
		memcpy(mac, v ? v->mac : pf_vms[pf_below(pf_nvms)].mac, 6);
		break;
	case 7:
		memcpy(mac, pf_vms[pf_below(pf_nvms)].mac, 6);
		break;
	case 8:
		memcpy(mac, pf_lan_macs[pf_below(pf_nlan_macs)], 6);
		break;
	case 9:
		memcpy(mac, pf_forged_macs[pf_below(pf_nforged)], 6);
		break;
	case 10:
		memcpy(mac, pf_devs[pf_below(pf_ndevs)].mac, 6);
		break;
	default:
		rand_mac(mac);
		break;
	}
}

/* A source MAC for a frame from VM v (or a stranger on its port). */
static void pick_src_mac(const struct pf_vm *v, __u8 *mac)
{
	switch (pf_below(16)) {
	case 0:
		memcpy(mac, pf_vms[pf_below(pf_nvms)].mac, 6);
		break;
	case 1:
		rand_mac(mac);
		break;
	case 2:
		memcpy(mac, pf_devs[pf_below(pf_ndevs)].mac, 6);
		break;
	case 3:
		memcpy(mac, pf_chance(50) ? MCAST4 : ZERO, 6);
		break;
	default:
		memcpy(mac, v ? v->mac : pf_vms[0].mac, 6);
		break;
	}
}

static __u32 rand_addr_in(__u32 subnet, __u8 prefix)
{
	__u32 host = (__u32)pf_rand() & (prefix ? ~(~0u << (32 - prefix)) : ~0u);

	return subnet | host;
}

/* An IPv4 destination for a packet from inside network n. */
static __u32 pick_daddr(const struct pf_net *n)
{
	switch (pf_below(12)) {
	case 0: case 1: case 2: case 3:
		return pf_remotes[pf_below(pf_nremotes)];
	case 4:
		return n && n->gateway ? n->gateway : IP4(198, 18, 0, 2);
	case 5:
		return n && n->prefix ? rand_addr_in(n->subnet, n->prefix) :
					IP4(198, 18, 0, 77);
	case 6:
		return pf_chance(50) ? 0xffffffff : IP4(224, 0, 0, 251);
	case 7:	/* hairpin: a nat network's own outside address */
		return pf_chance(50) ? pf_nets[2].outside : pf_nets[4].outside;
	case 8:	/* host addresses of other links */
		return PF_PICK(((const __u32[]){ IP4(192, 168, 56, 1),
			IP4(192, 168, 100, 1), IP4(198, 19, 0, 2),
			IP4(192, 168, 200, 1), IP4(127, 0, 0, 1) }));
	case 9:	/* other inside subnets */
		return PF_PICK(((const __u32[]){ IP4(192, 168, 56, 31),
			IP4(192, 168, 100, 21), IP4(192, 168, 200, 41),
			IP4(192, 168, 100, 99) }));
	case 10:
		return n && n->prefix ? (n->subnet | ~(~0u << (32 - n->prefix))) :
					0;
	default:
		return (__u32)pf_rand();
	}
}

static __u32 pick_saddr(const struct pf_vm *v, const struct pf_net *n)
{
	switch (pf_below(10)) {
	case 0:
		return n && n->gateway ? n->gateway : (__u32)pf_rand();
	case 1:
		return pf_vms[pf_below(pf_nvms)].ip;
	case 2:
		return n && n->prefix ? rand_addr_in(n->subnet, n->prefix) :
					(__u32)pf_rand();
	case 3:
		return pf_chance(50) ? 0 : (__u32)pf_rand();
	default:
		return v ? v->ip : (__u32)pf_rand();
	}
}

static const struct pf_map *rand_map(void)
{
	return &pf_maps[pf_below(pf_nmaps)];
}

static __u16 pick_port(void)
{
	switch (pf_below(8)) {
	case 0:
		return rand_map()->in_port;
	case 1:
		return rand_map()->out_port;
	case 2:
		return PF_PICK(((const __u16[]){ 53, 80, 8080, 22, 2222, 5000 }));
	case 3:
		return (__u16)(20000 + pf_below(300));
	case 4:
		return (__u16)(30000 + pf_below(10));
	default:
		return (__u16)pf_rand();
	}
}

/* ---- building --------------------------------------------------------------- */

/* Ethernet header and VLAN tags; returns the L3 offset. */
static __u32 put_eth(struct pf_frame *f, const __u8 *dst, const __u8 *src,
		     __u16 type)
{
	__u32 off = 12;
	int tags = pf_chance(8) ? 1 + (int)pf_below(3) : 0, i;

	memcpy(f->b, dst, 6);
	memcpy(f->b + 6, src, 6);
	for (i = 0; i < tags; i++) {
		put16(f->b + off, pf_chance(70) ? ETH_P_8021Q : ETH_P_8021AD);
		put16(f->b + off + 2, pf_chance(40) ? 0 :
				      (__u16)pf_below(4096) | (__u16)(pf_below(8) << 13));
		off += 4;
	}
	put16(f->b + off, type);
	f->len = off + 2;
	return f->len;
}

struct l4spec {
	__u8 proto;
	__u16 sport, dport;	/* ICMP echo: the id in sport */
	__u8 tcp_flags;
	__u8 icmp_type, icmp_code;
	__u16 payload;
	__u8 csum;		/* enum csum */
	const __u8 *quote;	/* ICMP error: quoted bytes */
	__u16 qlen;
};

struct ip4spec {
	__u32 saddr, daddr;
	__u16 id;
	__u16 frag;		/* frag_off field; 0: DF, or none (no_df) */
	bool no_df;
	__u8 optlen;		/* option bytes, a multiple of 4, <= 40 */
	__u8 ttl;
	bool bad_ipcsum;
};

static __u16 l4_check_off(__u8 proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return 16;
	case IPPROTO_UDP:
		return 6;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return 2;
	default:
		return 0;
	}
}

/* The L4 segment, checksum left zero; returns its length. */
static size_t put_l4(__u8 *l4, const struct l4spec *s)
{
	size_t h = 8;

	switch (s->proto) {
	case IPPROTO_TCP:
		h = pf_chance(90) ? 20 : 20 + 4 * pf_below(11);
		memset(l4, 0, h);
		put16(l4, s->sport);
		put16(l4 + 2, s->dport);
		put32(l4 + 4, (__u32)pf_rand());
		put32(l4 + 8, (__u32)pf_rand());
		l4[12] = (__u8)((h / 4) << 4);
		l4[13] = s->tcp_flags;
		put16(l4 + 14, 64240);
		if (h > 20)
			memset(l4 + 20, 1, h - 20);	/* NOP options */
		break;
	case IPPROTO_UDP:
		memset(l4, 0, 8);
		put16(l4, s->sport);
		put16(l4 + 2, s->dport);
		put16(l4 + 4, (__u16)(8 + s->payload));
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		memset(l4, 0, 8);
		l4[0] = s->icmp_type;
		l4[1] = s->icmp_code;
		if (s->quote) {
			memcpy(l4 + 8, s->quote, s->qlen);
			h += s->qlen;
		} else {
			put16(l4 + 4, s->sport);
			put16(l4 + 6, (__u16)pf_rand());
		}
		break;
	default:
		h = 4;
		memset(l4, 0, 4);
		put16(l4 + 2, ETH_P_IP);	/* GRE-like */
		break;
	}
	rand_bytes(l4 + h, s->payload);
	return h + s->payload;
}

static void set_l4_check(__u8 *l4, size_t len, __u8 proto, __u64 pseudo,
			 __u8 mode)
{
	__u16 off = l4_check_off(proto), check;

	if (!off || len < (size_t)off + 2)
		return;
	switch (mode) {
	case C_ZERO:
		check = 0;
		break;
	case C_PARTIAL:
		check = pf_fold(pseudo);
		break;
	default:
		check = (__u16)~pf_fold(pf_sum16(pseudo, l4, len));
		if (proto == IPPROTO_UDP && !check)
			check = 0xffff;
		if (mode == C_BAD)
			check ^= (__u16)(1 + pf_below(0xfffe));
		break;
	}
	put16(l4 + off, check);
}

static __u64 pseudo4(__u32 s, __u32 d, __u8 proto, size_t len)
{
	return (s >> 16) + (s & 0xffff) + (d >> 16) + (d & 0xffff) + proto + len;
}

/*
 * An IPv4 datagram, or one fragment of it (ip->frag with an offset or MF:
 * the slice of the L4 segment the offset says); returns its length.
 */
static size_t put_ip4(__u8 *ip, size_t room, const struct ip4spec *h,
		      const struct l4spec *s)
{
	__u8 l4[PF_FRAME_MAX];
	size_t hl = 20 + h->optlen, l4len, off, n;
	__u64 pseudo;

	l4len = put_l4(l4, s);
	pseudo = s->proto == IPPROTO_ICMP ? 0 :
		 pseudo4(h->saddr, h->daddr, s->proto, l4len);
	set_l4_check(l4, l4len, s->proto, pseudo, s->csum);
	off = (size_t)(h->frag & 0x1fff) * 8;
	if (off > l4len)
		off = l4len;
	n = l4len - off;
	if (h->frag & 0x2000)		/* MF: a first or middle piece */
		n = n > 16 ? (n / 2) & ~7ul : n;
	if (hl + n > room)
		n = room - hl;
	memset(ip, 0, hl);
	ip[0] = (__u8)(0x40 | hl / 4);
	ip[1] = (__u8)(pf_chance(90) ? 0 : pf_rand());
	put16(ip + 2, (__u16)(hl + n));
	put16(ip + 4, h->id);
	put16(ip + 6, h->frag ? h->frag : h->no_df ? 0 : 0x4000);
	ip[8] = h->ttl;
	ip[9] = s->proto;
	put32(ip + 12, h->saddr);
	put32(ip + 16, h->daddr);
	if (h->optlen) {
		if (pf_chance(50))
			memset(ip + 20, 1, h->optlen);		/* NOPs */
		else
			rand_bytes(ip + 20, h->optlen);
	}
	put16(ip + 10, (__u16)~pf_fold(pf_sum16(0, ip, hl)));
	if (h->bad_ipcsum)
		ip[10] ^= 0x5a;
	memcpy(ip + hl, l4 + off, n);
	return hl + n;
}

static void ip4spec_init(struct ip4spec *h, __u32 saddr, __u32 daddr)
{
	memset(h, 0, sizeof(*h));
	h->saddr = saddr;
	h->daddr = daddr;
	h->id = (__u16)(pf_chance(50) ? 0x1234 + pf_below(4) : pf_rand());
	h->ttl = (__u8)(pf_chance(90) ? 64 : pf_below(3));
	if (pf_chance(8))
		h->optlen = (__u8)(4 * (1 + pf_below(10)));
	if (pf_chance(10))
		h->frag = PF_PICK(((const __u16[]){ 0x2000, 0x2000, 0x0001,
			0x0002, 0x2003, 0x00b9, 0x1fff, 0x8000, 0x0000 }));
	else if (pf_chance(15))
		h->no_df = true;
	h->bad_ipcsum = pf_chance(3);
}

static __u16 pick_payload(void)
{
	switch (pf_below(10)) {
	case 0:
		return (__u16)(1400 + pf_below(200));	/* beyond the MTU */
	case 1:
		return (__u16)pf_below(600);
	case 2:
		return 0;
	default:
		return (__u16)pf_below(64);
	}
}

static __u8 pick_tcp_flags(void)
{
	switch (pf_below(6)) {
	case 0:
		return 0x02;		/* SYN */
	case 1:
		return 0x12;		/* SYN ACK */
	case 2:
		return 0x10;		/* ACK */
	case 3:
		return PF_PICK(((const __u8[]){ 0x01, 0x04, 0x11, 0x14,
			0x03, 0x07, 0x29, 0x3f, 0xff, 0x00, 0xc2 }));
	default:
		return (__u8)pf_rand();
	}
}

static __u8 pick_csum(void)
{
	switch (pf_below(20)) {
	case 0:
		return C_BAD;
	case 1:
		return C_ZERO;
	case 2:
		return C_PARTIAL;
	default:
		return C_OK;
	}
}

/* The bytes of a packet an ICMP error quotes: from src:sport to dst:dport. */
static __u16 make_quote(__u8 *q, __u8 proto, __u32 src, __u16 sport,
			__u32 dst, __u16 dport)
{
	struct ip4spec h;
	struct l4spec s = { .proto = proto, .sport = sport, .dport = dport,
			    .tcp_flags = 0x02, .icmp_type = 8,
			    .payload = (__u16)pf_below(40),
			    .csum = pick_csum() };
	size_t n;

	ip4spec_init(&h, src, dst);
	h.optlen = pf_chance(5) ? 4 : 0;
	h.frag = 0;
	n = put_ip4(q, 600, &h, &s);
	switch (pf_below(4)) {
	case 0:
		return (__u16)(n < 28 ? n : 28);	/* RFC 792: 8 bytes */
	case 1:
		return (__u16)(n < 20 + pf_below(30) ? n : 20 + pf_below(30));
	default:
		return (__u16)n;
	}
}

/* An IPv4 frame: eth (to dst from src), the packet of h and s. */
static void frame_ip4(struct pf_frame *f, const __u8 *dst, const __u8 *src,
		      struct ip4spec *h, struct l4spec *s)
{
	__u32 off = put_eth(f, dst, src, ETH_P_IP);

	f->len = off + (__u32)put_ip4(f->b + off, PF_FRAME_MAX - 64 - off, h, s);
}

/* L4 of a packet from inside to outside (or anywhere). */
static void l4_pick(struct l4spec *s, __u8 *qbuf, __u32 saddr, __u32 daddr,
		    bool from_inside)
{
	const struct pf_map *m = rand_map();

	memset(s, 0, sizeof(*s));
	s->payload = pick_payload();
	s->csum = pick_csum();
	s->tcp_flags = pick_tcp_flags();
	s->sport = pick_port();
	s->dport = pick_port();
	switch (pf_below(12)) {
	case 0: case 1: case 2:
		s->proto = IPPROTO_UDP;
		break;
	case 3: case 4: case 5:
		s->proto = IPPROTO_TCP;
		break;
	case 6: case 7:
		s->proto = IPPROTO_ICMP;
		s->icmp_type = pf_chance(50) ? 8 : 0;
		s->sport = pf_chance(50) ? m->in_port : m->out_port;
		break;
	case 8: case 9:
		/* an error about a mapped flow, quoted from either side */
		s->proto = IPPROTO_ICMP;
		s->icmp_type = PF_PICK(((const __u8[]){ 3, 11, 12, 3, 5 }));
		s->icmp_code = (__u8)(pf_chance(70) ? pf_below(5) : pf_rand());
		s->payload = 0;
		s->csum = pf_chance(90) ? C_OK : C_BAD;
		if (from_inside)
			s->qlen = make_quote(qbuf, m->proto, m->remote ?
					     m->remote : daddr, m->rport,
					     m->in_ip, m->in_port);
		else
			s->qlen = make_quote(qbuf, m->proto,
					     pf_nets[m->net].outside,
					     m->out_port, m->remote ?
					     m->remote : saddr, m->rport);
		s->quote = qbuf;
		break;
	default:
		s->proto = PF_PICK(((const __u8[]){ 47, 50, 132, 2, 0, 255 }));
		break;
	}
}

/* ---- templates ----------------------------------------------------------------- */

static __u32 pick_vm_port(void)
{
	static const __u32 ports[] = { 11, 12, 21, 21, 22, 31, 32, 41, 41, 51 };

	return PF_PICK(ports);
}

static void t_vm_ip4(struct pf_case *c)
{
	const struct pf_vm *v;
	const struct pf_net *n;
	struct ip4spec h;
	struct l4spec s;
	__u8 dst[6], src[6], q[PF_FRAME_MAX];

	c->ifindex = pick_vm_port();
	v = vm_of_port(c->ifindex);
	n = pf_net(v->net);
	pick_src_mac(v, src);
	pick_dst_mac(n, dst);
	ip4spec_init(&h, pick_saddr(v, n), pick_daddr(n));
	l4_pick(&s, q, h.saddr, h.daddr, true);
	/* a VM answering on a mapping: its inside port as the source */
	if (pf_chance(30)) {
		const struct pf_map *m = rand_map();

		h.saddr = m->in_ip;
		s.proto = m->proto;
		s.sport = m->in_port;
		s.dport = m->rport;
		h.daddr = m->remote ? m->remote : h.daddr;
	}
	frame_ip4(&c->f, dst, src, &h, &s);
	c->what = "vm-ipv4";
}

static void t_vm_arp(struct pf_case *c)
{
	const struct pf_vm *v;
	const struct pf_net *n;
	__u8 dst[6], src[6];
	__u32 off;
	__u8 *p;

	c->ifindex = pick_vm_port();
	v = vm_of_port(c->ifindex);
	n = pf_net(v->net);
	pick_src_mac(v, src);
	if (pf_chance(50))
		memcpy(dst, BCAST, 6);
	else
		pick_dst_mac(n, dst);
	off = put_eth(&c->f, dst, src, ETH_P_ARP);
	p = c->f.b + off;
	put16(p, 1);
	put16(p + 2, ETH_P_IP);
	p[4] = 6;
	p[5] = 4;
	put16(p + 6, (__u16)(pf_chance(90) ? 1 + pf_below(2) : pf_rand()));
	if (pf_chance(80))
		memcpy(p + 8, src, 6);
	else
		rand_mac(p + 8);
	put32(p + 14, pick_saddr(v, n));
	memset(p + 18, 0, 6);
	put32(p + 24, pick_daddr(n));
	c->f.len = off + 28 + (pf_chance(30) ? 18 : 0);
	c->what = "vm-arp";
}

/* IPv6: link-local, global or multicast addresses; extension headers. */
static void put_ip6_addr(__u8 *a, int kind, const __u8 *mac)
{
	memset(a, 0, 16);
	switch (kind) {
	case 0:		/* fe80::/64 from the MAC */
		a[0] = 0xfe;
		a[1] = 0x80;
		memcpy(a + 8, mac, 3);
		a[11] = 0xff;
		a[12] = 0xfe;
		memcpy(a + 13, mac + 3, 3);
		break;
	case 1:		/* ff02::1 */
		a[0] = 0xff;
		a[1] = 0x02;
		a[15] = 1;
		break;
	case 2:		/* global */
		a[0] = 0x20;
		a[1] = 0x01;
		a[2] = 0x0d;
		a[3] = 0xb8;
		a[15] = (__u8)pf_rand();
		break;
	case 3:		/* unspecified */
		break;
	default:
		rand_bytes(a, 16);
		break;
	}
}

static void t_ip6(struct pf_case *c, __u32 ifindex, const __u8 *src)
{
	static const __u8 ext[] = { 0, 43, 44, 60 };
	const struct pf_dev *d = pf_dev(ifindex);
	const struct pf_net *n = d ? pf_net(d->net) : NULL;
	__u8 dst[6], *ip, *p, nh;
	int next_at, i, next;
	__u32 off;
	size_t l4;

	c->ifindex = ifindex;
	pick_dst_mac(n, dst);
	if (pf_chance(30))
		memcpy(dst, MCAST6, 6);
	off = put_eth(&c->f, dst, src, ETH_P_IPV6);
	ip = c->f.b + off;
	memset(ip, 0, 40);
	ip[0] = 0x60;
	ip[7] = 64;
	put_ip6_addr(ip + 8, (int)pf_below(5), src);
	put_ip6_addr(ip + 24, (int)pf_below(5), dst);
	next_at = 6;
	p = ip + 40;
	for (i = pf_chance(30) ? 1 + (int)pf_below(3) : 0; i > 0; i--) {
		nh = PF_PICK(ext);
		ip[next_at] = nh;	/* the first one: in the IPv6 header */
		next_at = (int)(p - ip);
		p[1] = nh == 44 ? 0 : (__u8)pf_below(2);
		memset(p + 2, 0, 6);
		if (nh == 44)		/* fragment header: offset, M, id */
			put16(p + 2, (__u16)(pf_below(2) ? 0x0001 : 8 << 3));
		else if (nh == 0 || nh == 60) {
			p[2] = 1;	/* PadN */
			p[3] = 4;
		}
		p += 8 * (1 + p[1]);
	}
	next = (int)pf_below(4);
	nh = next == 0 ? IPPROTO_UDP : next == 1 ? IPPROTO_TCP :
	     next == 2 ? IPPROTO_ICMPV6 : (__u8)pf_rand();
	ip[next_at] = nh;
	l4 = 8 + pf_below(40);
	rand_bytes(p, l4);
	if (nh == IPPROTO_ICMPV6)
		p[0] = PF_PICK(((const __u8[]){ 128, 129, 133, 134, 135, 136 }));
	put16(ip + 4, (__u16)(p + l4 - ip - 40));
	c->f.len = (__u32)(p + l4 - c->f.b);
	c->what = "ipv6";
}

static void t_vm_ip6(struct pf_case *c)
{
	const struct pf_vm *v = vm_of_port(pick_vm_port());
	__u8 src[6];

	pick_src_mac(v, src);
	t_ip6(c, v->port, src);
	c->what = "vm-ipv6";
}

/* From the LAN behind an uplink: replies, forwards, errors, fragments. */
static void t_uplink_in(struct pf_case *c)
{
	static const __u32 uplinks[] = { 10, 20, 20, 50 };
	const struct pf_map *m = rand_map();
	const struct pf_net *mn = pf_net(m->net);
	struct ip4spec h;
	struct l4spec s;
	__u8 dst[6], src[6], q[PF_FRAME_MAX];
	const struct pf_dev *up;

	c->ifindex = pf_chance(80) ? mn->uplink : PF_PICK(uplinks);
	up = pf_dev(c->ifindex);
	memcpy(src, pf_lan_macs[pf_below(pf_nlan_macs)], 6);
	if (pf_chance(70))
		memcpy(dst, up->mac, 6);
	else
		pick_dst_mac(pf_net(up->net), dst);
	ip4spec_init(&h, m->remote ? m->remote : pf_remotes[pf_below(pf_nremotes)],
		     pf_chance(85) ? mn->outside : pick_daddr(NULL));
	l4_pick(&s, q, h.saddr, h.daddr, false);
	if (pf_chance(60)) {
		s.proto = m->proto;
		s.sport = m->proto == IPPROTO_ICMP ? m->out_port : m->rport;
		s.dport = m->out_port;
		s.icmp_type = 0;	/* echo reply */
		s.quote = NULL;
		s.qlen = 0;
		if (pf_chance(20))
			h.saddr = pf_remotes[pf_below(pf_nremotes)];
	}
	frame_ip4(&c->f, dst, src, &h, &s);
	c->what = "uplink-in";
}

/* What the host itself sends out of an uplink, inside sources included. */
static void t_egress(struct pf_case *c)
{
	static const __u32 uplinks[] = { 10, 20, 50 };
	static const __u32 inside[] = { IP4(192, 168, 100, 21),
		IP4(192, 168, 100, 22), IP4(192, 168, 200, 41),
		IP4(192, 168, 56, 31), IP4(192, 168, 100, 200) };
	const struct pf_dev *up;
	struct ip4spec h;
	struct l4spec s;
	__u8 dst[6], q[PF_FRAME_MAX];
	__u32 saddr;

	c->ifindex = PF_PICK(uplinks);
	c->egress = true;
	up = pf_dev(c->ifindex);
	if (pf_chance(15)) {
		t_ip6(c, c->ifindex, up->mac);
		c->egress = true;
		c->what = "egress-ipv6";
		return;
	}
	pick_dst_mac(pf_net(up->net), dst);
	if (pf_chance(50))
		memcpy(dst, pf_lan_macs[pf_below(pf_nlan_macs)], 6);
	saddr = pf_chance(60) ? PF_PICK(inside) : up->addr;
	ip4spec_init(&h, saddr, pf_remotes[pf_below(pf_nremotes)]);
	h.bad_ipcsum = false;
	l4_pick(&s, q, h.saddr, h.daddr, true);
	frame_ip4(&c->f, dst, up->mac, &h, &s);
	c->what = "egress";
}

/* From the host into a network, through its adapter's peer. */
static void t_adapter_in(struct pf_case *c)
{
	static const __u32 nets[] = { 2, 3, 4 };
	const struct pf_net *n = pf_net(PF_PICK(nets));
	const struct pf_dev *h = pf_dev(n->host_if);
	const struct pf_vm *v = vm_in_net(n->id);
	struct ip4spec ih;
	struct l4spec s;
	__u8 dst[6], q[PF_FRAME_MAX];

	c->ifindex = n->adapter;
	if (pf_chance(20)) {
		t_ip6(c, c->ifindex, h->mac);
		c->what = "adapter-ipv6";
		return;
	}
	if (pf_chance(60) && v)
		memcpy(dst, v->mac, 6);
	else
		pick_dst_mac(n, dst);
	ip4spec_init(&ih, pf_chance(40) ? n->gateway : pick_daddr(NULL),
		     v && pf_chance(70) ? v->ip : pick_daddr(n));
	l4_pick(&s, q, ih.saddr, ih.daddr, false);
	frame_ip4(&c->f, dst, h->mac, &ih, &s);
	c->what = "adapter-in";
}

static void t_random(struct pf_case *c)
{
	c->ifindex = pf_devs[pf_below(pf_ndevs)].ifindex;
	c->egress = pf_chance(20);
	if (c->egress)
		c->ifindex = PF_PICK(((const __u32[]){ 10, 20, 50 }));
	c->f.len = (__u32)(pf_chance(70) ? pf_below(128) : pf_below(1600));
	rand_bytes(c->f.b, c->f.len);
	if (pf_chance(70) && c->f.len >= 14)	/* give it a known type */
		put16(c->f.b + 12, PF_PICK(((const __u16[]){ ETH_P_IP,
			ETH_P_IPV6, ETH_P_ARP, ETH_P_8021Q, ETH_P_8021AD })));
	c->what = "random";
}

/* ---- mutations ------------------------------------------------------------------- */

/* Offset of the IPv4 header behind the tags, or 0. */
static __u32 ip4_at(const struct pf_frame *f)
{
	__u32 off = 12;

	while (off + 4 <= f->len &&
	       ((f->b[off] == 0x81 && f->b[off + 1] == 0x00) ||
		(f->b[off] == 0x88 && f->b[off + 1] == 0xa8)))
		off += 4;
	if (off + 2 + 20 > f->len || f->b[off] != 0x08 || f->b[off + 1] != 0)
		return 0;
	return off + 2;
}

static void mutate(struct pf_frame *f)
{
	__u32 ip = ip4_at(f), pos, l4;
	int n = 1 + (int)pf_below(3);

	while (n--) {
		switch (pf_below(9)) {
		case 0:		/* cut */
			if (f->len)
				f->len = pf_chance(50) ? pf_below(f->len) :
					 f->len - pf_below(f->len < 8 ? f->len : 8);
			break;
		case 1:		/* grow */
			pos = pf_below(64);
			if (f->len + pos < PF_FRAME_MAX - 64) {
				rand_bytes(f->b + f->len, pos);
				f->len += pos;
			}
			break;
		case 2: case 3:	/* flip bits */
			if (f->len) {
				pos = pf_below(f->len < 80 ? f->len : 80);
				f->b[pos] ^= (__u8)(1u << pf_below(8));
			}
			break;
		case 4:		/* a random byte anywhere */
			if (f->len)
				f->b[pf_below(f->len)] = (__u8)pf_rand();
			break;
		default:	/* an IPv4 or L4 header field */
			if (!ip || ip + 20 > f->len)
				break;
			l4 = ip + (f->b[ip] & 15) * 4;
			switch (pf_below(8)) {
			case 0:
				f->b[ip] = (__u8)(0x40 | pf_below(16));
				break;
			case 1:
				put16(f->b + ip + 2, (__u16)(pf_chance(50) ?
				      f->len - ip + pf_below(9) - 4 : pf_rand()));
				break;
			case 2:
				put16(f->b + ip + 6, (__u16)pf_rand());
				break;
			case 3:
				f->b[ip + 9] = (__u8)PF_PICK(((const int[]){
					IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP,
					(int)pf_below(256) }));
				break;
			case 4:
				if (l4 + 14 <= f->len)
					f->b[l4 + 12] = (__u8)(pf_below(16) << 4);
				break;
			case 5:
				if (l4 + 6 <= f->len)
					put16(f->b + l4 + 4, (__u16)pf_rand());
				break;
			case 6:
				if (l4 + 2 <= f->len)
					f->b[l4] = (__u8)pf_rand();
				break;
			default:	/* and fix the header checksum again */
				f->b[ip + 10] = f->b[ip + 11] = 0;
				if (ip + (f->b[ip] & 15) * 4 <= f->len)
					put16(f->b + ip + 10, (__u16)~pf_fold(
					      pf_sum16(0, f->b + ip,
						       (f->b[ip] & 15) * 4)));
				break;
			}
			break;
		}
	}
}

void pf_gen(struct pf_case *c)
{
	__u32 k = pf_below(100);

	c->f.len = 0;
	c->ifindex = 0;
	c->egress = false;
	c->mutated = false;
	if (k < 30)
		t_vm_ip4(c);
	else if (k < 38)
		t_vm_arp(c);
	else if (k < 46)
		t_vm_ip6(c);
	else if (k < 66)
		t_uplink_in(c);
	else if (k < 80)
		t_egress(c);
	else if (k < 92)
		t_adapter_in(c);
	else
		t_random(c);
	if (c->f.len > PF_FRAME_MAX - 64)
		c->f.len = PF_FRAME_MAX - 64;
	if (pf_chance(55)) {
		mutate(&c->f);
		c->mutated = true;
	}
}
