/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a VM port may send, and how much of it. A guest is not trusted:
 *
 *  - source MACs: never the host's (the gateway's, or a bridged uplink's);
 *    a port with a lock sends only from its locked MAC; with spoofcheck
 *    only from the MAC it was first learned with, until that entry ages
 *    out or moves, and never from a MAC live behind another port;
 *    otherwise from at most max_macs MACs at once.
 *    The MACs a port holds are slots in its xv_guard entry; a slot counts
 *    while the FDB has its MAC fresh on this port, so ageing, moves and the
 *    FDB's own recycling free it without bookkeeping. Only a MAC the FDB
 *    does not know fresh on the port costs a scan of the slots; a port that
 *    is full rescans at most every XV_GUARD_RESCAN_NS, so a guest flooding
 *    random source MACs costs one lookup a frame;
 *  - IPv4 sources and ARP sender addresses: a port with a locked address
 *    uses that one only (any mode); with spoofcheck in nat and hostonly
 *    networks, an address of the subnet that is neither the gateway, nor
 *    the network or broadcast address, nor locked to another port; 0.0.0.0
 *    only for a DHCP client's request;
 *  - with spoofcheck or a locked address, an ARP sender MAC that is the
 *    frame's source; with spoofcheck, no DHCP server messages;
 *  - floods (broadcast, multicast, unknown unicast): flood_pps a second.
 *
 * IPv6 sources are not checked (IPv6 never leaves nat and hostonly
 * networks, see isolate.h).
 */
#ifndef XV_GUARD_H
#define XV_GUARD_H

#include <linux/udp.h>
#include "lib/fdb.h"
#include "lib/isolate.h"

#define XV_NS_PER_SEC	1000000000ULL

/* The value a port's xv_guard entry starts from. */
static const struct xv_guard xv_guard_zero;

static __always_inline __u64 mac_pack(const __u8 *m)
{
	return (__u64)m[0] << 40 | (__u64)m[1] << 32 | (__u64)m[2] << 24 |
	       (__u64)m[3] << 16 | (__u64)m[4] << 8 | m[5];
}

static __always_inline void mac_unpack(__u64 v, __u8 *m)
{
	m[0] = v >> 40;
	m[1] = v >> 32;
	m[2] = v >> 24;
	m[3] = v >> 16;
	m[4] = v >> 8;
	m[5] = v;
}

static __always_inline struct xv_guard *guard_get(__u32 ifindex)
{
	struct xv_guard *g = bpf_map_lookup_elem(&xv_guard, &ifindex);

	if (g)
		return g;
	bpf_map_update_elem(&xv_guard, &ifindex, &xv_guard_zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&xv_guard, &ifindex);
}

struct guard_scan {
	struct xv_guard *g;
	__u64 mac, now, ageing_ns;
	__u32 net, ifindex, max;
	int match, free;
};

/* Does the port still hold slot MAC m (the FDB has it fresh there)? */
static __always_inline bool guard_slot_live(const struct guard_scan *c,
					    __u64 m)
{
	struct xv_fdb_key key = { .net = c->net };
	struct xv_fdb_val *cur;

	mac_unpack(m, key.mac);
	cur = bpf_map_lookup_elem(&xv_fdb, &key);
	return cur && cur->ifindex == c->ifindex &&
	       c->now - cur->seen_ns <= c->ageing_ns;
}

static long guard_scan_slot(__u32 i, void *arg)
{
	struct guard_scan *c = arg;
	__u64 m;

	if (i >= c->max)
		return 1;
	/* Keep the mask: the verifier must see the index bounded here. */
	asm volatile("%0 &= %1" : "+r"(i) : "i"(XV_MAX_MACS - 1));
	m = c->g->macs[i];
	if (m == c->mac) {
		c->match = i;
		return 1;
	}
	if (c->free < 0 && (!m || !guard_slot_live(c, m)))
		c->free = i;
	return 0;
}

