/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one set of definitions shared by the BPF programs and the loader:
 * limits, map value layouts, port flags, counters and drop reasons.
 * Fixed-width types and explicit padding only; sizes are asserted so that a
 * change here cannot silently disagree between the two sides.
 */
#ifndef XVNET_H
#define XVNET_H

#include <linux/types.h>
#include <linux/bpf.h>		/* struct bpf_timer */

#define XV_MAX_NETS	64	/* network ids 1..63; 0 means "no network" */
#define XV_MAX_PORTS	64	/* member ports of one network (its flood list) */
#define XV_MAX_IFINDEX_PORTS 1024 /* entries of the port table */
#define XV_PORT_CACHE_WAYS 16	/* per-CPU copies of ports, per role */
#define XV_PORT_CACHE_SLOTS (5 * XV_PORT_CACHE_WAYS)
#define XV_FDB_CACHE_BITS 8	/* per-CPU copies of FDB entries: 256 */
#define XV_FDB_SIZE	16384	/* learned MACs, all networks together */
#define XV_NAME_LEN	16	/* IFNAMSIZ */

/* Pinned map names (the kernel keeps 15 characters). */
#define XV_MAP_PORT	"xv_port"
#define XV_MAP_NET	"xv_net"
#define XV_MAP_FDB	"xv_fdb"
#define XV_MAP_TX	"xv_tx"
#define XV_MAP_CFG	"xv_cfg"
#define XV_MAP_STATS	"xv_stats"
#define XV_MAP_NAT_FLOW	"xv_nat_flow"
#define XV_MAP_NEIGH	"xv_neigh"
#define XV_MAP_SUBNET	"xv_subnet"
#define XV_MAP_GUARD	"xv_guard"
#define XV_MAP_NAT_COUNT "xv_nat_count"
#define XV_MAP_LOCK	"xv_lock"
#define XV_MAP_GEN	"xv_gen"
#define XV_MAP_GC	"xv_gc"
#define XV_NAT_SIZE	65536	/* flows, all networks together (default) */
/* [global] nat_sessions: the flow table's size instead (preallocated) */
#define XV_NAT_SESSIONS_MIN	1024
#define XV_NAT_SESSIONS_MAX	4194304

enum xv_mode {
	XV_MODE_NONE = 0,
	XV_MODE_BRIDGE = 1,
	XV_MODE_NAT = 2,
	XV_MODE_HOSTONLY = 3,
};

/* struct xv_port.flags: datapath role of a port. */
#define XV_PORT_VM		(1u << 0)  /* faces a VM (tap, veth) */
#define XV_PORT_UPLINK		(1u << 1)  /* the network's uplink NIC */
#define XV_PORT_XDP_TARGET	(1u << 2)  /* in xv_tx: XDP may redirect to it */
#define XV_PORT_CSUM_VERIFY	(1u << 3)  /* virtual device: frames may carry
					    * a partial checksum, XDP must verify
					    * before it redirects */
#define XV_PORT_ADAPTER		(1u << 4)  /* peer of a host adapter (nat,
					    * hostonly): the host side of the
					    * network */
#define XV_PORT_NAT_UPLINK	(1u << 5)  /* uplink of a nat network: its
					    * ingress translates replies; addr
					    * is the outside address */
#define XV_PORT_SPOOFCHECK	(1u << 6)  /* VM port: one source MAC (or the
					    * locked one); nat, hostonly: its
					    * IPv4 and ARP checked too */
#define XV_PORT_LOCK_MAC	(1u << 7)  /* VM port: lock_mac is the only
					    * source MAC it may send from */
/* struct xv_port.flags: what the loader did, so that down can undo it. */
#define XV_PORT_ATT_XDP		(1u << 8)  /* XDP link pinned as link_xdp_IFNAME */
#define XV_PORT_ATT_XDP_SKB	(1u << 9)  /* ... in generic (skb) mode */
#define XV_PORT_ATT_TC_IN	(1u << 10) /* tc ingress filter */
#define XV_PORT_ATT_TC_OUT	(1u << 11) /* tc egress filter (uplinks) */
#define XV_PORT_OWN_CLSACT	(1u << 12) /* clsact qdisc created by xvnet */
#define XV_PORT_SET_PROMISC	(1u << 13) /* promiscuity raised by xvnet */
#define XV_PORT_OWN_LINK	(1u << 14) /* host adapter veth created by
					    * xvnet: down deletes it */

