/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Source NAT for nat networks, the whole job on the tc path (skb helpers
 * keep checksum offload state right). XDP translates the plain packets of
 * live flows itself (nat_xdp.h) and hands everything else here.
 *
 * Outbound, a VM's IPv4 packet to the gateway MAC whose destination is
 * neither in the subnet nor a host address, and which the host routes out
 * of the uplink (bpf_fib_lookup from the host adapter), gets the uplink's
 * address and a mapped port and leaves through bpf_redirect_neigh, which
 * resolves the next hop. Inbound, the uplink's ingress translates what
 * matches a live mapping (and, unless the network filters endpoint-
 * independently, a live flow to that remote endpoint) and hands it to the
 * VM's port. Mappings are endpoint-independent (RFC 4787 REQ-1) and keep
 * the inside port when it is free and in range. ICMP errors coming in are
 * translated inner header included; later fragments follow their first.
 * Anything that cannot be translated safely is dropped and counted, never
 * sent on untranslated.
 */
#ifndef XV_NAT_H
#define XV_NAT_H

#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>

#include "lib/maps.h"
#include "lib/stats.h"
#include "lib/fdb.h"
#include "lib/port.h"
#include "lib/isolate.h"

#define XV_NAT_PASS	(-1)	/* not for translation: bridge or pass on */
#define XV_SEC		1000000000ULL
#ifndef E2BIG
#define E2BIG		7	/* a full hash map refuses a new key */
#endif
#define AF_INET		2

/* <linux/icmp.h> pulls in libc headers; these few are all we need. */
#define ICMP_ECHOREPLY		0
#define ICMP_DEST_UNREACH	3
#define ICMP_ECHO		8
#define ICMP_TIME_EXCEEDED	11
#define ICMP_PARAMETERPROB	12

struct icmphdr {
	__u8 type;
	__u8 code;
	__sum16 checksum;
	union {
		struct {
			__be16 id;
			__be16 sequence;
		} echo;
		__be32 gateway;
	} un;
};

#define IP_MF_BIT	0x2000
#define IP_OFFSET_MASK	0x1fff

struct nat_pkt {
	__be32 saddr, daddr;
	__be16 sport, dport;	/* ports; ICMP echo: the id in both */
	__be16 ipid;
	__u32 l4_off;		/* from the start of the frame */
	__u32 csum_off;		/* L4 checksum, 0 when there is none to fix */
	__u32 sport_off;	/* port (or echo id) fields */
	__u32 dport_off;
	__u8 proto;
	__u8 tcp_flags;
	__u8 icmp_type;
	bool df;		/* don't fragment */
	__u16 tot_len;
	__u8 l4_hlen;		/* TCP header length */
	bool first_frag;	/* MF set, offset 0 */
	bool later_frag;	/* offset != 0: no L4 header */
	bool icmp_error;
};

enum nat_parse_ret { NAT_P_OK, NAT_P_NOT_IPV4, NAT_P_UNSUPPORTED };

static __always_inline enum nat_parse_ret nat_parse(struct __sk_buff *skb,
						    struct nat_pkt *p)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph = data + ETH_HLEN;
	__u16 frag, tot;
	__u32 end;
	__u8 *l4;

	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return NAT_P_NOT_IPV4;
	if ((void *)(iph + 1) > data_end || iph->ihl < 5)
		return NAT_P_UNSUPPORTED;
	/* A length the frame does not hold is not ours to translate. */
	tot = bpf_ntohs(iph->tot_len);
	if (tot < iph->ihl * 4 || ETH_HLEN + tot > skb->len)
		return NAT_P_UNSUPPORTED;
	p->saddr = iph->saddr;
	p->daddr = iph->daddr;
	p->proto = iph->protocol;
	p->ipid = iph->id;
	frag = bpf_ntohs(iph->frag_off);
	p->df = frag & 0x4000;
	p->tot_len = tot;
	p->later_frag = frag & IP_OFFSET_MASK;
	p->first_frag = (frag & IP_MF_BIT) && !p->later_frag;
	p->l4_off = ETH_HLEN + iph->ihl * 4;
	end = ETH_HLEN + tot;	/* bytes past the datagram are not its own */
	if (p->later_frag)
		return p->proto == IPPROTO_TCP || p->proto == IPPROTO_UDP ||
		       p->proto == IPPROTO_ICMP ? NAT_P_OK : NAT_P_UNSUPPORTED;
	l4 = data + p->l4_off;

	switch (p->proto) {
	case IPPROTO_TCP: {
		struct tcphdr *th = (void *)l4;

		if ((void *)(th + 1) > data_end ||
		    p->l4_off + sizeof(*th) > end)
			return NAT_P_UNSUPPORTED;
		p->sport = th->source;
		p->dport = th->dest;
		p->tcp_flags = ((__u8 *)th)[13];
		p->l4_hlen = th->doff * 4;
		p->csum_off = p->l4_off + offsetof(struct tcphdr, check);
		p->sport_off = p->l4_off;
		p->dport_off = p->l4_off + 2;
		return NAT_P_OK;
	}
	case IPPROTO_UDP: {
		struct udphdr *uh = (void *)l4;

		if ((void *)(uh + 1) > data_end ||
		    p->l4_off + sizeof(*uh) > end)
			return NAT_P_UNSUPPORTED;
		p->sport = uh->source;
		p->dport = uh->dest;
		p->csum_off = uh->check ? p->l4_off + 6 : 0;
		p->l4_hlen = sizeof(*uh);
		p->sport_off = p->l4_off;
		p->dport_off = p->l4_off + 2;
		return NAT_P_OK;
	}
	case IPPROTO_ICMP: {
		struct icmphdr *ih = (void *)l4;

		if ((void *)(ih + 1) > data_end ||
		    p->l4_off + sizeof(*ih) > end)
			return NAT_P_UNSUPPORTED;
		p->icmp_type = ih->type;
		p->csum_off = p->l4_off + 2;
		if (ih->type == ICMP_ECHO || ih->type == ICMP_ECHOREPLY) {
			p->sport = ih->un.echo.id;
			p->dport = ih->un.echo.id;
			p->sport_off = p->l4_off + 4;
			p->dport_off = p->l4_off + 4;
			return NAT_P_OK;
		}
		if (ih->type == ICMP_DEST_UNREACH || ih->type == ICMP_TIME_EXCEEDED ||
		    ih->type == ICMP_PARAMETERPROB) {
			p->icmp_error = true;
			return NAT_P_OK;
		}
		return NAT_P_UNSUPPORTED;
	}
	default:
		return NAT_P_UNSUPPORTED;
	}
}

