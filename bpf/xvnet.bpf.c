// SPDX-License-Identifier: GPL-2.0
/*
 * Entry points of the xvnet datapath. Each is thin: it finds the port and its
 * network, asks the shared bridge logic for a verdict, and acts on it in the
 * way its hook allows.
 *
 *   xv_xdp_port      XDP on a port: learn, redirect known unicast through
 *                    the devmap, translate packets of live NAT flows both
 *                    ways (nat_xdp.h); everything else goes on to tc
 *                    (XDP_PASS).
 *   xv_tc_ingress    tc ingress on every port: the complete bridge (forward,
 *                    flood by cloning, deliver into the host stack), and NAT
 *                    (outbound on VM ports, inbound on nat uplinks).
 *   xv_tc_egress     tc egress on an uplink: bridged, frames the host itself
 *                    sends on the LAN also reach the VMs behind it; nat,
 *                    what the host routes out from inside is translated.
 *   xv_gc_start      run once by the loader: arms the NAT collector (gc.h).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "xvnet.h"
#include "lib/maps.h"
#include "lib/stats.h"
#include "lib/port.h"
#include "lib/parse.h"
#include "lib/fdb.h"
#include "lib/csum.h"
#include "lib/bridge.h"
#include "lib/isolate.h"
#include "lib/nat.h"
#include "lib/nat_xdp.h"
#include "lib/gc.h"

char LICENSE[] SEC("license") = "GPL";

/* Frames XDP finishes itself (dropped or redirected) are counted here; the
 * rest are counted by tc, which sees them next. */
static __always_inline void xdp_count_rx(struct xv_stats *s, __u64 len)
{
	if (s) {
		s->rx_packets++;
		s->rx_bytes += len;
	}
}

SEC("xdp")
int xv_xdp_port(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u32 in = ctx->ingress_ifindex, out = 0, out_flags = 0;
	enum xv_drop why = XV_DROP_RUNT;
	enum xv_verdict verdict;
	struct xv_port *port;
	struct xv_net *net;
	struct xv_stats *s;
	__u64 now, ageing_ns;
	bool learn_neigh, wrote = false;
	long ret;

	port = port_get(in, PORT_IN);
	if (!port)
		return XDP_PASS;
	if (port->flags & XV_PORT_NAT_UPLINK) {
		ret = nat_xdp_inbound(ctx, port);
		if (ret != XV_NAT_PASS)
			return ret;
	}
	if (!port->net)
		return XDP_PASS;
	net = bpf_map_lookup_elem(&xv_net, &port->net);
	if (!net)
		return XDP_PASS;
	s = stats_get(port->net);
	if ((void *)(eth + 1) > data_end)
		goto drop;
	why = isolate_check(port, net, eth, data_end, false);
	if (why == XV_DROP_ROUTED_IN)
		goto to_tc;	/* maybe our own NAT delivery: tc sees the mark */
	if (why == XV_DROP_MAX)
		why = guard_frame(port, net, eth, data_end, in);
	if (why != XV_DROP_MAX)
		goto drop;
	now = bpf_ktime_get_coarse_ns();
	ageing_ns = fdb_ageing_ns();
	why = bridge_learn(port, net, eth, in, now, ageing_ns, s, &wrote);
	if (why != XV_DROP_MAX)
		goto drop;
	/* As in tc: whoever writes the FDB entry learns the MAC behind the
	 * VM's address (tc will not: the entry is fresh when it sees it). */
	learn_neigh = net->mode == XV_MODE_NAT && (port->flags & XV_PORT_VM) &&
		      wrote;
	/* For the gateway: translated here, or routed by tc, never bridged. */
	if (!mac_is_multicast(eth->h_dest) && bridge_to_router(port, net, eth)) {
		if (learn_neigh)
			learn_inside_neigh(port->net, net, eth, data_end);
		ret = nat_xdp_outbound(ctx, port, net, s);
		if (ret == XV_NAT_PASS)
			goto to_tc;
		xdp_count_rx(s, data_end - data);
		return ret;
	}
	verdict = bridge_forward(port, net, eth, in, now, ageing_ns, &out,
				 &out_flags, &why);
	if (verdict == XV_V_DROP)
		goto drop;
	if (learn_neigh)
		learn_inside_neigh(port->net, net, eth, data_end);
	if (verdict != XV_V_FORWARD ||
	    !(out_flags & XV_PORT_XDP_TARGET))
		goto to_tc;
	if ((port->flags & XV_PORT_CSUM_VERIFY) && !xdp_csum_complete(ctx)) {
		STAT_INC(s, csum_pass);
		goto to_tc;
	}
	ret = bpf_redirect_map(&xv_tx, out, 0);
	if (ret != XDP_REDIRECT)	/* not in the devmap: let tc do it */
		goto to_tc;
	xdp_count_rx(s, data_end - data);
	STAT_INC(s, fwd_xdp);
	return XDP_REDIRECT;
drop:
	xdp_count_rx(s, data_end - data);
	stats_drop(s, why);
	return XDP_DROP;
to_tc:
	STAT_INC(s, xdp_pass);
	return XDP_PASS;
}

