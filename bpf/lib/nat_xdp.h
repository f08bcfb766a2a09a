/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The NAT fast path in XDP. A packet of a live mapping and flow is
 * translated where it arrives and redirected straight to where it goes:
 * outbound from a VM port to the uplink, inbound from the uplink to the
 * VM's port. Only the plain case is done here:
 *
 *  - untagged IPv4 without options, not a fragment; TCP without SYN, FIN
 *    or RST (opening and closing are the state machine's, in tc), UDP,
 *    ICMP echo requests out and replies in;
 *  - a complete L4 checksum (verified first on virtual devices, as for
 *    bridging: a partial one cannot survive an XDP redirect);
 *  - a live mapping and a live flow to this remote endpoint, so the
 *    filtering decision is already made;
 *  - outbound: the host routes it out of the uplink, its next hop is
 *    resolved and it fits the MTU; inbound: the FDB knows the VM's port;
 *    either way a target XDP may redirect to.
 *
 * Everything else goes on to tc (XDP_PASS), which does the whole job on
 * the same tables: new mappings and flows, TCP state changes, ICMP errors,
 * fragments, forwards to a silent VM, hairpin, and every drop with its
 * reason. The frame is changed only once the redirect is set up, so a
 * frame handed to tc is always the one that arrived.
 */
#ifndef XV_NAT_XDP_H
#define XV_NAT_XDP_H

#include "lib/nat.h"
#include "lib/csum.h"

/* What the fast path reads of a plain packet. */
struct nat_xdp_pkt {
	__be32 saddr, daddr;
	__be16 sport, dport;	/* ICMP echo: the id in both */
	__u8 proto;
	__u8 tcp_flags;
};

/*
 * A plain packet (see above) whose ICMP, if any, is of type echo_type;
 * false for anything tc must see.
 */
static __always_inline bool nat_xdp_parse(struct ethhdr *eth, void *data_end,
					  __u8 echo_type, struct nat_xdp_pkt *p)
{
	struct iphdr *iph = (void *)(eth + 1);
	void *l4 = iph + 1;
	__u32 tot;

	if (eth->h_proto != bpf_htons(ETH_P_IP) ||
	    (void *)(iph + 1) > data_end || iph->version != 4 || iph->ihl != 5 ||
	    (iph->frag_off & bpf_htons(IP_MF_BIT | IP_OFFSET_MASK)))
		return false;
	tot = bpf_ntohs(iph->tot_len);
	/* The datagram lies within the frame; what follows is padding. */
	if (tot < sizeof(*iph) + 8 || (void *)iph + tot > data_end)
		return false;
	p->saddr = iph->saddr;
	p->daddr = iph->daddr;
	p->proto = iph->protocol;
	switch (p->proto) {
	case IPPROTO_TCP: {
		struct tcphdr *th = l4;

		if ((void *)(th + 1) > data_end ||
		    tot < sizeof(*iph) + sizeof(*th))
			return false;
		p->tcp_flags = ((__u8 *)th)[13];
		if (p->tcp_flags & (TCP_FLAG_FIN | TCP_FLAG_SYN | TCP_FLAG_RST))
			return false;
		p->sport = th->source;
		p->dport = th->dest;
		return true;
	}
	case IPPROTO_UDP: {
		struct udphdr *uh = l4;

		if ((void *)(uh + 1) > data_end)
			return false;
		p->sport = uh->source;
		p->dport = uh->dest;
		return true;
	}
	case IPPROTO_ICMP: {
		struct icmphdr *ih = l4;

		if ((void *)(ih + 1) > data_end || ih->type != echo_type)
			return false;
		p->sport = ih->un.echo.id;
		p->dport = ih->un.echo.id;
		return true;
	}
	default:
		return false;
	}
}

/*
 * Give the packet a new source (src) or destination address and port, its
 * checksums updated incrementally (RFC 1624): the IPv4 header's, and the
 * L4 one, which covers the addresses too for TCP and UDP. A UDP checksum
 * of 0 means none and stays so; a computed 0 is sent as 0xffff.
 */
static __always_inline void nat_xdp_rewrite(struct iphdr *iph, void *data_end,
					    bool src, __be32 to_addr,
					    __be16 to_port)
{
	void *l4 = iph + 1;
	__be32 from_addr = src ? iph->saddr : iph->daddr;
	__u16 check;

	iph->check = csum16_add32(iph->check, from_addr, to_addr);
	if (src)
		iph->saddr = to_addr;
	else
		iph->daddr = to_addr;

	switch (iph->protocol) {
	case IPPROTO_TCP: {
		struct tcphdr *th = l4;
		__be16 *port;

		if ((void *)(th + 1) > data_end)
			return;
		port = src ? &th->source : &th->dest;
		check = csum16_add32(th->check, from_addr, to_addr);
		th->check = csum16_add(check, *port, to_port);
		*port = to_port;
		return;
	}
	case IPPROTO_UDP: {
		struct udphdr *uh = l4;
		__be16 *port;

		if ((void *)(uh + 1) > data_end)
			return;
		port = src ? &uh->source : &uh->dest;
		if (uh->check) {
			check = csum16_add32(uh->check, from_addr, to_addr);
			check = csum16_add(check, *port, to_port);
			uh->check = check ? check : 0xffff;
		}
		*port = to_port;
		return;
	}
	case IPPROTO_ICMP: {
		struct icmphdr *ih = l4;

		if ((void *)(ih + 1) > data_end)
			return;
		ih->checksum = csum16_add(ih->checksum, ih->un.echo.id, to_port);
		ih->un.echo.id = to_port;
		return;
	}
	}
}

/*
 * Both directions are global functions, which the verifier checks once on
 * their own: inlined, their branches would multiply those of the bridge.
 */

/*
 * A VM's packet to the gateway MAC, arrived on port of network net.
 * XDP_REDIRECT when it left translated, XV_NAT_PASS for tc.
 */
__attribute__((noinline)) int nat_xdp_outbound(struct xdp_md *ctx,
					       const struct xv_port *port,
					       const struct xv_net *net,
					       struct xv_stats *s)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u64 now = bpf_ktime_get_coarse_ns();
	struct bpf_fib_lookup fib = {};
	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);
	struct nat_xdp_pkt p = {};
	const struct xv_port *upl;
	const struct xv_cfg *cfg;
	struct xv_nat_flow *f;
	__u32 uplink;
	__be32 outside;
	bool due;

	/* (a global function's pointers may be NULL as far as it knows) */
	if (!port || !net || net->mode != XV_MODE_NAT)
		return XV_NAT_PASS;
	uplink = net->uplink;
	if ((void *)(iph + 1) > data_end ||
	    !nat_xdp_parse(eth, data_end, ICMP_ECHO, &p))
		return XV_NAT_PASS;
	if ((p.daddr & net->mask) == net->subnet || p.daddr == 0xffffffff ||
	    (bpf_ntohl(p.daddr) >> 28) == 0xe ||
	    (p.saddr & net->mask) != net->subnet || p.saddr == net->gateway)
		return XV_NAT_PASS;
	upl = port_get(uplink, PORT_UPLINK);
	if (!upl || !upl->addr || !(upl->flags & XV_PORT_XDP_TARGET))
		return XV_NAT_PASS;
	outside = upl->addr;
	if (p.daddr == outside)
		return XV_NAT_PASS;	/* hairpin, or the host's own service */
	if ((port->flags & XV_PORT_CSUM_VERIFY) && !xdp_csum_complete(ctx)) {
		STAT_INC(s, csum_pass);
		return XV_NAT_PASS;
	}

	/*
	 * One lookup finds the flow, and the outside port with it: a live
	 * flow holds its port (the collector keeps the ports of live flows).
	 */
	cfg = nat_cfg();
	f = nat_flow_lookup(p.saddr, p.sport, p.daddr, p.dport, p.proto, cfg,
			    now);
	if (!f)
		return XV_NAT_PASS;
	due = nat_flow_due(f, p.proto, p.tcp_flags, true, now);

	nat_fib_params(&fib, p.proto, p.saddr, p.daddr, p.sport, p.dport,
		       net->host_if, bpf_ntohs(iph->tot_len));
	if (bpf_fib_lookup(ctx, &fib, sizeof(fib), 0) !=
	    BPF_FIB_LKUP_RET_SUCCESS || fib.ifindex != uplink)
		return XV_NAT_PASS;
	if (bpf_redirect_map(&xv_tx, uplink, 0) != XDP_REDIRECT)
		return XV_NAT_PASS;

	if (due)
		nat_flow_seen(f, p.proto, p.tcp_flags, true, now);

	nat_xdp_rewrite(iph, data_end, true, outside, f->outside_port);
	mac_copy(eth->h_dest, fib.dmac);
	mac_copy(eth->h_source, fib.smac);
	STAT_INC(s, nat_out);
	STAT_INC(s, nat_xdp);
	return XDP_REDIRECT;
}

