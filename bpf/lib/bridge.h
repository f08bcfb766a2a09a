/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The L2 bridge decision shared by the XDP and tc programs: learn the source
 * (bridge_learn), hand a frame for a nat network's gateway to the router
 * first (bridge_to_router, nat.h), then say where the frame goes
 * (bridge_forward: one port, every port, the host stack, or nowhere and
 * why). The caller turns the verdict into its own actions; only tc can
 * flood (clone) or deliver into the host stack, so XDP hands those verdicts
 * to tc with XDP_PASS.
 */
#ifndef XV_BRIDGE_H
#define XV_BRIDGE_H

#include <linux/pkt_cls.h>
#include "lib/fdb.h"
#include "lib/port.h"
#include "lib/guard.h"

enum xv_verdict {
	XV_V_DROP,	/* drop, reason in *why */
	XV_V_FORWARD,	/* to one port: *out_ifindex, its flags in *out_flags */
	XV_V_FLOOD,	/* broadcast, multicast, unknown unicast */
	XV_V_HOST,	/* addressed to the host's own MAC */
};

/*
 * Check the frame's source MAC and learn it; XV_DROP_MAX when the frame may
 * go on, else why not. *wrote: the FDB entry was written (a new MAC, a
 * move, or its once-a-second refresh).
 */
static __always_inline enum xv_drop bridge_learn(const struct xv_port *port,
						 const struct xv_net *net,
						 const struct ethhdr *eth,
						 __u32 in, __u64 now,
						 __u64 ageing_ns,
						 struct xv_stats *s, bool *wrote)
{
	struct xv_fdb_val *src;
	struct xv_fdb_slot *c;
	struct fdb_at at;
	enum xv_drop why;

	if (mac_is_multicast(eth->h_source) || mac_is_zero(eth->h_source))
		return XV_DROP_BAD_SRC;
	fdb_at(&at, port->net, eth->h_source);
	c = fdb_copy(&at);
	/* The common case: learned on this port within the second. */
	if (c && c->ifindex == in && now - c->seen_ns < XV_FDB_REFRESH_NS)
		return XV_DROP_MAX;
	src = bpf_map_lookup_elem(&xv_fdb, &at.key);
	if (port->flags & XV_PORT_VM) {
		why = guard_source(port, net, eth->h_source, in, now,
				   ageing_ns, src);
		if (why != XV_DROP_MAX)
			return why;
	}
	*wrote = fdb_learn(&at.key, in, now, src, s);
	/* Not written: src is fresh on this very port (fdb_learn). */
	fdb_copy_set(&at, in, *wrote ? now : src->seen_ns);
	return XV_DROP_MAX;
}

/* A VM's unicast frame to a nat network's gateway: for the router first. */
static __always_inline bool bridge_to_router(const struct xv_port *port,
					     const struct xv_net *net,
					     const struct ethhdr *eth)
{
	return net->mode == XV_MODE_NAT && !(port->flags & XV_PORT_ADAPTER) &&
	       mac_equal(eth->h_dest, net->host_mac);
}

/* Where a learned frame goes by its destination MAC. */
static __always_inline enum xv_verdict
bridge_forward(const struct xv_port *port, const struct xv_net *net,
	       const struct ethhdr *eth, __u32 in, __u64 now, __u64 ageing_ns,
	       __u32 *out_ifindex, __u32 *out_flags, enum xv_drop *why)
{
	struct xv_port *target;
	__u32 ifindex;

	if (mac_is_multicast(eth->h_dest))
		return XV_V_FLOOD;
	if (net->mode == XV_MODE_BRIDGE && net->uplink &&
	    mac_equal(eth->h_dest, net->host_mac))
		return XV_V_HOST;

	ifindex = fdb_lookup(port->net, eth->h_dest, now, ageing_ns);
	if (!ifindex)
		return XV_V_FLOOD;
	if (ifindex == in) {
		*why = XV_DROP_SAME_PORT;
		return XV_V_DROP;
	}
	target = port_get(ifindex, PORT_TARGET);
	if (!target || !target->net)	/* port gone since it was learned */
		return XV_V_FLOOD;
	if (target->net != port->net) {
		*why = XV_DROP_CROSS_NET;
		return XV_V_DROP;
	}
	*out_ifindex = ifindex;
	*out_flags = target->flags;
	return XV_V_FORWARD;
}

/*
 * Clone the frame to every member port of the network but skip. Frames
 * cloned out of the uplink are marked so that the uplink's egress program
 * lets them pass instead of treating them as the host's own.
 */
static __always_inline void bridge_flood(struct __sk_buff *skb,
					 const struct xv_net *net, __u32 skip,
					 struct xv_stats *s)
{
	__u32 nports = net->nports;
	__u32 i;

	for (i = 0; i < XV_MAX_PORTS; i++) {
		__u32 ifindex;

		if (i >= nports)
			break;
		ifindex = net->ports[i];
		if (!ifindex || ifindex == skip)
			continue;
		if (ifindex == net->uplink)
			skb->mark = XV_MARK_FWD;
		if (bpf_clone_redirect(skb, ifindex, 0))
			stats_drop(s, XV_DROP_REDIRECT);
		skb->mark = 0;
	}
}

/* Clone the frame into the host stack through the uplink's receive path. */
static __always_inline void bridge_clone_to_host(struct __sk_buff *skb,
						 const struct xv_net *net,
						 struct xv_stats *s)
{
	skb->mark = XV_MARK_HOST;
	if (bpf_clone_redirect(skb, net->uplink, BPF_F_INGRESS))
		stats_drop(s, XV_DROP_REDIRECT);
	else
		STAT_INC(s, to_host);
	skb->mark = 0;
}

#endif
