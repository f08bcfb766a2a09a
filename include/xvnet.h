/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one set of definitions shared by the BPF programs and the loader:
 * limits, map value layouts, port flags, counters and drop reasons.
 * Fixed-width types and explicit padding only; sizes are asserted so that a
 * change here cannot silently disagree between the two sides.
 */
#ifndef XVNET_H
#define XVNET_H

#ifdef __BPF__
#include <linux/types.h>
#else
#include <linux/types.h>
#endif

#define XV_MAX_NETS	64	/* network ids 1..63; 0 means "no network" */
#define XV_MAX_PORTS	64	/* member ports of one network (its flood list) */
#define XV_MAX_IFINDEX_PORTS 1024 /* entries of the port table */
#define XV_FDB_SIZE	16384	/* learned MACs, all networks together */
#define XV_NAME_LEN	16	/* IFNAMSIZ */

/* Pinned map names (the kernel keeps 15 characters). */
#define XV_MAP_PORT	"xv_port"
#define XV_MAP_NET	"xv_net"
#define XV_MAP_FDB	"xv_fdb"
#define XV_MAP_TX	"xv_tx"
#define XV_MAP_CFG	"xv_cfg"
#define XV_MAP_STATS	"xv_stats"

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
/* struct xv_port.flags: what the loader did, so that down can undo it. */
#define XV_PORT_ATT_XDP		(1u << 8)  /* XDP link pinned as link_xdp_IFNAME */
#define XV_PORT_ATT_XDP_SKB	(1u << 9)  /* ... in generic (skb) mode */
#define XV_PORT_ATT_TC_IN	(1u << 10) /* tc ingress filter */
#define XV_PORT_ATT_TC_OUT	(1u << 11) /* tc egress filter (uplinks) */
#define XV_PORT_OWN_CLSACT	(1u << 12) /* clsact qdisc created by xvnet */
#define XV_PORT_SET_PROMISC	(1u << 13) /* promiscuity raised by xvnet */

/* xv_port: key is the ifindex (in the namespace the datapath serves). */
struct xv_port {
	__u32 net;		/* network id, 0 = not a member */
	__u32 flags;		/* XV_PORT_* */
	char name[XV_NAME_LEN];	/* interface name when attached */
};

/* xv_net: key is the network id. */
struct xv_net {
	__u32 mode;		/* enum xv_mode */
	__u32 uplink;		/* ifindex of the uplink, 0 if none */
	__u8 host_mac[6];	/* frames to this MAC belong to the host stack */
	__u16 nports;		/* valid entries in ports[] */
	__u32 ports[XV_MAX_PORTS]; /* every member ifindex, uplink included */
	char name[XV_NAME_LEN];
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
};

/*
 * Drop reasons, counted per network (network 0 for frames on a port that
 * belongs to no network). X-macro so the names live next to the values.
 */
#define XV_DROP_REASONS(X)					\
	X(RUNT,		"runt")		/* shorter than Ethernet */	\
	X(BAD_SRC,	"bad-src-mac")	/* multicast or zero source */	\
	X(NO_PORT,	"not-a-port")	/* ingress is not a member */	\
	X(SAME_PORT,	"same-port")	/* destination behind ingress */\
	X(CROSS_NET,	"cross-net")	/* target in another network */	\
	X(REDIRECT,	"redirect-failed")				\
	X(LOOP,		"loop")		/* our own frame came back */

enum xv_drop {
#define XV_DROP_ENUM(name, str) XV_DROP_##name,
	XV_DROP_REASONS(XV_DROP_ENUM)
#undef XV_DROP_ENUM
	XV_DROP_MAX
};

/* xv_stats: per-CPU, key is the network id; user space sums the CPUs. */
struct xv_stats {
	__u64 rx_packets;	/* frames entering the datapath */
	__u64 rx_bytes;
	__u64 fwd_xdp;		/* known unicast redirected by XDP */
	__u64 fwd_tc;		/* known unicast redirected by tc */
	__u64 flood;		/* frames flooded (counted once per frame) */
	__u64 to_host;		/* frames handed to the host stack */
	__u64 from_host;	/* host frames sent to VM ports */
	__u64 xdp_pass;		/* XDP frames handed to the tc path */
	__u64 csum_pass;	/* ... of which: checksum not verifiable in XDP */
	__u64 learned;		/* FDB inserts and moves */
	__u64 drop[XV_DROP_MAX];
};

/* skb->mark values that tag frames the datapath itself re-injected. */
#define XV_MARK_HOST	0x58560001u	/* redirected into the host stack */
#define XV_MARK_FWD	0x58560002u	/* redirected out of an uplink */

#ifndef __BPF__
_Static_assert(sizeof(struct xv_port) == 24, "xv_port layout");
_Static_assert(sizeof(struct xv_net) == 16 + 4 * XV_MAX_PORTS + XV_NAME_LEN,
	       "xv_net layout");
_Static_assert(sizeof(struct xv_fdb_key) == 12, "xv_fdb_key layout");
_Static_assert(sizeof(struct xv_fdb_val) == 16, "xv_fdb_val layout");
_Static_assert(sizeof(struct xv_stats) == 8 * (10 + XV_DROP_MAX),
	       "xv_stats layout");

static const char *const xv_drop_names[XV_DROP_MAX] = {
#define XV_DROP_NAME(name, str) [XV_DROP_##name] = str,
	XV_DROP_REASONS(XV_DROP_NAME)
#undef XV_DROP_NAME
};
#endif

#endif /* XVNET_H */