/*
 * A source MAC the FDB does not have fresh on this VM port: may the port
 * take it? XV_DROP_MAX if so (it then holds a slot for it).
 */
static __always_inline enum xv_drop
guard_new_mac(const struct xv_port *port, const __u8 *mac, __u32 in,
	      __u64 now, __u64 ageing_ns)
{
	bool spoofcheck = port->flags & XV_PORT_SPOOFCHECK;
	enum xv_drop why = spoofcheck ? XV_DROP_SPOOF_MAC : XV_DROP_MAC_LIMIT;
	struct guard_scan c = {
		.mac = mac_pack(mac), .now = now, .ageing_ns = ageing_ns,
		.net = port->net, .ifindex = in, .match = -1, .free = -1,
	};

	c.max = spoofcheck ? 1 : port->max_macs;
	if (!c.max)
		return XV_DROP_MAX;
	if (c.max > XV_MAX_MACS)
		c.max = XV_MAX_MACS;
	c.g = guard_get(in);
	if (!c.g)
		return XV_DROP_MAX;	/* table full: limits off, never traffic */
	if (c.g->full_ns && now - c.g->full_ns < XV_GUARD_RESCAN_NS)
		return why;
	bpf_loop(c.max, guard_scan_slot, &c, 0);
	if (c.match >= 0)
		return XV_DROP_MAX;
	if (c.free >= 0) {
		__u32 i = c.free;

		asm volatile("%0 &= %1" : "+r"(i) : "i"(XV_MAX_MACS - 1));
		c.g->macs[i] = c.mac;
		c.g->full_ns = 0;
		return XV_DROP_MAX;
	}
	c.g->full_ns = now;
	return why;
}

/*
 * The source MAC of a frame from VM port in; cur is its FDB entry (or
 * NULL). XV_DROP_MAX when the port may send from it.
 */
static __always_inline enum xv_drop
guard_source(const struct xv_port *port, const struct xv_net *net,
	     const __u8 *mac, __u32 in, __u64 now, __u64 ageing_ns,
	     const struct xv_fdb_val *cur)
{
	bool fresh = cur && now - cur->seen_ns <= ageing_ns;

	/* The host's (gateway's) MAC is never a guest's. */
	if (mac_equal(mac, net->host_mac))
		return XV_DROP_SPOOF_MAC;
	if (port->flags & XV_PORT_LOCK_MAC)
		return mac_equal(mac, port->lock_mac) ? XV_DROP_MAX :
							XV_DROP_SPOOF_MAC;
	if (!(port->flags & XV_PORT_SPOOFCHECK) && !port->max_macs)
		return XV_DROP_MAX;
	if (fresh && cur->ifindex == in)
		return XV_DROP_MAX;	/* held already: the common case */
	/* With spoofcheck, a MAC live behind another port is that VM's. */
	if (fresh && (port->flags & XV_PORT_SPOOFCHECK))
		return XV_DROP_SPOOF_MAC;
	return guard_new_mac(port, mac, in, now, ageing_ns);
}

/*
 * May a VM port of a nat or hostonly network use IPv4 address a as its own?
 * (A port with a locked address is checked against that alone.)
 */
static __always_inline bool guard_addr_ok(const struct xv_port *port,
					  const struct xv_net *net, __be32 a,
					  __u32 in)
{
	struct xv_lock_key key = { .net = port->net, .addr = a };
	__u32 *owner;

	if ((a & net->mask) != net->subnet || a == net->gateway ||
	    a == net->subnet || a == (net->subnet | ~net->mask))
		return false;
	if (!(net->flags & XV_NET_ADDR_LOCKS))
		return true;	/* no lookup a frame where nothing is locked */
	owner = bpf_map_lookup_elem(&xv_lock, &key);
	return !owner || *owner == in;
}