/* xv_port: key is the ifindex (in the namespace the datapath serves). */
struct xv_port {
	__u32 net;		/* network id, 0 = not a member */
	__u32 flags;		/* XV_PORT_* */
	char name[XV_NAME_LEN];	/* interface name when attached */
	__be32 addr;		/* NAT_UPLINK: outside IPv4 address */
	__u32 flood_pps;	/* VM: floods a second it may start, 0 = any */
	__u8 lock_mac[6];	/* VM with XV_PORT_LOCK_MAC */
	__u16 max_macs;		/* VM: source MACs learned at once, 0 = any */
	__be32 lock_addr;	/* VM, nat/hostonly: its only IPv4 source, 0 =
				 * any of the subnet's host addresses */
	__u32 pad;
};

/*
 * xv_guard: a VM port's run-time limits state, key its ifindex, created
 * by the datapath on first use. macs[] are the source MACs the port holds,
 * packed in 48 bits (0 = free); one counts while the FDB still has it
 * fresh on this port, so ageing, moves and LRU recycling free it.
 */
#define XV_MAX_MACS	256	/* highest max_macs */
#define XV_GUARD_RESCAN_NS 100000000ULL	/* a full port rescans this rarely */

struct xv_guard {
	__u64 flood_win_ns;	/* start of the current one-second window */
	__u32 flood_count;	/* floods started in it */
	__u32 pad;
	__u64 full_ns;		/* last time a new MAC found no free slot */
	__u64 macs[XV_MAX_MACS];
};

/* xv_lock: (network, IPv4) -> the only port that may use that source. */
#define XV_LOCK_SIZE	4096
struct xv_lock_key {
	__u32 net;
	__be32 addr;
};

/* struct xv_net.flags */
#define XV_NET_NAT_EIF		(1u << 0)  /* endpoint-independent filtering */
#define XV_NET_ADDR_LOCKS	(1u << 1)  /* some port has a locked IPv4
					    * address: xv_lock has entries */

/* xv_net: key is the network id. */
struct xv_net {
	__u32 mode;		/* enum xv_mode */
	__u32 uplink;		/* ifindex of the uplink, 0 if none */
	__u8 host_mac[6];	/* bridge: the uplink's MAC, host stack behind it;
				 * nat/hostonly: the host adapter's (gateway) MAC */
	__u16 nports;		/* valid entries in ports[] */
	__u32 ports[XV_MAX_PORTS]; /* every member ifindex, uplink included */
	char name[XV_NAME_LEN];
	/* nat and hostonly */
	__be32 subnet;		/* network address */
	__be32 mask;		/* netmask */
	__be32 gateway;		/* the host adapter's address */
	__u32 host_if;		/* ifindex of the host adapter's host side */
	__u32 adapter;		/* ifindex of its peer, a member port */
	__u16 nat_lo, nat_hi;	/* nat: outside port range, host order */
	__u32 flags;		/* XV_NET_* */
	__u32 max_sessions;	/* nat: flows a VM address may hold, 0 = any */
};

/* xv_fdb: learned MAC -> port, per network. */
struct xv_fdb_key {
	__u32 net;
	__u8 mac[6];
	__u16 pad;
};

struct xv_fdb_val {
	__u32 ifindex;		/* port the MAC was last seen on */
	__u32 pad;
	__u64 seen_ns;		/* bpf_ktime_get_ns() of the last refresh */
};

/* xv_cfg: key 0, run-time knobs changed by reload. */
struct xv_cfg {
	__u64 ageing_ns;	/* FDB entries older than this are ignored */
	__u64 netns_cookie;	/* namespace whose ifindexes the maps hold */
	__u64 udp_ns;		/* NAT session timeouts */
	__u64 tcp_est_ns;
	__u64 tcp_trans_ns;
	__u64 icmp_ns;
};