/* Parse, pulling headers into the linear area once if they are not there. */
static __always_inline enum nat_parse_ret nat_parse_pull(struct __sk_buff *skb,
							 struct nat_pkt *p)
{
	enum nat_parse_ret r = nat_parse(skb, p);
	__u32 want = ETH_HLEN + 60 + 28 + 20;

	if (r != NAT_P_UNSUPPORTED)
		return r;
	if (bpf_skb_pull_data(skb, skb->len < want ? skb->len : want))
		return r;
	__builtin_memset(p, 0, sizeof(*p));
	return nat_parse(skb, p);
}

static __always_inline const struct xv_cfg *nat_cfg(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&xv_cfg, &zero);
}

/*
 * A mapping, as a packet's path holds it: the inside endpoint, the outside
 * port it has on the uplink's address, and whether a forward made it.
 */
struct nat_map {
	__be32 inside_addr;
	__be16 inside_port;
	__be16 outside_port;
	__u32 net;
	bool fwd;
};

union nat_port_word {
	struct xv_nat_port e;
	__u64 w;
};

static __always_inline struct xv_gc *nat_gc(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&xv_gc, &zero);
}

/* proto's outside port (host order) in xv_nat_port, as a word. */
static __always_inline __u64 *nat_port_at(__u8 proto, __u32 port)
{
	int i = xv_nat_port_index(proto, port);
	__u32 key;

	if (i < 0)
		return NULL;
	key = i;
	return bpf_map_lookup_elem(&xv_nat_port, &key);
}

/* Dynamic word v in use in epoch (xv_nat_port_fresh). */
static __always_inline bool nat_port_fresh(union nat_port_word v, __u8 epoch)
{
	return xv_nat_port_fresh(&v.e, epoch);
}

static __always_inline __u8 nat_epoch(void)
{
	struct xv_gc *gc = nat_gc();

	return gc ? gc->epoch : 0;
}

/*
 * Who holds an outside port of proto on outside address addr: a forward's
 * VM endpoint, or a dynamic mapping's (which lives while it has live
 * flows). false when nobody.
 */
static __always_inline bool nat_find_in(__be32 addr, __be16 port, __u8 proto,
					struct nat_map *m)
{
	__u64 *w = nat_port_at(proto, bpf_ntohs(port));
	union nat_port_word v;

	if (!w)
		return false;
	v.w = *(volatile __u64 *)w;
	if (v.e.mark == XV_NAT_MARK_STATIC) {
		struct xv_nat_fwd_key k = { .addr = addr, .port = port,
					    .proto = proto,
					    .dir = XV_NAT_FWD_IN };
		struct xv_nat_fwd *f = bpf_map_lookup_elem(&xv_nat_fwd, &k);

		if (!f)
			return false;
		m->inside_addr = f->addr;
		m->inside_port = f->port;
		m->net = f->net;
		m->fwd = true;
	} else {
		if (!nat_port_fresh(v, nat_epoch()))
			return false;
		m->inside_addr = v.e.inside_addr;
		m->inside_port = v.e.inside_port;
		m->net = v.e.net;
		m->fwd = false;
	}
	m->outside_port = port;
	return true;
}

/* The forward of inside endpoint addr:port on outside address outside. */
static __always_inline bool nat_find_fwd(__be32 addr, __be16 port, __u8 proto,
					 __u32 netid, __be32 outside,
					 struct nat_map *m)
{
	struct xv_nat_fwd_key k = { .addr = addr, .port = port, .proto = proto,
				    .dir = XV_NAT_FWD_OUT };
	struct xv_nat_fwd *f = bpf_map_lookup_elem(&xv_nat_fwd, &k);

	if (!f || f->net != netid || f->addr != outside)
		return false;
	m->outside_port = f->port;
	m->fwd = true;
	return true;
}

/* A 32-bit mix (the finalizer of MurmurHash3's successors). */
static __always_inline __u32 nat_mix(__u32 h)
{
	h ^= h >> 16;
	h *= 0x7feb352d;
	h ^= h >> 15;
	h *= 0x846ca68b;
	h ^= h >> 16;
	return h;
}

/*
 * Candidate outside ports of an inside endpoint: the port its flow with
 * this remote had (a hint, when there is such a flow, live or not), its
 * own port when in range (RFC 4787 REQ-3), then NAT_CANDIDATES ports its
 * endpoint hashes to under a secret of this boot (RFC 6056: not guessable
 * from outside); in a range of up to NAT_SMALL_RANGE ports, every port
 * from a hashed start. A new flow finds its endpoint's mapping among them,
 * so that every flow of an endpoint leaves from one port (REQ-1), with a
 * few array reads.
 */
#define NAT_CANDIDATES	8
#define NAT_SMALL_RANGE	64

static __always_inline __u32 nat_candidates(__u32 range)
{
	return 2 + (range <= NAT_SMALL_RANGE ? range : NAT_CANDIDATES);
}

static __always_inline __u32 nat_candidate(__u32 i, __u32 hint, __u32 want,
					   __u32 h, __u32 lo, __u32 range)
{
	if (!i)
		return hint ? hint : want;
	if (i == 1)
		return want;
	if (range <= NAT_SMALL_RANGE)
		return lo + (h + i) % range;
	return lo + nat_mix(h + i) % range;
}

/*
 * Keep word w, seen holding our endpoint under an older mark, as ours
 * under me's mark. The collector may free it in between (then take it
 * again), never hand it to another endpoint.
 */
static __always_inline bool nat_port_keep(__u64 *w, __u64 seen, __u64 me)
{
	if (seen == me)
		return true;
	if (__sync_val_compare_and_swap(w, seen, me) == seen)
		return true;
	return __sync_val_compare_and_swap(w, 0, me) == 0;
}

/* Take word w, seen free or stale, for me. */
static __always_inline bool nat_port_take(__u64 *w, __u64 seen, __u64 me)
{
	return __sync_val_compare_and_swap(w, seen, me) == seen;
}

static __always_inline bool nat_port_mine(union nat_port_word v,
					  union nat_port_word me)
{
	return v.e.mark != XV_NAT_MARK_STATIC &&
	       v.e.inside_addr == me.e.inside_addr &&
	       v.e.inside_port == me.e.inside_port && v.e.net == me.e.net;
}

struct nat_scan {
	union nat_port_word me;
	__u32 lo, range;
	__u32 hint, want, h;	/* candidates: see nat_candidate */
	__u32 start;		/* the whole range: from here */
	__u32 port;		/* found or taken, host order; 0: none */
	int free, last;		/* candidates free or stale: the first, ours */
	__u8 proto;
	bool taken;
};