/*
 * A frame arriving on nat uplink upl: a reply of a live flow goes to its
 * VM. XDP_REDIRECT when it did, XV_NAT_PASS for tc.
 */
__attribute__((noinline)) int nat_xdp_inbound(struct xdp_md *ctx,
					      const struct xv_port *upl)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u64 now = bpf_ktime_get_coarse_ns();
	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);
	struct nat_xdp_pkt p = {};
	struct xv_neigh_key nk = {};
	const struct xv_port *target;
	const struct xv_net *net;
	const struct xv_cfg *cfg;
	struct xv_nat_flow *f;
	struct nat_map m;
	struct xv_neigh *n;
	struct xv_stats *s;
	__u8 mac[ETH_ALEN];
	__u32 netid, out;
	bool due;

	if (!upl || !(upl->flags & XV_PORT_NAT_UPLINK))
		return XV_NAT_PASS;
	if ((void *)(iph + 1) > data_end ||
	    !nat_xdp_parse(eth, data_end, ICMP_ECHOREPLY, &p) ||
	    p.daddr != upl->addr)
		return XV_NAT_PASS;
	/*
	 * The outside port names its inside endpoint (xv_nat_port); a live
	 * flow of that endpoint with this remote, on this port, proves the
	 * mapping lives.
	 */
	if (!nat_find_in(p.daddr, p.dport, p.proto, &m))
		return XV_NAT_PASS;
	cfg = nat_cfg();
	f = nat_flow_find(&m, p.saddr, p.sport, p.proto, cfg, now);
	if (!f)
		return XV_NAT_PASS;	/* filtering, or a new flow: tc */
	netid = m.net;
	net = bpf_map_lookup_elem(&xv_net, &netid);
	if (!net || net->uplink != ctx->ingress_ifindex)
		return XV_NAT_PASS;
	due = nat_flow_due(f, p.proto, p.tcp_flags, false, now);

	nk.net = netid;
	nk.addr = m.inside_addr;
	n = bpf_map_lookup_elem(&xv_neigh, &nk);
	if (!n)
		return XV_NAT_PASS;
	mac_copy(mac, n->mac);
	out = fdb_lookup(netid, mac, now, fdb_ageing_ns());
	if (!out)
		return XV_NAT_PASS;
	target = port_get(out, PORT_TARGET);
	if (!target || target->net != netid ||
	    !(target->flags & XV_PORT_XDP_TARGET))
		return XV_NAT_PASS;
	if ((upl->flags & XV_PORT_CSUM_VERIFY) && !xdp_csum_complete(ctx))
		return XV_NAT_PASS;
	if (bpf_redirect_map(&xv_tx, out, 0) != XDP_REDIRECT)
		return XV_NAT_PASS;

	s = stats_get(netid);
	if (s) {
		s->rx_packets++;
		s->rx_bytes += data_end - data;
	}
	if (due)
		nat_flow_seen(f, p.proto, p.tcp_flags, false, now);

	nat_xdp_rewrite(iph, data_end, false, m.inside_addr, m.inside_port);
	mac_copy(eth->h_dest, mac);
	mac_copy(eth->h_source, net->host_mac);
	STAT_INC(s, nat_in);
	STAT_INC(s, nat_xdp);
	return XDP_REDIRECT;
}

#endif
