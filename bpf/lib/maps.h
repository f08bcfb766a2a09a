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

#endif