/*
 * NAT. A mapping ties an inside address:port to an outside port on the
 * uplink's address (endpoint-independent: one outside port for every
 * destination). A flow is one (mapping, remote endpoint) pair: it carries
 * the outside port, the filtering permission, the TCP state and the idle
 * time that decide expiry, and it is the only per-session entry:
 *  - xv_nat_flow (hash) finds a flow from its inside endpoint and remote;
 *  - xv_nat_port (array, one 8-byte word per protocol and outside port,
 *    for all networks and uplinks together) names the inside endpoint that
 *    holds an outside port, which is all an inbound packet needs to find
 *    its flow. A new flow finds its endpoint's port there too, among a few
 *    candidate ports its endpoint hashes to (nat.h).
 * A mapping lives while it has live flows: the collector (gc.h) marks the
 * ports of live flows each tick and frees the ones left unmarked for two.
 * ICMP echo uses the identifier as its port. Forwards reserve their outside
 * port in xv_nat_port and live in xv_nat_fwd, both ways.
 */
#define XV_MAP_NAT_PORT	"xv_nat_port"
#define XV_MAP_NAT_FWD	"xv_nat_fwd"
#define XV_NAT_PROTOS	3			/* TCP, UDP, ICMP echo */
#define XV_NAT_PORTS	(XV_NAT_PROTOS << 16)	/* entries of xv_nat_port */
#define XV_NAT_FWD_SIZE	4096			/* forwards, both ways */

/* Index of proto's outside port (host order) in xv_nat_port; -1: none. */
static inline int xv_nat_port_index(__u8 proto, __u32 port)
{
	int row = proto == 6 ? 0 : proto == 17 ? 1 : proto == 1 ? 2 : -1;

	return row < 0 || port > 0xffff ? -1 : (int)((__u32)row << 16 | port);
}

/* struct xv_nat_port.mark */
#define XV_NAT_MARK_STATIC 0xff	/* reserved by a forward: see xv_nat_fwd */
#define XV_NAT_MARK_EPOCHS 0xfe	/* collector epochs run 1..0xfe */

struct xv_nat_port {	/* all zero: free; changed as one word (cmpxchg) */
	__be32 inside_addr;
	__be16 inside_port;
	__u8 net;		/* network id */
	__u8 mark;		/* collector epoch of its last use, or STATIC */
};

/*
 * Is dynamic word p in use in collector epoch: marked in it or the one
 * before? The collector marks the port of every live flow each tick, and a
 * new flow marks its port as it takes it, so a word marked in neither has
 * no live flow: it is free to take, for the datapath as for the collector.
 */
static inline int xv_nat_port_fresh(const struct xv_nat_port *p, __u8 epoch)
{
	__u8 prev = epoch > 1 ? epoch - 1 : XV_NAT_MARK_EPOCHS;

	return p->inside_addr && p->mark != XV_NAT_MARK_STATIC &&
	       (p->mark == epoch || p->mark == prev);
}

/* xv_nat_fwd: a forward, from outside (dir 0) and from inside (dir 1). */
#define XV_NAT_FWD_IN	0	/* key: uplink address, outside port */
#define XV_NAT_FWD_OUT	1	/* key: VM address, VM port */

struct xv_nat_fwd_key {
	__be32 addr;
	__be16 port;
	__u8 proto;
	__u8 dir;		/* XV_NAT_FWD_* */
};

struct xv_nat_fwd {
	__be32 addr;		/* the other side: VM address, or uplink's */
	__be16 port;		/* VM port, or outside port */
	__u16 pad;
	__u32 net;
};

/*
 * The NAT collector (bpf/lib/gc.h), key 0: its timer, the epoch it marks live
 * ports with, and the secret that spreads endpoints over candidate ports.
 */
struct xv_gc {
	struct bpf_timer timer;
	__u32 salt;
	__u8 epoch;		/* 1..XV_NAT_MARK_EPOCHS */
	__u8 pad[3];
	__u32 sweep;		/* next xv_nat_port entry to sweep */
	__u32 pad2;
};

/*
 * A flow is keyed by its inside endpoint and its remote one, so that an
 * outbound packet finds it, and its outside port, with one lookup.
 */
struct xv_nat_flow_key {
	__be32 inside_addr;
	__be32 remote_addr;
	__be16 inside_port;	/* or ICMP echo id */
	__be16 remote_port;	/* ICMP echo: 0 */
	__u8 proto;
	__u8 pad[3];
};