/* Candidate i: ours and in use (then done), or free or stale (noted). */
static long nat_cand_look(__u32 i, void *arg)
{
	struct nat_scan *sc = arg;
	__u32 port = nat_candidate(i, sc->hint, sc->want, sc->h, sc->lo,
				    sc->range);
	__u64 *w = nat_port_at(sc->proto, port);
	union nat_port_word v;

	if (!w)
		return 0;
	v.w = *(volatile __u64 *)w;
	if (v.e.mark == XV_NAT_MARK_STATIC)
		return 0;
	if (nat_port_fresh(v, sc->me.e.mark)) {
		if (nat_port_mine(v, sc->me) && nat_port_keep(w, v.w, sc->me.w)) {
			sc->port = port;
			return 1;
		}
		return 0;
	}
	if (nat_port_mine(v, sc->me) && sc->last < 0)
		sc->last = i;
	if (sc->free < 0)
		sc->free = i;
	return 0;
}

/*
 * Port for sc's endpoint: ours and in use (kept, marked this epoch), or
 * free or stale (taken).
 */
static __always_inline bool nat_port_try(struct nat_scan *sc, __u32 port)
{
	__u64 *w = nat_port_at(sc->proto, port);
	union nat_port_word v;

	if (!w)
		return false;
	v.w = *(volatile __u64 *)w;
	if (v.e.mark == XV_NAT_MARK_STATIC)
		return false;
	if (nat_port_fresh(v, sc->me.e.mark)) {
		if (!nat_port_mine(v, sc->me) ||
		    !nat_port_keep(w, v.w, sc->me.w))
			return false;
	} else if (nat_port_take(w, v.w, sc->me.w)) {
		sc->taken = true;
	} else {
		return false;
	}
	sc->port = port;
	return true;
}

/* Candidate i, from the one chosen on (nat_cand_look). */
static long nat_cand_take(__u32 i, void *arg)
{
	struct nat_scan *sc = arg;

	if (sc->free < 0 || i < (__u32)sc->free)
		return 0;
	return nat_port_try(sc, nat_candidate(i, sc->hint, sc->want, sc->h,
					      sc->lo, sc->range));
}

/* The whole range, from a random start. */
static long nat_scan_one(__u32 i, void *arg)
{
	struct nat_scan *sc = arg;

	if (!sc->range)
		return 1;
	return nat_port_try(sc, sc->lo + (sc->start + i) % sc->range);
}

/*
 * The mapping of the packet's inside address:port in network netid: its
 * forward's port, the port it holds, or a new one: the candidate it held
 * last if free, else the first free candidate, else the first free port of
 * the range from a random start (RFC 6056), so that a port is refused only
 * when the whole range is in use. An endpoint that had to go past its
 * candidates is not found there again: while the range is that full, its
 * next flows may get other ports. Free means unused or stale (see
 * nat_port_fresh). The scans are bpf_loop callbacks: verified once, not
 * once per unrolled candidate and path.
 */
static __always_inline bool nat_map_get(const struct nat_pkt *p,
					const struct xv_net *net, __u32 netid,
					__be32 outside, __u32 hint,
					struct nat_map *m, struct xv_stats *s)
{
	__u32 lo = net->nat_lo, hi = net->nat_hi, want;
	struct xv_gc *gc = nat_gc();
	struct nat_scan sc = { .free = -1, .last = -1 };

	m->inside_addr = p->saddr;
	m->inside_port = p->sport;
	m->net = netid;
	if (nat_find_fwd(p->saddr, p->sport, p->proto, netid, outside, m))
		return true;
	m->fwd = false;
	if (!gc || !lo || hi < lo || hi > 65535) {
		stats_drop(s, XV_DROP_NAT_EXHAUSTED);
		return false;
	}
	sc.lo = lo;
	sc.range = hi - lo + 1;
	sc.proto = p->proto;
	want = bpf_ntohs(p->sport);
	if (want < lo || want > hi)
		want = lo + nat_mix(gc->salt ^ want) % sc.range;
	sc.want = want;
	/* (a flow's old port out of the range now: a forward's, say) */
	sc.hint = hint >= lo && hint <= hi ? hint : 0;
	sc.h = nat_mix(nat_mix(p->saddr ^ gc->salt) ^
		       ((__u32)p->sport << 8 | p->proto));
	sc.me.e.inside_addr = p->saddr;
	sc.me.e.inside_port = p->sport;
	sc.me.e.net = netid;
	sc.me.e.mark = gc->epoch;

	bpf_loop(nat_candidates(sc.range), nat_cand_look, &sc, 0);
	if (!sc.port && sc.free >= 0) {
		if (sc.last >= 0)
			sc.free = sc.last;
		bpf_loop(nat_candidates(sc.range), nat_cand_take, &sc, 0);
	}
	if (!sc.port) {
		sc.start = bpf_get_prandom_u32();
		bpf_loop(sc.range, nat_scan_one, &sc, 0);
	}
	if (!sc.port) {
		stats_drop(s, XV_DROP_NAT_EXHAUSTED);
		return false;
	}
	if (sc.taken)
		STAT_INC(s, nat_new);
	m->outside_port = bpf_htons(sc.port);
	return true;
}

/*
 * The route question both paths ask (bpf_fib_lookup): where would the host
 * send saddr -> daddr coming in from its adapter host_if, and does tot_len
 * fit there?
 */
static __always_inline void nat_fib_params(struct bpf_fib_lookup *fib,
					   __u8 proto, __be32 saddr,
					   __be32 daddr, __be16 sport,
					   __be16 dport, __u32 host_if,
					   __u16 tot_len)
{
	fib->family = AF_INET;
	fib->l4_protocol = proto;
	fib->sport = sport;
	fib->dport = dport;
	fib->ipv4_src = saddr;
	fib->ipv4_dst = daddr;
	fib->ifindex = host_if;
	fib->tot_len = tot_len;
}

/* A packet the NAT path takes over counts for the network it belongs to. */
static __always_inline void nat_count_rx(struct xv_stats *s,
					 const struct __sk_buff *skb)
{
	if (s) {
		s->rx_packets++;
		s->rx_bytes += skb->len;
	}
}

/* One more flow for inside address addr, if under max (0 = no limit). */
static __always_inline bool nat_count_take(__be32 addr, __u32 max)
{
	__u32 zero = 0, *n = bpf_map_lookup_elem(&xv_nat_count, &addr);

	if (!n) {
		bpf_map_update_elem(&xv_nat_count, &addr, &zero, BPF_NOEXIST);
		n = bpf_map_lookup_elem(&xv_nat_count, &addr);
		if (!n)
			return true;	/* cannot count: the tables still bound it */
	}
	if (max && *n >= max)
		return false;
	__sync_fetch_and_add(n, 1);
	return true;
}

