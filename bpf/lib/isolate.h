/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What may cross the edge of a nat or hostonly network besides translated
 * traffic. The host adapter carries the host's own traffic into
 * the network, never traffic the host routes in from elsewhere (even with
 * ip_forward=1 and a route): IPv4 from it must come from the subnet (the
 * gateway), IPv6 from a link-local address. And a VM's IPv6 to the gateway
 * stays link-local: IPv6 never leaves the network through the host. From a
 * hostonly VM, IPv4 goes only to its own subnet (the gateway included),
 * broadcast and multicast: never anywhere the host could route it, whatever
 * the host's forwarding and masquerade settings. Shared by XDP and tc, so
 * that neither path can bypass it.
 *
 * The rules look behind VLAN tags: the host strips priority tags (VID 0),
 * however many, from what reaches it on the host adapter and routes what
 * they carry as if untagged (and tc sees a frame with its outer tag taken
 * off already). A frame with more tags than are looked behind does not
 * reach the host. (A tagged IPv4 packet the router does not take, the host
 * routes to the nat uplink, whose egress program translates it.)
 */
#ifndef XV_ISOLATE_H
#define XV_ISOLATE_H

#include "lib/parse.h"

static __always_inline bool ipv6_is_link_local(const struct in6_addr *a)
{
	return (a->s6_addr[0] == 0xfe && (a->s6_addr[1] & 0xc0) == 0x80);
}

static __always_inline bool ipv6_is_unspecified(const struct in6_addr *a)
{
	return !(a->s6_addr32[0] | a->s6_addr32[1] | a->s6_addr32[2] |
		 a->s6_addr32[3]);
}

/* VLAN tags looked behind. */
#define XV_ISOLATE_TAGS	2

struct xv_vlan_tag {
	__be16 tci;
	__be16 proto;		/* ethertype of what follows */
};

static __always_inline bool eth_is_vlan(__be16 proto)
{
	return proto == bpf_htons(ETH_P_8021Q) ||
	       proto == bpf_htons(ETH_P_8021AD);
}

/*
 * The network header behind at most XV_ISOLATE_TAGS VLAN tags, its
 * ethertype in *proto (still a VLAN one when there are more tags); NULL
 * when the frame ends inside a tag.
 */
static __always_inline const void *isolate_l3(const struct ethhdr *eth,
					      void *data_end, __be16 *proto)
{
	const struct xv_vlan_tag *tag = (const void *)(eth + 1);
	__be16 p = eth->h_proto;
	int i;

#pragma unroll
	for (i = 0; i < XV_ISOLATE_TAGS; i++) {
		if (!eth_is_vlan(p))
			break;
		if ((void *)(tag + 1) > data_end)
			return NULL;
		p = tag->proto;
		tag++;
	}
	*proto = p;
	return tag;
}

/*
 * XV_DROP_MAX when the frame may pass, else the reason to drop it. tagged:
 * the frame came with a VLAN tag the kernel already took off into the
 * skb's metadata (tc); it would leave through the router tagged.
 */
static __always_inline enum xv_drop
isolate_check(const struct xv_port *port, const struct xv_net *net,
	      const struct ethhdr *eth, void *data_end, bool tagged)
{
	bool to_host;
	const void *l3;
	__be16 proto;

	if (net->mode == XV_MODE_BRIDGE)
		return XV_DROP_MAX;
	l3 = isolate_l3(eth, data_end, &proto);
	if (!l3)
		return XV_DROP_MAX;	/* cut off inside a tag: no packet */

	if (port->flags & XV_PORT_ADAPTER) {
		if (eth_is_vlan(proto))
			return XV_DROP_ROUTED_IN;	/* too deep to tell */
		if (proto == bpf_htons(ETH_P_IP)) {
			const struct iphdr *iph = l3;

			if ((void *)(iph + 1) > data_end)
				return XV_DROP_MAX;
			if ((iph->saddr & net->mask) != net->subnet)
				return XV_DROP_ROUTED_IN;
		} else if (proto == bpf_htons(ETH_P_IPV6)) {
			const struct ipv6hdr *ip6 = l3;

			if ((void *)(ip6 + 1) > data_end)
				return XV_DROP_MAX;
			if (!ipv6_is_link_local(&ip6->saddr) &&
			    !ipv6_is_unspecified(&ip6->saddr))
				return XV_DROP_ROUTED_IN;
		}
		return XV_DROP_MAX;
	}

	to_host = mac_equal(eth->h_dest, net->host_mac);
	if (eth_is_vlan(proto)) {
		if (!to_host)
			return XV_DROP_MAX;
		return net->mode == XV_MODE_HOSTONLY ? XV_DROP_HOSTONLY_OUT :
						       XV_DROP_NAT_UNSUPPORTED;
	}

	/*
	 * IPv4 beyond the subnet: never from a hostonly VM; from a nat VM
	 * only untagged, for the router (which translates untagged frames
	 * only: a tagged one would reach the host's routing, or leave the
	 * uplink in the VM's VLAN).
	 */
	tagged |= eth_is_vlan(eth->h_proto);
	if (proto == bpf_htons(ETH_P_IP) &&
	    (net->mode == XV_MODE_HOSTONLY || (tagged && to_host))) {
		const struct iphdr *iph = l3;

		if ((void *)(iph + 1) > data_end)
			return XV_DROP_MAX;
		if ((iph->daddr & net->mask) != net->subnet &&
		    iph->daddr != 0xffffffff &&
		    (bpf_ntohl(iph->daddr) >> 28) != 0xe)
			return net->mode == XV_MODE_HOSTONLY ?
			       XV_DROP_HOSTONLY_OUT : XV_DROP_NAT_UNSUPPORTED;
	}

	/* From a VM: IPv6 for the host beyond link-local scope would be routed. */
	if (proto == bpf_htons(ETH_P_IPV6) && to_host) {
		const struct ipv6hdr *ip6 = l3;

		if ((void *)(ip6 + 1) > data_end)
			return XV_DROP_MAX;
		if (!ipv6_is_link_local(&ip6->daddr) &&
		    ip6->daddr.s6_addr[0] != 0xff)
			return XV_DROP_IPV6_OUT;
	}
	return XV_DROP_MAX;
}

#endif