/*
 * xv_nat_frag (not pinned): inbound fragments after the first carry no
 * ports; the first fragment records where its datagram goes, keyed by
 * (remote, IP id, protocol).
 */
struct xv_nat_frag_key {
	__be32 remote;
	__be16 id;
	__u8 proto;
	__u8 pad;
};

struct xv_nat_frag {
	__be32 inside_addr;
	__u32 net;
};

/* xv_subnet: longest-prefix match of an inside address to its nat network. */
struct xv_subnet_key {
	__u32 prefixlen;
	__be32 addr;
};

/* xv_neigh: the MAC behind an inside IPv4 address, learned from VM frames
 * (for forwards, whose mapping exists before the VM has spoken). */
struct xv_neigh_key {
	__u32 net;
	__be32 addr;
};

struct xv_neigh {
	__u8 mac[6];
	__u16 pad;
	__u64 seen_ns;
};

enum xv_nat_state {
	XV_NAT_NEW = 0,		/* only the inside has spoken (TCP: SYN) */
	XV_NAT_ESTABLISHED,	/* both sides have spoken, no FIN or RST */
	XV_NAT_CLOSING,		/* FIN or RST seen */
};

/*
 * How long a flow of proto in state lives idle (ns): cfg's timeout, or the
 * config's default for a knob left 0 (or no cfg at all). The datapath and
 * `xvnet nat` judge a flow alive by the same rule.
 */
static inline __u64 xv_nat_timeout(const struct xv_cfg *cfg, __u8 proto,
				   __u8 state)
{
	const __u64 sec = 1000000000ULL;
	__u64 t;

	switch (proto) {
	case 6:		/* TCP */
		if (state == XV_NAT_ESTABLISHED)
			t = cfg ? cfg->tcp_est_ns : 0;
		else
			t = cfg ? cfg->tcp_trans_ns : 0;
		return t ? t : (state == XV_NAT_ESTABLISHED ? 7440 : 240) * sec;
	case 17:	/* UDP */
		t = cfg ? cfg->udp_ns : 0;
		return t ? t : 300 * sec;
	default:	/* ICMP echo */
		t = cfg ? cfg->icmp_ns : 0;
		return t ? t : 60 * sec;
	}
}

struct xv_nat_flow {
	__be16 outside_port;	/* its mapping's, on the uplink's address */
	__u8 state;		/* enum xv_nat_state */
	__u8 pad[5];
	__u64 seen_ns;		/* last packet, written at most once a second */
};

/*
 * Drop reasons, counted per network (network 0 for frames on a port that
 * belongs to no network). X-macro so the names live next to the values.
 */
#define XV_DROP_REASONS(X)					\
	X(RUNT,		"runt")		/* shorter than Ethernet */	\
	X(BAD_SRC,	"bad-src-mac")	/* multicast or zero source */	\
	X(SAME_PORT,	"same-port")	/* destination behind ingress */\
	X(CROSS_NET,	"cross-net")	/* target in another network */	\
	X(REDIRECT,	"redirect-failed")				\
	X(NAT_EXHAUSTED, "nat-ports-exhausted")				\
	X(NAT_NO_ROUTE,	"nat-no-route")	/* not routed via the uplink */	\
	X(NAT_UNSUPPORTED, "nat-unsupported") /* cannot translate safely */ \
	X(NAT_FILTERED,	"nat-filtered")	/* inbound without permission */\
	X(ROUTED_IN,	"routed-in")	/* routed into the network */	\
	X(IPV6_OUT,	"ipv6-leaving")	/* IPv6 beyond the network */	\
	X(HOSTONLY_OUT,	"hostonly-leaving") /* IPv4 beyond a hostonly subnet */ \
	X(SPOOF_MAC,	"spoofed-mac")	/* not the port's own source MAC */ \
	X(SPOOF_IP,	"spoofed-ip")	/* IPv4 source not the VM's to use */ \
	X(SPOOF_ARP,	"spoofed-arp")	/* ARP sender MAC or address forged */ \
	X(ROGUE_DHCP,	"rogue-dhcp")	/* DHCP server message from a VM */ \
	X(MAC_LIMIT,	"mac-limit")	/* past the port's max_macs */	\
	X(FLOOD_LIMIT,	"flood-limit")	/* past the port's flood_pps */	\
	X(SESSION_LIMIT, "session-limit") /* past the VM's max_sessions */ \
	X(NAT_FULL,	"nat-table-full") /* no room for a new session */

