/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The packet fuzzer (packet_fuzz.c) and its parts: the world the datapath
 * runs in (pf_topo.c: devices, networks, maps, the namespace's routes),
 * the frames it is fed (pf_gen.c: valid frames of every kind, then
 * mutated), and what must hold of every output (pf_check.c). Addresses in
 * these tables are in host order; frames are bytes on the wire.
 */
#ifndef XVF_PF_H
#define XVF_PF_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "xvnet.h"
#include "trace.h"

#define PF_FRAME_MAX	2048

struct pf_frame {
	__u8 b[PF_FRAME_MAX];
	__u32 len;
};

/* ---- deterministic random numbers (splitmix64) ---------------------------- */

extern __u64 pf_rng_state;

static inline __u64 pf_rand(void)
{
	__u64 z = (pf_rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n). */
static inline __u32 pf_below(__u32 n)
{
	return n ? (__u32)(pf_rand() % n) : 0;
}

/* True with probability pct / 100. */
static inline bool pf_chance(__u32 pct)
{
	return pf_below(100) < pct;
}

#define PF_PICK(arr)	((arr)[pf_below(sizeof(arr) / sizeof((arr)[0]))])

/* ---- the world (pf_topo.c) ----------------------------------------------- */

#define PF_NETS		6	/* network ids 1..5 */

struct pf_dev {
	__u32 ifindex;		/* its peer is ifindex + 100, nothing on it */
	__u32 net;		/* xv_port.net; 0: none */
	__u32 flags;		/* xv_port.flags; 0: not a port */
	bool tx;		/* in the xv_tx devmap */
	__u8 mac[6];		/* the device's own MAC */
	__u32 addr;		/* the host's address on it, 0: none */
	__u8 prefix;
	__u32 host_if_of;	/* the host side of this network's adapter */
};

struct pf_net {
	__u32 id;
	__u32 mode;		/* enum xv_mode; 0: unused id */
	__u32 uplink;		/* bridge: member uplink; nat: translated to */
	__u32 host_if, adapter;
	__u32 subnet;		/* nat, hostonly */
	__u8 prefix;
	__u32 gateway;
	__u32 outside;		/* nat: the uplink's address */
	__u16 nat_lo, nat_hi;
	__u32 flags;		/* XV_NET_* */
	__u32 ports[8];		/* members, uplink and adapter included */
	__u32 nports;
};

/* A VM, as the generator impersonates it. */
struct pf_vm {
	__u32 port, net;
	__u8 mac[6];
	__u32 ip;		/* 0: none */
};

/*
 * A NAT mapping written before every round: a dynamic one is the
 * xv_nat_port word of its outside port naming the inside endpoint, and its
 * flow; a forward is its two xv_nat_fwd entries and a static word. The
 * VMs' MACs are in xv_neigh (all of pf_vms), as the datapath learns them.
 */
struct pf_map {
	__u32 net;
	__u8 proto;
	__u32 in_ip;
	__u16 in_port, out_port;
	__u32 remote;		/* a flow to it, 0: none */
	__u16 rport;
	__u8 kind;		/* PF_MAP_* */
};

/*
 * The collector does not run: its epoch stays PF_EPOCH (pf_topo.c). A
 * dynamic port is held while marked in the epoch or the one before.
 */
enum {
	PF_MAP_LIVE,		/* flow live, port marked this epoch */
	PF_MAP_LIVE_OLD,	/* flow live, port marked the epoch before:
				 * the next tick marks it again */
	PF_MAP_STATIC,		/* a forward */
	PF_MAP_DYING,		/* flow expired, not yet removed; port
				 * still marked this epoch */
	PF_MAP_EXPIRED,		/* flow expired; port marked two epochs
				 * ago: free to take, not yet swept */
};

extern const struct pf_dev pf_devs[];
extern const size_t pf_ndevs;
extern const struct pf_net pf_nets[PF_NETS];
extern const struct pf_vm pf_vms[];
extern const size_t pf_nvms;
extern const struct pf_map pf_maps[];
extern const size_t pf_nmaps;
extern const __u8 pf_lan_macs[][6];	/* hosts behind the uplinks */
extern const size_t pf_nlan_macs;
extern const __u8 pf_forged_macs[][6];	/* FDB entries that point astray */
extern const size_t pf_nforged;
extern const __u32 pf_remotes[];	/* outside addresses */
extern const size_t pf_nremotes;

const struct pf_dev *pf_dev(__u32 ifindex);
const struct pf_net *pf_net(__u32 id);
/* The nat network whose subnet holds addr, or NULL. */
const struct pf_net *pf_nat_net_of(__u32 addr);
/* Whether addr is one of the host's own (or a broadcast of its links). */
bool pf_host_addr(__u32 addr);
/* The device the namespace routes daddr out of (its MTU in *mtu); 0: local. */
__u32 pf_route(__u32 daddr, __u32 *mtu);
/* Whether ifindex is an uplink (bridge member uplink or nat uplink). */
bool pf_is_uplink(__u32 ifindex);

struct xvnet_traced;

/* Enter a fresh network namespace, make the devices, load, fill the maps. */
int pf_topo_setup(struct xvnet_traced **skel);
/* Back to the state of setup: FDB, NAT tables, neighbours. */
int pf_topo_reset(struct xvnet_traced *skel);

/* ---- frames (pf_gen.c) ---------------------------------------------------- */

enum pf_hook { HOOK_XDP, HOOK_TC_IN, HOOK_TC_EGRESS, HOOK_MAX };

/* One frame to try: where it enters and how it was made. */
struct pf_case {
	struct pf_frame f;
	__u32 ifindex;		/* ingress device, or the uplink for egress */
	bool egress;		/* the host sends it out of ifindex */
	bool mutated;
	const char *what;	/* the template */
};

void pf_gen(struct pf_case *c);
/* Regression frame i (pf_regress.c) into c; what it is, NULL past the end. */
const char *pf_regress(struct pf_case *c, size_t i);

/* ---- checksums (pf_check.c) ----------------------------------------------- */

__u64 pf_sum16(__u64 sum, const __u8 *p, size_t len);
__u16 pf_fold(__u64 sum);

/* ---- checks (pf_check.c) -------------------------------------------------- */

/* What one test run did. */
struct pf_run {
	enum pf_hook hook;
	int ret;			/* the verdict */
	const struct pf_frame *out;	/* the frame after the run */
	const struct xvf_trace *trace;
};

struct pf_stats {
	__u64 deliveries;		/* outputs checked */
	__u64 translated;		/* outputs with other addresses/ports */
	__u64 bad_input_csum;		/* ... whose input checksums were bad */
	__u64 implausible_egress;	/* host could not send it: not judged */
	__u64 trace_overflow;		/* runs with more calls than recorded */
	__u64 violations;
};

extern struct pf_stats pf_stats;

/* Check every output of one run; prints and counts each violation. */
void pf_check(const struct pf_case *c, const struct pf_run *r);

/* Violations by rule. */
void pf_check_summary(void);
void pf_hexdump(const char *what, const __u8 *b, size_t len);

#endif