SEC("tc")
int xv_tc_ingress(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	__u32 in = skb->ifindex, out = 0, out_flags = 0;
	enum xv_drop why = XV_DROP_MAX;
	enum xv_verdict verdict;
	struct xv_port *port;
	struct xv_net *net;
	struct xv_stats *s;
	__u64 now, ageing_ns;
	bool learn_neigh, wrote = false;

	/* Our own delivery into the host stack: it is the host's now. */
	if (skb->mark == XV_MARK_HOST) {
		skb->mark = 0;
		return TC_ACT_OK;
	}
	port = port_get(in, PORT_IN);
	if (port && (port->flags & XV_PORT_NAT_UPLINK)) {
		int ret = nat_inbound(skb, port);

		if (ret != XV_NAT_PASS)
			return ret;
		data = (void *)(long)skb->data;
		data_end = (void *)(long)skb->data_end;
		eth = data;
	}
	if (!port || !port->net)
		return TC_ACT_OK;
	net = bpf_map_lookup_elem(&xv_net, &port->net);
	if (!net)
		return TC_ACT_OK;
	s = stats_get(port->net);
	if (s) {
		s->rx_packets++;
		s->rx_bytes += skb->len;
	}
	if ((void *)(eth + 1) > data_end) {
		stats_drop(s, XV_DROP_RUNT);
		return TC_ACT_SHOT;
	}
	if (skb->mark == XV_MARK_NAT_IN && (port->flags & XV_PORT_ADAPTER) &&
	    net->mode == XV_MODE_NAT)
		skb->mark = 0;	/* our own inbound NAT delivery, see nat_deliver */
	else
		why = isolate_check(port, net, eth, data_end,
				    skb->vlan_present);
	if (why == XV_DROP_MAX)
		why = guard_frame(port, net, eth, data_end, in);
	if (why != XV_DROP_MAX) {
		stats_drop(s, why);
		return TC_ACT_SHOT;
	}
	now = bpf_ktime_get_coarse_ns();
	ageing_ns = fdb_ageing_ns();
	why = bridge_learn(port, net, eth, in, now, ageing_ns, s, &wrote);
	if (why != XV_DROP_MAX) {
		stats_drop(s, why);
		return TC_ACT_SHOT;
	}
	/*
	 * The MAC behind a VM's address is learned when its FDB entry is
	 * written (at most once a second), not looked up on every frame.
	 */
	learn_neigh = net->mode == XV_MODE_NAT && (port->flags & XV_PORT_VM) &&
		 wrote;
	if (!mac_is_multicast(eth->h_dest) && bridge_to_router(port, net, eth)) {
		/*
		 * For the gateway: the router first; what it does not take,
		 * the bridge carries on to the host adapter.
		 */
		int ret;

		if (learn_neigh)
			learn_inside_neigh(port->net, net, eth, data_end);
		ret = nat_outbound(skb, net, port->net, s);
		if (ret != XV_NAT_PASS)
			return ret;
		/* Read again: the router may have moved the packet data. */
		data = (void *)(long)skb->data;
		data_end = (void *)(long)skb->data_end;
		eth = data;
		if ((void *)(eth + 1) > data_end)
			return TC_ACT_SHOT;
		verdict = bridge_forward(port, net, eth, in, now, ageing_ns,
					 &out, &out_flags, &why);
	} else {
		verdict = bridge_forward(port, net, eth, in, now, ageing_ns,
					 &out, &out_flags, &why);
		/* Only a frame the bridge accepts may teach where an address
		 * lives. */
		if (verdict != XV_V_DROP && learn_neigh)
			learn_inside_neigh(port->net, net, eth, data_end);
	}
	switch (verdict) {
	case XV_V_FORWARD:
		STAT_INC(s, fwd_tc);
		if (out == net->uplink)
			skb->mark = XV_MARK_FWD;
		return bpf_redirect(out, 0);
	case XV_V_HOST:
		if (in == net->uplink)
			return TC_ACT_OK;
		STAT_INC(s, to_host);
		skb->mark = XV_MARK_HOST;
		return bpf_redirect(net->uplink, BPF_F_INGRESS);
	case XV_V_FLOOD:
		if (!guard_flood_ok(port, in, bpf_ktime_get_coarse_ns())) {
			stats_drop(s, XV_DROP_FLOOD_LIMIT);
			return TC_ACT_SHOT;
		}
		STAT_INC(s, flood);
		bridge_flood(skb, net, in, s);
		if (net->mode != XV_MODE_BRIDGE)
			return TC_ACT_SHOT;	/* the adapter got its copy */
		if (in == net->uplink)
			return TC_ACT_OK;	/* the host is on the LAN too */
		if (net->uplink)
			bridge_clone_to_host(skb, net, s);
		return TC_ACT_SHOT;
	case XV_V_DROP:
	default:
		stats_drop(s, why);
		return TC_ACT_SHOT;
	}
}