static __always_inline void nat_count_put(__be32 addr)
{
	__u32 *n = bpf_map_lookup_elem(&xv_nat_count, &addr);

	if (n && *n)
		__sync_fetch_and_add(n, (__u32)-1);	/* no fetch_sub before -mcpu=v3 */
}

static __always_inline struct xv_nat_flow_key
nat_flow_key(__be32 inside, __be16 iport, __be32 remote, __be16 rport,
	     __u8 proto)
{
	struct xv_nat_flow_key fk = {
		.inside_addr = inside, .remote_addr = remote,
		.inside_port = iport,
		.remote_port = proto == IPPROTO_ICMP ? 0 : rport, .proto = proto,
	};

	return fk;
}

/* The flow of inside endpoint inside:iport with remote:rport, live or not. */
static __always_inline struct xv_nat_flow *
nat_flow_any(__be32 inside, __be16 iport, __be32 remote, __be16 rport,
	     __u8 proto)
{
	struct xv_nat_flow_key fk = nat_flow_key(inside, iport, remote, rport,
						 proto);

	return bpf_map_lookup_elem(&xv_nat_flow, &fk);
}

static __always_inline bool nat_flow_live(const struct xv_nat_flow *f,
					  __u8 proto, const struct xv_cfg *cfg,
					  __u64 now)
{
	return now - f->seen_ns <= xv_nat_timeout(cfg, proto, f->state);
}

/* The live flow of inside endpoint inside:iport with remote:rport, or NULL. */
static __always_inline struct xv_nat_flow *
nat_flow_lookup(__be32 inside, __be16 iport, __be32 remote, __be16 rport,
		__u8 proto, const struct xv_cfg *cfg, __u64 now)
{
	struct xv_nat_flow *f = nat_flow_any(inside, iport, remote, rport,
					     proto);

	if (!f || !nat_flow_live(f, proto, cfg, now))
		return NULL;
	return f;
}

/* The live flow of mapping m with remote:rport, or NULL. */
static __always_inline struct xv_nat_flow *
nat_flow_find(const struct nat_map *m, __be32 remote, __be16 rport,
	      __u8 proto, const struct xv_cfg *cfg, __u64 now)
{
	struct xv_nat_flow *f = nat_flow_lookup(m->inside_addr, m->inside_port,
						remote, rport, proto, cfg, now);

	if (!f || f->outside_port != m->outside_port)
		return NULL;
	return f;
}

/*
 * Times are written at most once a second, the way the FDB refreshes: a
 * write per packet dirties the entries' cache lines (and bounces them
 * between CPUs), and timeouts are tens of seconds and more.
 */
#define XV_NAT_REFRESH_NS	1000000000ULL

#define TCP_FLAG_FIN	0x01
#define TCP_FLAG_SYN	0x02
#define TCP_FLAG_RST	0x04

/*
 * Does a packet of live flow f change it: its TCP state, or its idle time
 * (a second after the last write)? outbound: the VM sent it.
 */
static __always_inline bool nat_flow_due(const struct xv_nat_flow *f,
					 __u8 proto, __u8 tcp_flags,
					 bool outbound, __u64 now)
{
	if (proto == IPPROTO_TCP && (tcp_flags & (TCP_FLAG_FIN | TCP_FLAG_RST)))
		return f->state != XV_NAT_CLOSING ||
		       now - f->seen_ns >= XV_NAT_REFRESH_NS;
	if (!outbound && f->state == XV_NAT_NEW)
		return true;
	return now - f->seen_ns >= XV_NAT_REFRESH_NS;
}

/* Write what nat_flow_due found: the state, and the time of the packet. */
static __always_inline void nat_flow_seen(struct xv_nat_flow *f, __u8 proto,
					  __u8 tcp_flags, bool outbound,
					  __u64 now)
{
	if (proto == IPPROTO_TCP && (tcp_flags & (TCP_FLAG_FIN | TCP_FLAG_RST)))
		f->state = XV_NAT_CLOSING;
	else if (!outbound && f->state == XV_NAT_NEW)
		f->state = XV_NAT_ESTABLISHED;
	f->seen_ns = now;
}

/*
 * Record activity of the flow (mapping, remote endpoint), creating it if
 * needed. A new flow counts against its inside address's max_sessions;
 * XV_DROP_MAX when the flow may go on, else why not.
 */
static __always_inline enum xv_drop
nat_flow_touch(const struct nat_map *m, __be32 remote, __be16 rport, __u8 proto,
	       __u8 tcp_flags, bool outbound, const struct xv_cfg *cfg,
	       __u32 max_sessions, __u64 now)
{
	struct xv_nat_flow_key fk = nat_flow_key(m->inside_addr, m->inside_port,
						 remote, rport, proto);
	struct xv_nat_flow nf = {}, *f;
	bool made = false;

	f = bpf_map_lookup_elem(&xv_nat_flow, &fk);
	if (!f || now - f->seen_ns > xv_nat_timeout(cfg, proto, f->state) ||
	    f->outside_port != m->outside_port) {
		/* A dead flow of the key is replaced in place: it counts. */
		if (!f && !nat_count_take(m->inside_addr, max_sessions))
			return XV_DROP_SESSION_LIMIT;
		nf.outside_port = m->outside_port;
		nf.state = XV_NAT_NEW;
		nf.seen_ns = now;
		if (bpf_map_update_elem(&xv_nat_flow, &fk, &nf, BPF_ANY)) {
			if (!f)
				nat_count_put(m->inside_addr);
			return XV_DROP_NAT_FULL;
		}
		f = bpf_map_lookup_elem(&xv_nat_flow, &fk);
		if (!f)
			return XV_DROP_MAX;
		made = true;
	}
	if (made || nat_flow_due(f, proto, tcp_flags, outbound, now))
		nat_flow_seen(f, proto, tcp_flags, outbound, now);
	return XV_DROP_MAX;
}

/* Inbound permission: a live flow to this remote endpoint (RFC 4787 REQ-8). */
static __always_inline bool nat_flow_allows(const struct nat_map *m,
					    __be32 remote, __be16 rport,
					    __u8 proto, const struct xv_cfg *cfg,
					    __u64 now)
{
	return nat_flow_find(m, remote, rport, proto, cfg, now) != NULL;
}