/* A DHCP client's request before it has an address: 0.0.0.0:68 -> :67. */
static __always_inline bool udp_ports(const struct iphdr *iph, void *data_end,
				      __u16 *sport, __u16 *dport)
{
	const struct udphdr *udp;
	__u32 ihl = iph->ihl * 4;

	if (iph->protocol != IPPROTO_UDP || ihl < sizeof(*iph) ||
	    (iph->frag_off & bpf_htons(0x1fff)))
		return false;
	udp = (const void *)iph + (ihl & 0x3c);
	if ((void *)(udp + 1) > data_end)
		return false;
	*sport = bpf_ntohs(udp->source);
	*dport = bpf_ntohs(udp->dest);
	return true;
}

/* ARP for IPv4 over Ethernet: sender MAC at 8, sender address at 14. */
#define XV_ARP_LEN	28

/* May a VM port send from IPv4 address a (not 0.0.0.0)? */
static __always_inline bool guard_source_addr(const struct xv_port *port,
					      const struct xv_net *net,
					      __be32 a, __u32 in)
{
	if (port->lock_addr)
		return a == port->lock_addr;
	if (!(port->flags & XV_PORT_SPOOFCHECK) || net->mode == XV_MODE_BRIDGE)
		return true;
	return guard_addr_ok(port, net, a, in);
}

/*
 * The layer-3 rules of a VM port's frame (spoofcheck, or a locked
 * address). XV_DROP_MAX when it may pass.
 */
static __always_inline enum xv_drop
guard_frame(const struct xv_port *port, const struct xv_net *net,
	    const struct ethhdr *eth, void *data_end, __u32 in)
{
	bool spoofcheck = port->flags & XV_PORT_SPOOFCHECK;
	__u16 sport = 0, dport = 0;
	const void *l3;
	__be16 proto;

	if (!(port->flags & XV_PORT_VM) || (!spoofcheck && !port->lock_addr))
		return XV_DROP_MAX;
	l3 = isolate_l3(eth, data_end, &proto);
	if (!l3)
		return XV_DROP_MAX;
	/*
	 * More tags than are looked behind: receivers strip priority tags
	 * however many (isolate.h), so what they carry cannot go unchecked.
	 */
	if (eth_is_vlan(proto))
		return XV_DROP_SPOOF_IP;
	if (proto == bpf_htons(ETH_P_IP)) {
		const struct iphdr *iph = l3;
		bool udp;

		if ((void *)(iph + 1) > data_end)
			return XV_DROP_MAX;
		udp = udp_ports(iph, data_end, &sport, &dport);
		if (spoofcheck && udp && sport == 67)
			return XV_DROP_ROGUE_DHCP;
		if (!iph->saddr)
			return udp && sport == 68 && dport == 67 ?
			       XV_DROP_MAX : XV_DROP_SPOOF_IP;
		return guard_source_addr(port, net, iph->saddr, in) ?
		       XV_DROP_MAX : XV_DROP_SPOOF_IP;
	}
	if (proto == bpf_htons(ETH_P_ARP)) {
		const __u8 *arp = l3;
		__be32 spa;

		if ((void *)(arp + XV_ARP_LEN) > data_end)
			return XV_DROP_MAX;
		if (!mac_equal(arp + 8, eth->h_source))
			return XV_DROP_SPOOF_ARP;
		__builtin_memcpy(&spa, arp + 14, 4);
		if (spa && !guard_source_addr(port, net, spa, in))
			return XV_DROP_SPOOF_ARP;
	}
	return XV_DROP_MAX;
}

/* May VM port in start one more flood this second? */
static __always_inline bool guard_flood_ok(const struct xv_port *port,
					   __u32 in, __u64 now)
{
	struct xv_guard *g;

	if (!port->flood_pps || !(port->flags & XV_PORT_VM))
		return true;
	g = guard_get(in);
	if (!g)
		return true;
	if (now - g->flood_win_ns >= XV_NS_PER_SEC) {
		g->flood_win_ns = now;
		g->flood_count = 0;
	}
	if (g->flood_count >= port->flood_pps)
		return false;
	__sync_fetch_and_add(&g->flood_count, 1);
	return true;
}

#endif