SEC("tc")
int xv_tc_egress(struct __sk_buff *skb)
{
	__u32 in = skb->ifindex, out;
	void *data, *data_end;
	struct ethhdr *eth;
	struct xv_port *port, *target;
	struct xv_net *net;
	struct xv_stats *s;

	/* A VM's frame we redirected out of this uplink: not the host's. */
	if (skb->mark == XV_MARK_FWD) {
		skb->mark = 0;
		return TC_ACT_OK;
	}
	port = port_get(in, PORT_EGRESS);
	if (port && (port->flags & XV_PORT_NAT_UPLINK)) {
		int ret = nat_egress(skb, port);

		if (ret != XV_NAT_PASS)
			return ret;
	}
	if (!port || !port->net || !(port->flags & XV_PORT_UPLINK))
		return TC_ACT_OK;
	if (!(port->flags & XV_PORT_NAT_UPLINK) && nat_inside_leaving(skb)) {
		s = stats_get(port->net);
		stats_drop(s, XV_DROP_NAT_UNSUPPORTED);
		return TC_ACT_SHOT;
	}
	/* Read after NAT, which may have moved the packet data. */
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	eth = data;
	net = bpf_map_lookup_elem(&xv_net, &port->net);
	if (!net || (void *)(eth + 1) > data_end)
		return TC_ACT_OK;
	s = stats_get(port->net);

	if (!mac_is_multicast(eth->h_dest)) {
		out = fdb_lookup(port->net, eth->h_dest,
				 bpf_ktime_get_coarse_ns(), fdb_ageing_ns());
		if (out == in)
			return TC_ACT_OK;	/* a LAN host */
		if (out) {
			target = port_get(out, PORT_EGRESS_TARGET);
			if (target && target->net == port->net) {
				STAT_INC(s, from_host);
				return bpf_redirect(out, 0);
			}
		}
	}
	/* Broadcast, multicast, unknown: the VMs get a copy, the LAN the frame. */
	STAT_INC(s, from_host);
	bridge_flood(skb, net, in, s);
	return TC_ACT_OK;
}

/* A tc program only because the collector's helpers are those of tc. */
SEC("tc")
int xv_gc_start(struct __sk_buff *skb)
{
	return gc_start();
}