/* Rewrite the source or destination address, fixing the checksums. */
static __always_inline void nat_set_addr(struct __sk_buff *skb,
					 const struct nat_pkt *p, bool src,
					 __be32 to)
{
	__u32 off = ETH_HLEN + (src ? offsetof(struct iphdr, saddr)
				    : offsetof(struct iphdr, daddr));
	__be32 from = src ? p->saddr : p->daddr;
	__u64 mangled = p->proto == IPPROTO_UDP ? BPF_F_MARK_MANGLED_0 : 0;

	if (p->csum_off && !p->later_frag && p->proto != IPPROTO_ICMP)
		bpf_l4_csum_replace(skb, p->csum_off, from, to,
				    BPF_F_PSEUDO_HDR | mangled | sizeof(to));
	bpf_l3_csum_replace(skb, ETH_HLEN + offsetof(struct iphdr, check),
			    from, to, sizeof(to));
	bpf_skb_store_bytes(skb, off, &to, sizeof(to), 0);
}

static __always_inline void nat_set_port(struct __sk_buff *skb,
					 const struct nat_pkt *p, __u32 off,
					 __be16 from, __be16 to)
{
	__u64 mangled = p->proto == IPPROTO_UDP ? BPF_F_MARK_MANGLED_0 : 0;

	if (from == to)
		return;
	if (p->csum_off)
		bpf_l4_csum_replace(skb, p->csum_off, from, to,
				    mangled | sizeof(to));
	bpf_skb_store_bytes(skb, off, &to, sizeof(to), 0);
}

/* Remember the MAC behind an inside address (for forwards and replies). */
static __always_inline void neigh_learn(__u32 net, __be32 addr, const __u8 *mac,
					__u64 now)
{
	struct xv_neigh_key k = { .net = net, .addr = addr };
	struct xv_neigh n = { .seen_ns = now }, *cur;

	cur = bpf_map_lookup_elem(&xv_neigh, &k);
	if (cur && mac_equal(cur->mac, mac) &&
	    now - cur->seen_ns < XV_FDB_REFRESH_NS)
		return;
	mac_copy(n.mac, mac);
	bpf_map_update_elem(&xv_neigh, &k, &n, BPF_ANY);
}

/* The MAC behind a VM's own IPv4 address (IP source, or ARP sender). */
static __always_inline void learn_inside_neigh(__u32 netid,
					       const struct xv_net *net,
					       const struct ethhdr *eth,
					       void *data_end)
{
	__be32 addr = 0;

	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		const struct iphdr *iph = (const void *)(eth + 1);

		if ((void *)(iph + 1) > data_end)
			return;
		addr = iph->saddr;
	} else if (eth->h_proto == bpf_htons(ETH_P_ARP)) {
		const __u8 *arp = (const void *)(eth + 1);

		if ((void *)(arp + 28) > data_end)
			return;
		__builtin_memcpy(&addr, arp + 14, 4);	/* sender IP */
	}
	if (addr && (addr & net->mask) == net->subnet && addr != net->gateway &&
	    !mac_is_multicast(eth->h_source))
		neigh_learn(netid, addr, eth->h_source, bpf_ktime_get_coarse_ns());
}

/* Hand a translated packet to the VM that owns addr, as its gateway would. */
static __always_inline int nat_deliver(struct __sk_buff *skb, __u32 netid,
				       const struct xv_net *net, __be32 addr,
				       const __u8 *fallback_mac, __u64 now,
				       struct xv_stats *s)
{
	struct xv_neigh_key nk = { .net = netid, .addr = addr };
	struct xv_neigh *n = bpf_map_lookup_elem(&xv_neigh, &nk);
	const __u8 *mac = n ? n->mac : fallback_mac;
	__u32 out;

	if (!mac || mac_is_zero(mac)) {
		/*
		 * A VM that has not spoken yet (a forward's target): the host
		 * resolves its MAC on the host adapter, and the frame comes
		 * back into the network through the adapter, marked so that
		 * the adapter's isolation lets it in.
		 */
		struct bpf_redir_neigh nh = { .nh_family = AF_INET,
					      .ipv4_nh = addr };

		STAT_INC(s, nat_in);
		skb->mark = XV_MARK_NAT_IN;
		return bpf_redirect_neigh(net->host_if, &nh, sizeof(nh), 0);
	}
	out = fdb_lookup(netid, mac, now, fdb_ageing_ns());
	if (!out) {
		stats_drop(s, XV_DROP_NAT_NO_ROUTE);
		return TC_ACT_SHOT;
	}
	bpf_skb_store_bytes(skb, 0, mac, ETH_ALEN, 0);
	bpf_skb_store_bytes(skb, ETH_ALEN, net->host_mac, ETH_ALEN, 0);
	STAT_INC(s, nat_in);
	return bpf_redirect(out, 0);
}

/* RFC 1624 incremental update of a checksum stored inside the payload. */
static __always_inline __u16 csum16_add(__u16 check, __u16 from, __u16 to)
{
	__u32 sum = (__u16)~check + (__u16)~from + to;

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

static __always_inline __u16 csum16_add32(__u16 check, __u32 from, __u32 to)
{
	check = csum16_add(check, from >> 16, to >> 16);
	return csum16_add(check, from & 0xffff, to & 0xffff);
}

/* Where the quoted packet of an ICMP error keeps its fields. */
struct nat_quote {
	__u32 ip_off;		/* quoted IP header */
	__u32 port_off;		/* quoted port (or echo id) on our side */
	__u32 csum_off;		/* quoted L4 checksum, 0 if none in view */
	__be32 addr;		/* quoted address on our side */
	__be16 port;
	__be16 peer_port;	/* ... and on the far side (ICMP: 0) */
	__be32 peer_addr;
	__u16 ip_check;		/* quoted IP header checksum */
	__u16 l4_check;
	__u8 proto;
};

/*
 * Read the packet quoted by an ICMP error. our_src: the quoted packet went
 * out from our side (its source is ours), else it came in (its destination).
 */
static __always_inline bool nat_quote_parse(struct __sk_buff *skb,
					    const struct nat_pkt *p,
					    bool our_src, struct nat_quote *q)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	__u32 l4_off = p->l4_off, end = ETH_HLEN + p->tot_len;
	struct iphdr *inner;
	__u32 in_l4;

	if (l4_off > ETH_HLEN + 60)
		return false;
	q->ip_off = l4_off + sizeof(struct icmphdr);
	inner = data + q->ip_off;
	if ((void *)(inner + 1) > data_end || inner->ihl != 5)
		return false;
	in_l4 = q->ip_off + sizeof(struct iphdr);
	/* Only what the quote holds: never bytes past the datagram. */
	if (data + in_l4 + 8 > data_end || in_l4 + 8 > end)
		return false;
	q->proto = inner->protocol;
	q->addr = our_src ? inner->saddr : inner->daddr;
	q->peer_addr = our_src ? inner->daddr : inner->saddr;
	q->peer_port = 0;
	q->ip_check = inner->check;
	q->csum_off = 0;
	switch (q->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		q->port_off = in_l4 + (our_src ? 0 : 2);
		if (q->proto == IPPROTO_UDP)
			q->csum_off = in_l4 + 6;
		else if (data + in_l4 + 18 <= data_end && in_l4 + 18 <= end)
			q->csum_off = in_l4 + 16;
		break;
	case IPPROTO_ICMP:
		q->port_off = in_l4 + 4;
		q->csum_off = in_l4 + 2;
		break;
	default:
		return false;
	}
	if (data + q->port_off + 2 > data_end)
		return false;
	q->port = *(__be16 *)(data + q->port_off);
	if (q->proto != IPPROTO_ICMP)
		q->peer_port = *(__be16 *)(data + in_l4 + (our_src ? 2 : 0));
	q->l4_check = 0;
	if (q->csum_off) {
		if (data + q->csum_off + 2 > data_end)
			return false;
		q->l4_check = *(__u16 *)(data + q->csum_off);
	}
	return true;
}