enum xv_drop {
#define XV_DROP_ENUM(name, str) XV_DROP_##name,
	XV_DROP_REASONS(XV_DROP_ENUM)
#undef XV_DROP_ENUM
	XV_DROP_MAX
};

/* Counters, per network (X-macro: the names live next to the fields). */
#define XV_STATS_FIELDS(X)						\
	X(rx_packets)	/* frames entering the datapath */		\
	X(rx_bytes)							\
	X(fwd_xdp)	/* known unicast redirected by XDP */		\
	X(fwd_tc)	/* known unicast redirected by tc */		\
	X(flood)	/* frames flooded (counted once per frame) */	\
	X(to_host)	/* frames handed to the host stack */		\
	X(from_host)	/* host frames sent to VM ports */		\
	X(xdp_pass)	/* XDP frames handed to the tc path */		\
	X(csum_pass)	/* ... of which: checksum not verifiable in XDP */ \
	X(learned)	/* FDB inserts and moves */			\
	X(nat_new)	/* NAT mappings created */			\
	X(nat_out)	/* packets translated outbound */		\
	X(nat_in)	/* packets translated inbound */		\
	X(nat_icmp_err)	/* ICMP errors translated */			\
	X(nat_frag)	/* fragments translated */			\
	X(nat_xdp)	/* ... of nat_out and nat_in: by XDP itself */

/* xv_stats: per-CPU, key is the network id; user space sums the CPUs. */
struct xv_stats {
#define XV_STATS_FIELD(name) __u64 name;
	XV_STATS_FIELDS(XV_STATS_FIELD)
#undef XV_STATS_FIELD
	__u64 drop[XV_DROP_MAX];
};

/* skb->mark values that tag frames the datapath itself re-injected. */
#define XV_MARK_HOST	0x58560001u	/* redirected into the host stack */
#define XV_MARK_FWD	0x58560002u	/* redirected out of an uplink */
#define XV_MARK_NAT_IN	0x58560003u	/* translated inbound, sent through the
					 * host adapter for the host to resolve
					 * the VM's MAC */

#ifndef __BPF__
#include <stddef.h>

_Static_assert(sizeof(struct xv_port) == 48, "xv_port layout");
_Static_assert(sizeof(struct xv_guard) == 24 + 8 * XV_MAX_MACS,
	       "xv_guard layout");
_Static_assert(sizeof(struct xv_net) == 48 + 4 * XV_MAX_PORTS + XV_NAME_LEN,
	       "xv_net layout");
_Static_assert(sizeof(struct xv_nat_port) == 8, "xv_nat_port layout");
_Static_assert(sizeof(struct xv_nat_fwd_key) == 8, "xv_nat_fwd_key layout");
_Static_assert(sizeof(struct xv_nat_fwd) == 12, "xv_nat_fwd layout");
_Static_assert(sizeof(struct xv_gc) == 32, "xv_gc layout");
_Static_assert(sizeof(struct xv_nat_flow_key) == 16, "xv_nat_flow_key layout");
_Static_assert(sizeof(struct xv_nat_flow) == 16, "xv_nat_flow layout");
_Static_assert(sizeof(struct xv_neigh) == 16, "xv_neigh layout");
_Static_assert(sizeof(struct xv_fdb_key) == 12, "xv_fdb_key layout");
_Static_assert(sizeof(struct xv_fdb_val) == 16, "xv_fdb_val layout");
_Static_assert(sizeof(struct xv_stats) == 8 * (16 + XV_DROP_MAX),
	       "xv_stats layout");

static const char *const xv_stats_names[] = {
#define XV_STATS_NAME(name) #name,
	XV_STATS_FIELDS(XV_STATS_NAME)
#undef XV_STATS_NAME
};
_Static_assert(sizeof(xv_stats_names) == offsetof(struct xv_stats, drop),
	       "one name per counter");

static const char *const xv_drop_names[XV_DROP_MAX] = {
#define XV_DROP_NAME(name, str) [XV_DROP_##name] = str,
	XV_DROP_REASONS(XV_DROP_NAME)
#undef XV_DROP_NAME
};
#endif

#endif /* XVNET_H */
