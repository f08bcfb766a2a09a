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

/* XV_DROP_MAX when the frame may pass, else the reason to drop it. */
static __always_inline enum xv_drop
isolate_check(const struct xv_port *port, const struct xv_net *net,
	      const struct ethhdr *eth, void *data_end)
{
	if (net->mode == XV_MODE_BRIDGE)
		return XV_DROP_MAX;

	if (port->flags & XV_PORT_ADAPTER) {
		if (eth->h_proto == bpf_htons(ETH_P_IP)) {
			const struct iphdr *iph = (const void *)(eth + 1);

			if ((void *)(iph + 1) > data_end)
				return XV_DROP_MAX;
			if ((iph->saddr & net->mask) != net->subnet)
				return XV_DROP_ROUTED_IN;
		} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
			const struct ipv6hdr *ip6 = (const void *)(eth + 1);

			if ((void *)(ip6 + 1) > data_end)
				return XV_DROP_MAX;
			if (!ipv6_is_link_local(&ip6->saddr) &&
			    !ipv6_is_unspecified(&ip6->saddr))
				return XV_DROP_ROUTED_IN;
		}
		return XV_DROP_MAX;
	}

	if (net->mode == XV_MODE_HOSTONLY &&
	    eth->h_proto == bpf_htons(ETH_P_IP)) {
		const struct iphdr *iph = (const void *)(eth + 1);

		if ((void *)(iph + 1) > data_end)
			return XV_DROP_MAX;
		if ((iph->daddr & net->mask) != net->subnet &&
		    iph->daddr != 0xffffffff &&
		    (bpf_ntohl(iph->daddr) >> 28) != 0xe)
			return XV_DROP_HOSTONLY_OUT;
	}

	/* From a VM: IPv6 for the host beyond link-local scope would be routed. */
	if (eth->h_proto == bpf_htons(ETH_P_IPV6) &&
	    mac_equal(eth->h_dest, net->host_mac)) {
		const struct ipv6hdr *ip6 = (const void *)(eth + 1);

		if ((void *)(ip6 + 1) > data_end)
			return XV_DROP_MAX;
		if (!ipv6_is_link_local(&ip6->daddr) &&
		    ip6->daddr.s6_addr[0] != 0xff)
			return XV_DROP_IPV6_OUT;
	}
	return XV_DROP_MAX;
}

#endif