/*
 * Rewrite the quoted address and port, with the quoted IP and L4 checksums
 * and the ICMP checksum kept right (all three are plain numbers inside the
 * ICMP payload, so RFC 1624 arithmetic, then the ICMP checksum follows).
 */
static __always_inline void nat_quote_rewrite(struct __sk_buff *skb,
					      const struct nat_pkt *p,
					      const struct nat_quote *q,
					      bool our_src, __be32 addr,
					      __be16 port)
{
	__u32 icmp_csum = p->l4_off + 2;
	__u16 ip_check, l4_check;

	ip_check = csum16_add32(q->ip_check, q->addr, addr);
	bpf_skb_store_bytes(skb, q->ip_off + (our_src ?
			    offsetof(struct iphdr, saddr) :
			    offsetof(struct iphdr, daddr)), &addr, 4, 0);
	bpf_l4_csum_replace(skb, icmp_csum, q->addr, addr, 4);
	bpf_skb_store_bytes(skb, q->ip_off + offsetof(struct iphdr, check),
			    &ip_check, 2, 0);
	bpf_l4_csum_replace(skb, icmp_csum, q->ip_check, ip_check, 2);

	bpf_skb_store_bytes(skb, q->port_off, &port, 2, 0);
	bpf_l4_csum_replace(skb, icmp_csum, q->port, port, 2);
	if (q->csum_off && !(q->proto == IPPROTO_UDP && !q->l4_check)) {
		l4_check = q->l4_check;
		if (q->proto != IPPROTO_ICMP)
			l4_check = csum16_add32(l4_check, q->addr, addr);
		l4_check = csum16_add(l4_check, q->port, port);
		bpf_skb_store_bytes(skb, q->csum_off, &l4_check, 2, 0);
		bpf_l4_csum_replace(skb, icmp_csum, q->l4_check, l4_check, 2);
	}
}

/*
 * An ICMP error for one of our mappings: the quoted packet is the one we
 * sent (source = outside address:port). Give it back its inside address and
 * port, and send the error to the VM.
 */
static __always_inline int nat_icmp_error_in(struct __sk_buff *skb,
					     const struct nat_pkt *p,
					     const struct xv_cfg *cfg, __u64 now)
{
	struct nat_quote q;
	struct nat_map m;
	const struct xv_net *net;
	struct xv_stats *s;

	if (!nat_quote_parse(skb, p, true, &q) || q.addr != p->daddr ||
	    !nat_find_in(q.addr, q.port, q.proto, &m))
		return XV_NAT_PASS;
	net = bpf_map_lookup_elem(&xv_net, &m.net);
	if (!net || net->uplink != skb->ifindex)
		return XV_NAT_PASS;
	s = stats_get(m.net);
	nat_count_rx(s, skb);
	nat_quote_rewrite(skb, p, &q, true, m.inside_addr, m.inside_port);
	nat_set_addr(skb, p, false, m.inside_addr);
	STAT_INC(s, nat_icmp_err);
	return nat_deliver(skb, m.net, net, m.inside_addr, NULL, now, s);
}

/*
 * A VM's ICMP error about a packet that came in through a mapping (a
 * forward, or a reply): the quoted packet's destination is the VM. It
 * leaves with the outside address:port quoted and as its source.
 */
static __always_inline int nat_icmp_error_out(struct __sk_buff *skb,
					      const struct nat_pkt *p,
					      const struct xv_cfg *cfg,
					      __be32 outside, __u32 uplink,
					      __u64 now, struct xv_stats *s)
{
	struct nat_quote q;
	struct xv_nat_flow *f;

	/* The flow of the quoted packet says which port it came in on. */
	if (!nat_quote_parse(skb, p, false, &q) || q.addr != p->saddr ||
	    !(f = nat_flow_lookup(q.addr, q.port, q.peer_addr, q.peer_port,
				  q.proto, cfg, now))) {
		stats_drop(s, XV_DROP_NAT_UNSUPPORTED);
		return TC_ACT_SHOT;
	}
	nat_quote_rewrite(skb, p, &q, false, outside, f->outside_port);
	nat_set_addr(skb, p, true, outside);
	STAT_INC(s, nat_icmp_err);
	skb->mark = XV_MARK_FWD;
	return bpf_redirect_neigh(uplink, NULL, 0, 0);
}

/* Later fragments of an inbound datagram whose first fragment we mapped. */
static __always_inline int nat_frag_in(struct __sk_buff *skb,
				       const struct nat_pkt *p, __u64 now)
{
	struct xv_nat_frag_key fk = { .remote = p->saddr, .id = p->ipid,
				      .proto = p->proto };
	struct xv_nat_frag *fr = bpf_map_lookup_elem(&xv_nat_frag, &fk);
	const struct xv_net *net;
	struct xv_stats *s;
	__be32 inside;
	__u32 netid;

	if (!fr)
		return XV_NAT_PASS;
	inside = fr->inside_addr;
	netid = fr->net;
	net = bpf_map_lookup_elem(&xv_net, &netid);
	if (!net)
		return XV_NAT_PASS;
	s = stats_get(netid);
	nat_count_rx(s, skb);
	STAT_INC(s, nat_frag);
	nat_set_addr(skb, p, false, inside);
	return nat_deliver(skb, netid, net, inside, NULL, now, s);
}

