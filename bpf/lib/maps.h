/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Map definitions of the datapath. Every map is pinned by name under the pin
 * directory (libbpf pin_root_path), so that it outlives the loader, keeps
 * learned state across reload, and can be read with bpftool.
 */
#ifndef XV_MAPS_H
#define XV_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "xvnet.h"

/* ifindex -> port role and the loader's record of what it attached there. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XV_MAX_IFINDEX_PORTS);
	__type(key, __u32);
	__type(value, struct xv_port);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xv_port SEC(".maps");

/*
 * The generation of the port table and the FDB (key 0): whoever changes
 * xv_port, or adds, moves or deletes an FDB entry, writes a new value here
 * afterwards (the loader: CLOCK_MONOTONIC ns, never the same twice; the
 * datapath, learning: one more). The datapath trusts its per-CPU copies of
 * ports (port.h) and of FDB entries (fdb.h) only while the value they were
 * copied under is still here.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xv_gen SEC(".maps");

/* Per-CPU copies of xv_port entries (port.h); not pinned: a cache. */
struct xv_port_slot {
	__u64 gen;		/* xv_gen when copied */
	__u32 ifindex;		/* 0: empty */
	__u32 pad;
	struct xv_port port;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XV_PORT_CACHE_SLOTS);
	__type(key, __u32);
	__type(value, struct xv_port_slot);
} xv_port_cache SEC(".maps");

/* Per-CPU copies of xv_fdb entries (fdb.h); not pinned: a cache. */
struct xv_fdb_slot {
	__u64 gen;		/* xv_gen when copied */
	__u64 seen_ns;		/* the entry's, when copied */
	struct xv_fdb_key key;	/* net 0: empty */
	__u32 ifindex;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1 << XV_FDB_CACHE_BITS);
	__type(key, __u32);
	__type(value, struct xv_fdb_slot);
} xv_fdb_cache SEC(".maps");

/* network id -> mode, uplink, host MAC and member list (the flood list). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XV_MAX_NETS);
	__type(key, __u32);
	__type(value, struct xv_net);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xv_net SEC(".maps");

/* (network, MAC) -> port and last-seen time; LRU so a full table recycles. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, XV_FDB_SIZE);
	__type(key, struct xv_fdb_key);
	__type(value, struct xv_fdb_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xv_fdb SEC(".maps");

/*
 * Ports XDP may redirect to (ifindex -> ifindex). The kernel adds
 * BPF_F_RDONLY_PROG to a devmap, which libbpf 1.1 then sees as a mismatch
 * and refuses to reuse: the loader pins and reuses this one itself.
 */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, XV_MAX_IFINDEX_PORTS);
	__type(key, __u32);
	__type(value, struct bpf_devmap_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xv_tx SEC(".maps");

/* Run-time knobs (key 0). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xv_cfg);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xv_cfg SEC(".maps");

/* Per-network counters, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XV_MAX_NETS);
	__type(key, __u32);
	__type(value, struct xv_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xv_stats SEC(".maps");

/*
 * Outside ports (struct xv_nat_port): who holds each, per protocol. An
 * array, not a hash: 8 bytes a port whatever the sessions, and a port is
 * claimed with one compare-and-swap.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XV_NAT_PORTS);
	__type(key, __u32);
	__type(value, struct xv_nat_port);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xv_nat_port SEC(".maps");

/* Forwards, both ways (struct xv_nat_fwd_key); written by the loader. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XV_NAT_FWD_SIZE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct xv_nat_fwd_key);
	__type(value, struct xv_nat_fwd);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xv_nat_fwd SEC(".maps");

/*
 * NAT flows: one per (mapping, remote endpoint): the outside port,
 * filtering, TCP state, idle. A plain hash, not LRU: a full table refuses
 * new sessions instead of evicting live ones; the collector (gc.h) removes
 * expired flows.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XV_NAT_SIZE);
	__type(key, struct xv_nat_flow_key);
	__type(value, struct xv_nat_flow);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xv_nat_flow SEC(".maps");

/* Inside subnet -> nat network id (for packets the host routed out). */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, XV_MAX_NETS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct xv_subnet_key);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xv_subnet SEC(".maps");

/* Inside IPv4 address -> MAC, learned from the VMs' own frames. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct xv_neigh_key);
	__type(value, struct xv_neigh);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xv_neigh SEC(".maps");

/* Inside IPv4 address -> the NAT flows it holds (max_sessions). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XV_NAT_SIZE);
	__type(key, __be32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xv_nat_count SEC(".maps");


struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xv_gc);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xv_gc SEC(".maps");

/* VM port -> its limits state (struct xv_guard); the datapath adds it. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XV_MAX_IFINDEX_PORTS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct xv_guard);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xv_guard SEC(".maps");

/* Locked IPv4 addresses (lock = PORT MAC IPV4) -> the port they belong to. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XV_LOCK_SIZE);
	__type(key, struct xv_lock_key);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xv_lock SEC(".maps");

/* Where later inbound fragments go (struct xv_nat_frag in xvnet.h). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, struct xv_nat_frag_key);
	__type(value, struct xv_nat_frag);
} xv_nat_frag SEC(".maps");

#endif
