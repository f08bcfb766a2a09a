// SPDX-License-Identifier: GPL-2.0
/*
 * What must hold of every output of a test run, whatever the input. An
 * output ("delivery") is a frame, a device and a direction: the frame a
 * redirect sends (its target from the traced build, trace.h), each clone,
 * the frame a tc ingress program passes into the host stack of its own
 * device (TC_ACT_OK), the frame a tc egress program lets leave its uplink.
 * The rules, from DESIGN.md and issue 6:
 *
 *   cross-network        a frame from a port reaches only ports of its own
 *                        network; the exceptions are NAT's: a nat network's
 *                        packets to its uplink (outbound) or host adapter
 *                        (hairpin, forwards to a silent VM), and from a nat
 *                        uplink to the ports and adapters of nat networks
 *   hostonly-to-uplink   nothing from a hostonly port goes toward an uplink
 *   vm-into-host-stack   a nat or hostonly VM's frame never enters the host
 *                        stack on its VM port (only through the adapter)
 *   hostonly-via-host    a hostonly VM's IPv4 for elsewhere (not subnet,
 *                        broadcast or multicast) never reaches the host
 *                        adapter addressed to the host, which would route it
 *   ipv6-via-host        nor does a nat or hostonly VM's IPv6 beyond
 *                        link-local and multicast scope
 *   routed-untranslated  a nat VM's IPv4 handed to the host for routing
 *                        goes out of no uplink whose egress does not
 *                        translate it (an uplink of bridge networks only)
 *   inside-source-leaves nothing leaves an uplink with an IPv4 source in a
 *                        nat subnet (frames of bridge networks aside: their
 *                        VMs' addresses are their own business)
 *   routed-in            nothing the host routes into a nat or hostonly
 *                        network (through the adapter) reaches a VM
 *   checksum             every output's IPv4 header, TCP, UDP and ICMP
 *                        checksums (the quoted ones of an ICMP error too)
 *                        still add up as they did in the input: a valid
 *                        checksum stays valid through any translation
 *   no-target            every redirect verdict has a recorded target
 *
 * Frames the host's egress could never carry (a malformed IPv4 header: its
 * own stack writes or checks every one it routes) are not judged by the
 * uplink rule; they are counted apart.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/pkt_cls.h>

#include "pf.h"

#define MAX_DELIVERIES	(XVF_EVENTS + 2)
#define PRINT_PER_RULE	3

struct pf_stats pf_stats;

__u64 pf_sum16(__u64 sum, const __u8 *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (__u32)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (__u32)p[len - 1] << 8;
	return sum;
}

__u16 pf_fold(__u64 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

static __u16 get16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

static __u32 get32(const __u8 *p)
{
	return (__u32)p[0] << 24 | (__u32)p[1] << 16 | (__u32)p[2] << 8 | p[3];
}

void pf_hexdump(const char *what, const __u8 *b, size_t len)
{
	size_t i;

	printf("    %s (%zu bytes):", what, len);
	for (i = 0; i < len && i < 256; i++)
		printf("%s%02x", i % 16 ? " " : "\n      ", b[i]);
	printf("%s\n", len > 256 ? " ..." : "");
}

/* ---- frames ------------------------------------------------------------------ */

enum dir {
	D_OUT,		/* sent out of the target device */
	D_INTO,		/* into the target's receive path (BPF_F_INGRESS) */
	D_HOST,		/* passed on into the host stack of the ingress */
};

struct dlv {
	__u32 target;
	enum dir dir;
	const __u8 *b;
	__u32 len;		/* bytes at b */
	bool whole;		/* b is the whole frame (not a clone's head) */
	const char *how;
};

/* The L3 header behind VLAN tags (only VID 0 ones if prio_only). */
static __u32 l3_of(const __u8 *b, __u32 len, bool prio_only, __u16 *type)
{
	__u32 off = 12;
	int tags = 0;

	while (off + 4 <= len && tags < 8) {
		__u16 t = get16(b + off);

		if (t != ETH_P_8021Q && t != ETH_P_8021AD)
			break;
		if (prio_only && (get16(b + off + 2) & 0xfff))
			break;
		off += 4;
		tags++;
	}
	if (off + 2 > len) {
		*type = 0;
		return len;
	}
	*type = get16(b + off);
	return off + 2;
}

static bool in_net(const struct pf_net *n, __u32 addr)
{
	__u32 m = n->prefix ? ~0u << (32 - n->prefix) : 0;

	return n->prefix && (addr & m) == n->subnet;
}

/* ---- reporting ------------------------------------------------------------------ */