/* Uplink ingress: replies and forwarded connections for a nat network. */
static __always_inline int nat_inbound(struct __sk_buff *skb,
				       const struct xv_port *upl)
{
	const struct xv_cfg *cfg = nat_cfg();
	__u64 now = bpf_ktime_get_coarse_ns();
	struct nat_pkt p = {};
	struct nat_map m;
	const struct xv_net *net;
	struct xv_stats *s;
	enum xv_drop why;
	__be32 inside;
	__be16 inside_port;
	__u32 netid;

	if (nat_parse_pull(skb, &p) != NAT_P_OK || p.daddr != upl->addr)
		return XV_NAT_PASS;
	if (p.later_frag)
		return nat_frag_in(skb, &p, now);
	if (p.icmp_error)
		return nat_icmp_error_in(skb, &p, cfg, now);
	if (p.proto == IPPROTO_ICMP && p.icmp_type != ICMP_ECHOREPLY)
		return XV_NAT_PASS;	/* echo requests are for the host */

	if (!nat_find_in(p.daddr, p.dport, p.proto, &m))
		return XV_NAT_PASS;	/* the host's own traffic */
	netid = m.net;
	net = bpf_map_lookup_elem(&xv_net, &netid);
	if (!net || net->uplink != skb->ifindex)
		return XV_NAT_PASS;	/* another uplink's port */
	s = stats_get(netid);
	nat_count_rx(s, skb);
	if (!m.fwd && !(net->flags & XV_NET_NAT_EIF) &&
	    !nat_flow_allows(&m, p.saddr, p.sport, p.proto, cfg, now)) {
		stats_drop(s, XV_DROP_NAT_FILTERED);
		return TC_ACT_SHOT;
	}
	why = nat_flow_touch(&m, p.saddr, p.sport, p.proto, p.tcp_flags, false,
			     cfg, net->max_sessions, now);
	if (why != XV_DROP_MAX) {
		stats_drop(s, why);
		return TC_ACT_SHOT;
	}
	inside = m.inside_addr;
	inside_port = m.inside_port;
	if (p.first_frag) {
		struct xv_nat_frag_key fk = { .remote = p.saddr, .id = p.ipid,
					      .proto = p.proto };
		struct xv_nat_frag fv = { .inside_addr = inside, .net = netid };

		bpf_map_update_elem(&xv_nat_frag, &fk, &fv, BPF_ANY);
		STAT_INC(s, nat_frag);
	}
	nat_set_addr(skb, &p, false, inside);
	nat_set_port(skb, &p, p.dport_off, p.dport, inside_port);
	return nat_deliver(skb, netid, net, inside, NULL, now, s);
}

/*
 * A VM's IPv4 packet to the gateway MAC. XV_NAT_PASS when it is for the
 * host (bridge it to the host adapter); otherwise the tc verdict.
 */
static __always_inline int nat_outbound(struct __sk_buff *skb,
					const struct xv_net *net, __u32 netid,
					struct xv_stats *s)
{
	const struct xv_cfg *cfg = nat_cfg();
	__u64 now = bpf_ktime_get_coarse_ns();
	struct bpf_fib_lookup fib = {};
	struct nat_pkt p = {};
	struct nat_map m, hairpin;
	const struct xv_port *upl;
	struct xv_nat_flow *f;
	__be32 outside, target = 0;
	__be16 target_port = 0, out_port;
	__u32 uplink = net->uplink;
	bool hairpinned = false;
	enum xv_drop why;
	int ret;

	switch (nat_parse_pull(skb, &p)) {
	case NAT_P_NOT_IPV4:
		return XV_NAT_PASS;
	case NAT_P_UNSUPPORTED:
		if ((p.daddr & net->mask) == net->subnet)
			return XV_NAT_PASS;
		stats_drop(s, XV_DROP_NAT_UNSUPPORTED);
		return TC_ACT_SHOT;
	default:
		break;
	}
	if ((p.daddr & net->mask) == net->subnet ||
	    p.daddr == 0xffffffff || (bpf_ntohl(p.daddr) >> 28) == 0xe)
		return XV_NAT_PASS;	/* the host adapter's own segment */
	if ((p.saddr & net->mask) != net->subnet || p.saddr == net->gateway) {
		stats_drop(s, XV_DROP_NAT_UNSUPPORTED);
		return TC_ACT_SHOT;
	}
	upl = port_get(uplink, PORT_UPLINK);
	if (!upl || !upl->addr) {
		stats_drop(s, XV_DROP_NAT_NO_ROUTE);
		return TC_ACT_SHOT;
	}
	outside = upl->addr;

	if (p.daddr == outside) {
		/* Hairpin (RFC 4787 REQ-9): a mapped port on our own address. */
		if (p.later_frag || p.icmp_error || p.proto == IPPROTO_ICMP)
			return XV_NAT_PASS;
		if (!nat_find_in(outside, p.dport, p.proto, &hairpin) ||
		    hairpin.net != netid)
			return XV_NAT_PASS;	/* a service of the host */
		hairpinned = true;
		target = hairpin.inside_addr;
		target_port = hairpin.inside_port;
	} else {
		/* What must fit the uplink's MTU: a GSO packet's segments. */
		nat_fib_params(&fib, p.proto, p.saddr, p.daddr, p.sport,
			       p.dport, net->host_if,
			       skb->gso_size ? p.l4_off - ETH_HLEN + p.l4_hlen +
					       skb->gso_size : p.tot_len);
		ret = bpf_fib_lookup(skb, &fib, sizeof(fib), 0);
		if (ret == BPF_FIB_LKUP_RET_NOT_FWDED)
			return XV_NAT_PASS;	/* a host address */
		/*
		 * Too big for the uplink: the host's forwarding path does what
		 * a router does, fragmentation-needed back for DF (and GSO)
		 * packets, fragments for the rest, which nat_egress then
		 * translates on their way out of the uplink.
		 */
		if (ret == BPF_FIB_LKUP_RET_FRAG_NEEDED) {
			/*
			 * Only where the host would take it out of the
			 * uplink: the lookup that reports the size does not
			 * say where, the one without a size does.
			 */
			fib.tot_len = 0;
			fib.ifindex = net->host_if;
			ret = bpf_fib_lookup(skb, &fib, sizeof(fib), 0);
			if ((ret == BPF_FIB_LKUP_RET_SUCCESS ||
			     ret == BPF_FIB_LKUP_RET_NO_NEIGH ||
			     ret == BPF_FIB_LKUP_RET_FRAG_NEEDED) &&
			    fib.ifindex == uplink)
				return XV_NAT_PASS;
			stats_drop(s, XV_DROP_NAT_NO_ROUTE);
			return TC_ACT_SHOT;
		}
		if ((ret != BPF_FIB_LKUP_RET_SUCCESS &&
		     ret != BPF_FIB_LKUP_RET_NO_NEIGH) || fib.ifindex != uplink) {
			stats_drop(s, XV_DROP_NAT_NO_ROUTE);
			return TC_ACT_SHOT;
		}
	}

	if (p.icmp_error)
		return nat_icmp_error_out(skb, &p, cfg, outside, uplink, now,
					  s);
	if (p.later_frag) {
		/* No ports in it: the source address is all there is to map. */
		nat_set_addr(skb, &p, true, outside);
		STAT_INC(s, nat_out);
		STAT_INC(s, nat_frag);
		skb->mark = XV_MARK_FWD;
		return bpf_redirect_neigh(uplink, NULL, 0, 0);
	}
	if (p.proto == IPPROTO_ICMP && p.icmp_type != ICMP_ECHO) {
		stats_drop(s, XV_DROP_NAT_UNSUPPORTED);
		return TC_ACT_SHOT;
	}

	/*
	 * A live flow holds its port (the collector keeps the ports of live
	 * flows), so between its once-a-second writes the flow's outside port
	 * is all this packet needs.
	 */
	f = hairpinned ? NULL : nat_flow_any(p.saddr, p.sport, p.daddr,
					     p.dport, p.proto);
	if (f && nat_flow_live(f, p.proto, cfg, now) &&
	    !nat_flow_due(f, p.proto, p.tcp_flags, true, now)) {
		out_port = f->outside_port;
	} else {
		if (!nat_map_get(&p, net, netid, outside,
				 f ? bpf_ntohs(f->outside_port) : 0, &m, s))
			return TC_ACT_SHOT;
		why = nat_flow_touch(&m, hairpinned ? target : p.daddr,
				     hairpinned ? target_port : p.dport,
				     p.proto, p.tcp_flags, true, cfg,
				     net->max_sessions, now);
		if (why != XV_DROP_MAX) {
			stats_drop(s, why);
			return TC_ACT_SHOT;
		}
		out_port = m.outside_port;
	}
	nat_set_addr(skb, &p, true, outside);
	nat_set_port(skb, &p, p.sport_off, p.sport, out_port);
	STAT_INC(s, nat_out);
	if (hairpinned) {
		nat_set_addr(skb, &p, false, target);
		nat_set_port(skb, &p, p.dport_off, p.dport, target_port);
		return nat_deliver(skb, netid, net, target, NULL, now, s);
	}
	skb->mark = XV_MARK_FWD;
	return bpf_redirect_neigh(uplink, NULL, 0, 0);
}

/*
 * A VLAN-tagged frame on its way out of a nat uplink: translation handles
 * untagged IPv4 only, so IPv4 with an inside source behind the tags (or
 * anything behind more tags than are looked behind) must not leave.
 */
static __always_inline bool nat_tagged_inside(struct __sk_buff *skb)
{
	struct xv_subnet_key sk = { .prefixlen = 32 };
	const struct iphdr *iph;
	struct ethhdr *eth;
	void *data_end;
	__be16 proto;

	bpf_skb_pull_data(skb, ETH_HLEN + 4 * XV_ISOLATE_TAGS + sizeof(*iph));
	eth = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	if ((void *)(eth + 1) > data_end || !eth_is_vlan(eth->h_proto))
		return false;
	iph = isolate_l3(eth, data_end, &proto);
	if (!iph)
		return false;		/* cut off inside a tag: no packet */
	if (eth_is_vlan(proto))
		return true;		/* too deep to tell */
	if (proto != bpf_htons(ETH_P_IP) || (void *)(iph + 1) > data_end)
		return false;
	sk.addr = iph->saddr;
	return bpf_map_lookup_elem(&xv_subnet, &sk) != NULL;
}

/*
 * The host's own frame leaving a bridge uplink (no nat uplink: nothing
 * translates there): does it carry a nat network's inside source? The host
 * never routes one there itself (the router hands it none to route), but
 * whatever else might, it must not leave.
 */
static __always_inline bool nat_inside_leaving(struct __sk_buff *skb)
{
	struct xv_subnet_key sk = { .prefixlen = 32 };
	struct nat_pkt p = {};

	if (nat_parse(skb, &p) == NAT_P_NOT_IPV4)
		return nat_tagged_inside(skb);
	sk.addr = p.saddr;
	return bpf_map_lookup_elem(&xv_subnet, &sk) != NULL;
}

/*
 * Uplink egress: a packet the host itself routed out of the uplink with an
 * inside source (oversize packets the host fragmented, see nat_outbound).
 * It leaves translated or not at all: no inside address ever leaves an
 * uplink untranslated.
 */
static __always_inline int nat_egress(struct __sk_buff *skb,
				      const struct xv_port *upl)
{
	const struct xv_cfg *cfg = nat_cfg();
	__u64 now = bpf_ktime_get_coarse_ns();
	struct xv_subnet_key sk = { .prefixlen = 32 };
	const struct xv_net *net;
	struct nat_pkt p = {};
	struct nat_map m;
	struct xv_stats *s;
	enum xv_drop why;
	__u32 *netid, id;

	if (nat_parse(skb, &p) == NAT_P_NOT_IPV4)
		return nat_tagged_inside(skb) ? TC_ACT_SHOT : XV_NAT_PASS;
	sk.addr = p.saddr;
	netid = bpf_map_lookup_elem(&xv_subnet, &sk);
	if (!netid)
		return XV_NAT_PASS;	/* the host's own traffic */
	id = *netid;
	net = bpf_map_lookup_elem(&xv_net, &id);
	s = stats_get(id);
	if (!net || !upl->addr || p.icmp_error || p.tot_len == 0)
		goto drop;
	if (p.later_frag) {
		nat_set_addr(skb, &p, true, upl->addr);
		STAT_INC(s, nat_out);
		STAT_INC(s, nat_frag);
		return TC_ACT_OK;
	}
	if (nat_parse(skb, &p) != NAT_P_OK ||
	    (p.proto == IPPROTO_ICMP && p.icmp_type != ICMP_ECHO))
		goto drop;
	if (!nat_map_get(&p, net, id, upl->addr, 0, &m, s))
		return TC_ACT_SHOT;
	why = nat_flow_touch(&m, p.daddr, p.dport, p.proto, p.tcp_flags, true,
			     cfg, net->max_sessions, now);
	if (why != XV_DROP_MAX) {
		stats_drop(s, why);
		return TC_ACT_SHOT;
	}
	nat_set_addr(skb, &p, true, upl->addr);
	nat_set_port(skb, &p, p.sport_off, p.sport, m.outside_port);
	STAT_INC(s, nat_out);
	return TC_ACT_OK;
drop:
	stats_drop(s, XV_DROP_NAT_UNSUPPORTED);
	return TC_ACT_SHOT;
}

#endif