static const char *const hook_name[] = { "xdp", "tc-ingress", "tc-egress" };

static void violation(const char *rule, const struct pf_case *c,
		      const struct pf_run *r, const struct dlv *d,
		      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static struct { const char *rule; unsigned long long n; } seen[16];

void pf_check_summary(void)
{
	int i;

	for (i = 0; i < 16 && seen[i].rule; i++)
		printf("  violations of %s: %llu\n", seen[i].rule, seen[i].n);
}

static void violation(const char *rule, const struct pf_case *c,
		      const struct pf_run *r, const struct dlv *d,
		      const char *fmt, ...)
{
	unsigned int i;
	va_list ap;

	pf_stats.violations++;
	for (i = 0; i < 16 && seen[i].rule && strcmp(seen[i].rule, rule); i++)
		;
	if (i < 16 && !seen[i].rule)
		seen[i].rule = rule;
	if (i < 16 && seen[i].n++ >= PRINT_PER_RULE) {
		if (seen[i].n == PRINT_PER_RULE + 1)
			printf("  (further %s violations counted, not shown)\n",
			       rule);
		return;
	}
	printf("  VIOLATION %s: %s on %u (%s%s), verdict %d", rule,
	       hook_name[r->hook], c->ifindex, c->what,
	       c->mutated ? ", mutated" : "", r->ret);
	if (d)
		printf(", %s to %u (%s): ", d->how, d->target,
		       d->dir == D_OUT ? "out" : d->dir == D_INTO ? "into" :
		       "host stack");
	else
		printf(": ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	pf_hexdump("input", c->f.b, c->f.len);
	if (d)
		pf_hexdump(d->whole ? "output" : "output (head of a clone)",
			   d->b, d->len);
}

/* ---- deliveries ------------------------------------------------------------------- */

static int deliveries(const struct pf_case *c, const struct pf_run *r,
		      struct dlv *d)
{
	const struct xvf_trace *t = r->trace;
	__u32 n = t->n < XVF_EVENTS ? t->n : XVF_EVENTS, i;
	const struct xvf_event *last = NULL;
	int k = 0;

	if (t->n > XVF_EVENTS)
		pf_stats.trace_overflow++;
	if (r->hook == HOOK_XDP) {
		for (i = 0; i < n; i++)
			if (t->ev[i].kind == XVF_MAP && t->ev[i].ret == XDP_REDIRECT)
				last = &t->ev[i];
		if (r->ret == XDP_REDIRECT && !last)
			violation("no-target", c, r, NULL,
				  "XDP_REDIRECT without a recorded redirect");
		if (r->ret == XDP_REDIRECT && last)
			d[k++] = (struct dlv){ last->ifindex, D_OUT, r->out->b,
					       r->out->len, true, "xdp redirect" };
		if (r->ret == XDP_TX)
			d[k++] = (struct dlv){ c->ifindex, D_OUT, r->out->b,
					       r->out->len, true, "xdp tx" };
		return k;
	}
	for (i = 0; i < n; i++) {
		const struct xvf_event *e = &t->ev[i];

		if (e->kind == XVF_CLONE && e->ret == 0)
			d[k++] = (struct dlv){ e->ifindex,
				(e->flags & BPF_F_INGRESS) ? D_INTO : D_OUT,
				e->snap, e->len < XVF_SNAP ? e->len : XVF_SNAP,
				e->len <= XVF_SNAP, "clone" };
		if ((e->kind == XVF_REDIRECT || e->kind == XVF_NEIGH ||
		     e->kind == XVF_PEER) && e->ret == TC_ACT_REDIRECT)
			last = e;
	}
	if (r->ret == TC_ACT_REDIRECT && !last)
		violation("no-target", c, r, NULL,
			  "TC_ACT_REDIRECT without a recorded redirect");
	if (r->ret == TC_ACT_REDIRECT && last)
		d[k++] = (struct dlv){ last->ifindex,
			(last->kind == XVF_REDIRECT && (last->flags & BPF_F_INGRESS)) ?
			D_INTO : D_OUT, r->out->b, r->out->len, true,
			last->kind == XVF_NEIGH ? "redirect_neigh" :
			last->kind == XVF_PEER ? "redirect_peer" : "redirect" };
	if (r->ret == TC_ACT_OK || r->ret == TC_ACT_UNSPEC ||
	    r->ret == TC_ACT_PIPE)
		d[k++] = (struct dlv){ c->ifindex, r->hook == HOOK_TC_EGRESS ?
			D_OUT : D_HOST, r->out->b, r->out->len, true, "pass" };
	return k;
}

/* ---- the rules ---------------------------------------------------------------------- */

static bool target_allowed(const struct pf_case *c, const struct dlv *d)
{
	const struct pf_dev *s = pf_dev(c->ifindex), *t = pf_dev(d->target);
	__u32 sn = s ? s->net : 0;
	int i;

	if (d->target == c->ifindex)
		return true;
	if (c->egress)
		return t && t->flags && sn && t->net == sn;
	if (t && t->flags && sn && t->net == sn)
		return true;
	for (i = 1; i < PF_NETS; i++) {
		const struct pf_net *m = &pf_nets[i];

		if (m->mode != XV_MODE_NAT || d->dir != D_OUT)
			continue;
		if (sn == m->id &&
		    (d->target == m->uplink || d->target == m->host_if))
			return true;
		/*
		 * Inbound through any nat uplink: its egress translates
		 * whatever the host routes out of it from any nat subnet,
		 * so its replies may be for any nat network.
		 */
		if (s && (s->flags & XV_PORT_NAT_UPLINK) &&
		    (d->target == m->host_if ||
		     (t && t->flags && t->net == m->id)))
			return true;
	}
	return false;
}

static void check_target(const struct pf_case *c, const struct pf_run *r,
			 const struct dlv *d)
{
	const struct pf_dev *s = pf_dev(c->ifindex), *t = pf_dev(d->target);
	const struct pf_net *sn = s ? pf_net(s->net) : NULL;

	if (sn && sn->mode == XV_MODE_HOSTONLY && !c->egress &&
	    pf_is_uplink(d->target))
		violation("hostonly-to-uplink", c, r, d, "from network %u",
			  sn->id);
	else if (!target_allowed(c, d))
		violation("cross-network", c, r, d,
			  "from a port of network %u to %s of network %u",
			  s ? s->net : 0, t && t->flags ? "a port" :
			  "a device that is no port", t ? t->net : 0);
}

/* A nat or hostonly VM's frame handed to the host: what would it route? */
static void check_to_host(const struct pf_case *c, const struct pf_run *r,
			  const struct dlv *d, const struct pf_net *n)
{
	const struct pf_dev *h = pf_dev(n->host_if);
	__u32 l3, daddr, mtu, via;
	const __u8 *ip;
	__u16 type;

	if (d->dir != D_OUT || d->len < ETH_HLEN ||
	    (d->target != n->adapter && d->target != n->host_if))
		return;
	/* Only frames for the host's own MAC are routed (redirect_neigh: any) */
	if (d->target == n->adapter && memcmp(d->b, h->mac, 6))
		return;
	l3 = l3_of(d->b, d->len, true, &type);
	ip = d->b + l3;
	if (type == ETH_P_IPV6 && l3 + 40 <= d->len) {
		const __u8 *da = ip + 24;
		static const __u8 zero[16];

		if (da[0] != 0xff && !(da[0] == 0xfe && (da[1] & 0xc0) == 0x80) &&
		    memcmp(da, zero, 15))
			violation("ipv6-via-host", c, r, d,
				  "IPv6 to a global destination handed to the host");
		return;
	}
	if (type != ETH_P_IP || l3 + 20 > d->len || (ip[0] >> 4) != 4)
		return;
	daddr = get32(ip + 16);
	if (in_net(n, daddr) || daddr == 0xffffffff || (daddr >> 28) == 0xe)
		return;
	if (n->mode == XV_MODE_HOSTONLY) {
		violation("hostonly-via-host", c, r, d,
			  "IPv4 to %u.%u.%u.%u handed to the host", ip[16],
			  ip[17], ip[18], ip[19]);
		return;
	}
	if (pf_host_addr(daddr))
		return;
	via = pf_route(daddr, &mtu);
	if (!pf_is_uplink(via) ||
	    (pf_dev(via)->flags & XV_PORT_NAT_UPLINK))
		return;		/* an adapter, or a nat uplink's egress */
	if ((get16(ip + 6) & 0x4000) && get16(ip + 2) > mtu)
		return;		/* the host answers fragmentation-needed */
	violation("routed-untranslated", c, r, d,
		  "IPv4 to %u.%u.%u.%u handed to the host, which routes it out of uplink %u untranslated",
		  ip[16], ip[17], ip[18], ip[19], via);
}

/* An IPv4 header the host's own stack could have routed out. */
static bool host_could_send(const struct pf_frame *f)
{
	__u32 l3, hl, tot;
	const __u8 *ip;
	__u16 type;

	l3 = l3_of(f->b, f->len, false, &type);
	if (type != ETH_P_IP)
		return true;
	ip = f->b + l3;
	if (l3 + 20 > f->len || (ip[0] >> 4) != 4 || (ip[0] & 15) < 5)
		return false;
	hl = (ip[0] & 15) * 4u;
	tot = get16(ip + 2);
	if (l3 + hl > f->len || tot < hl || l3 + tot != f->len)
		return false;
	return pf_fold(pf_sum16(0, ip, hl)) == 0xffff;
}

static void check_leaving(const struct pf_case *c, const struct pf_run *r,
			  const struct dlv *d)
{
	const struct pf_dev *s = pf_dev(c->ifindex);
	const struct pf_net *sn = s ? pf_net(s->net) : NULL, *in;
	bool leaves = (d->dir == D_OUT && pf_is_uplink(d->target)) ||
		      (c->egress && d->dir == D_OUT && d->target == c->ifindex);
	__u32 l3;
	__u16 type;

	if (!leaves || (!c->egress && sn && sn->mode == XV_MODE_BRIDGE))
		return;
	l3 = l3_of(d->b, d->len, false, &type);
	if (type != ETH_P_IP || l3 + 20 > d->len || (d->b[l3] >> 4) != 4)
		return;
	in = pf_nat_net_of(get32(d->b + l3 + 12));
	if (!in)
		return;
	if (c->egress && !host_could_send(&c->f)) {
		pf_stats.implausible_egress++;
		return;
	}
	violation("inside-source-leaves", c, r, d,
		  "source %u.%u.%u.%u of nat network %u leaves uplink %u",
		  d->b[l3 + 12], d->b[l3 + 13], d->b[l3 + 14], d->b[l3 + 15],
		  in->id, d->target);
}

static void check_routed_in(const struct pf_case *c, const struct pf_run *r,
			    const struct dlv *d, const struct pf_net *n)
{
	const struct pf_dev *t = pf_dev(d->target);
	__u32 l3;
	__u16 type;
	const __u8 *ip;

	if (!t || !(t->flags & XV_PORT_VM) || d->dir != D_OUT)
		return;
	l3 = l3_of(d->b, d->len, false, &type);
	ip = d->b + l3;
	if (type == ETH_P_IP && l3 + 20 <= d->len && (ip[0] >> 4) == 4 &&
	    !in_net(n, get32(ip + 12)))
		violation("routed-in", c, r, d,
			  "IPv4 from %u.%u.%u.%u into network %u", ip[12],
			  ip[13], ip[14], ip[15], n->id);
	if (type == ETH_P_IPV6 && l3 + 40 <= d->len) {
		static const __u8 zero[16];
		const __u8 *sa = ip + 8;

		if (!(sa[0] == 0xfe && (sa[1] & 0xc0) == 0x80) &&
		    memcmp(sa, zero, 16))
			violation("routed-in", c, r, d,
				  "IPv6 from beyond link-local into network %u",
				  n->id);
	}
}

/* ---- checksums ------------------------------------------------------------------------ */

static bool sums_equal(__u64 a, __u64 b)
{
	return pf_fold(a) % 0xffff == pf_fold(b) % 0xffff;
}

static __u64 pseudo(const __u8 *ip, __u8 proto, __u32 len)
{
	return pf_sum16(0, ip + 12, 8) + proto + len;
}

/*
 * The L4 checksum sum over the visible part of one datagram (an outer one
 * or a quoted one): equal in input and output means whatever rewrote it
 * kept the checksum right, whether or not all of it is in view.
 */
static const char *l4_compare(const __u8 *ii, const __u8 *oi, __u32 hl,
			      __u32 vis, __u32 l4len)
{
	const __u8 *li = ii + hl, *lo = oi + hl;

	switch (ii[9]) {
	case IPPROTO_TCP:
		if (vis >= 18 && !sums_equal(pseudo(ii, 6, l4len) + pf_sum16(0, li, vis),
					     pseudo(oi, 6, l4len) + pf_sum16(0, lo, vis)))
			return "TCP";
		break;
	case IPPROTO_UDP:
		if (vis < 8)
			break;
		if (!get16(li + 6) != !get16(lo + 6))
			return "UDP (zero / non-zero)";
		if (get16(li + 6) &&
		    !sums_equal(pseudo(ii, 17, l4len) + pf_sum16(0, li, vis),
				pseudo(oi, 17, l4len) + pf_sum16(0, lo, vis)))
			return "UDP";
		break;
	case IPPROTO_ICMP:
		if (vis >= 4 && !sums_equal(pf_sum16(0, li, vis),
					    pf_sum16(0, lo, vis)))
			return "ICMP";
		break;
	}
	return NULL;
}

static void check_csum(const struct pf_case *c, const struct pf_run *r,
		       const struct dlv *d)
{
	__u32 li, lo, hl, tot, vis, qhl, qtot, qvis;
	const __u8 *ii, *oi, *qi, *qo;
	__u16 ti, to;
	bool short_dgram;
	const char *bad;

	if (!d->whole || (d->len == c->f.len && !memcmp(d->b, c->f.b, d->len)))
		return;
	li = l3_of(c->f.b, c->f.len, false, &ti);
	lo = l3_of(d->b, d->len, false, &to);
	if (ti != ETH_P_IP || to != ETH_P_IP || li != lo || li + 20 > c->f.len ||
	    lo + 20 > d->len)
		return;
	ii = c->f.b + li;
	oi = d->b + lo;
	hl = (ii[0] & 15) * 4u;
	if ((ii[0] >> 4) != 4 || hl < 20 || ii[0] != oi[0] || ii[9] != oi[9] ||
	    li + hl > c->f.len || lo + hl > d->len)
		return;
	if (memcmp(ii + 12, oi + 12, 8) ||
	    (c->f.len >= li + hl + 4 && d->len >= lo + hl + 4 &&
	     memcmp(ii + hl, oi + hl, 4))) {
		pf_stats.translated++;
		if (pf_fold(pf_sum16(0, ii, hl)) != 0xffff)
			pf_stats.bad_input_csum++;
	}
	if (!sums_equal(pf_sum16(0, ii, hl), pf_sum16(0, oi, hl)))
		violation("checksum", c, r, d, "the IPv4 header checksum no longer adds up");
	if (get16(ii + 6) & 0x1fff)
		return;		/* a later fragment: no L4 header */
	tot = get16(ii + 2);
	if (tot < hl || tot != get16(oi + 2))
		return;
	vis = tot;
	if (li + vis > c->f.len)
		vis = c->f.len - li;
	if (lo + vis > d->len)
		vis = d->len - lo;
	vis -= hl;
	short_dgram = li + tot < c->f.len;
	bad = l4_compare(ii, oi, hl, vis, tot - hl);
	if (bad)
		violation("checksum", c, r, d, "the %s checksum no longer adds up%s",
			  bad, short_dgram ? " (bytes past the IPv4 total length rewritten)" : "");
	/* An ICMP error: the datagram it quotes. */
	if (ii[9] != IPPROTO_ICMP || vis < 8 + 20 ||
	    (ii[hl] != 3 && ii[hl] != 11 && ii[hl] != 12))
		return;
	qi = ii + hl + 8;
	qo = oi + hl + 8;
	qvis = vis - 8;
	qhl = (qi[0] & 15) * 4u;
	if ((qi[0] >> 4) != 4 || qhl < 20 || qhl > qvis || qi[0] != qo[0] ||
	    qi[9] != qo[9])
		return;
	if (!sums_equal(pf_sum16(0, qi, qhl), pf_sum16(0, qo, qhl)))
		violation("checksum", c, r, d,
			  "the quoted IPv4 header checksum no longer adds up");
	qtot = get16(qi + 2);
	if ((get16(qi + 6) & 0x1fff) || qtot < qhl || qtot != get16(qo + 2))
		return;
	if (qvis > qtot)
		qvis = qtot;
	bad = l4_compare(qi, qo, qhl, qvis - qhl, qtot - qhl);
	if (bad)
		violation("checksum", c, r, d,
			  "the quoted %s checksum no longer adds up%s", bad,
			  short_dgram ? " (bytes past the IPv4 total length rewritten)" : "");
}

/* ---- one run ------------------------------------------------------------------------------ */

void pf_check(const struct pf_case *c, const struct pf_run *r)
{
	const struct pf_dev *s = pf_dev(c->ifindex);
	const struct pf_net *sn = s ? pf_net(s->net) : NULL;
	struct dlv d[MAX_DELIVERIES];
	int n, i;

	n = deliveries(c, r, d);
	for (i = 0; i < n; i++) {
		pf_stats.deliveries++;
		check_target(c, r, &d[i]);
		check_leaving(c, r, &d[i]);
		check_csum(c, r, &d[i]);
		if (c->egress || !sn || sn->mode == XV_MODE_BRIDGE)
			continue;
		if (s->flags & XV_PORT_VM) {
			if (d[i].dir == D_HOST)
				violation("vm-into-host-stack", c, r, &d[i],
					  "network %u", sn->id);
			check_to_host(c, r, &d[i], sn);
		}
		if (s->flags & XV_PORT_ADAPTER)
			check_routed_in(c, r, &d[i], sn);
	}
}
