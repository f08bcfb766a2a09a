/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The forwarding database: source-MAC learning and destination lookup, keyed
 * by (network, MAC) so that no lookup can ever return a port of another
 * network. Entries carry a last-seen time; an entry older than the ageing
 * time is treated as absent (the frame floods and the entry is re-learned),
 * and the LRU map recycles the space.
 */
#ifndef XV_FDB_H
#define XV_FDB_H

#include "lib/maps.h"
#include "lib/parse.h"
#include "lib/stats.h"

/*
 * A refresh writes the entry, and a write per frame would bounce its cache
 * line between CPUs; once a second is plenty against ageing times in seconds.
 */
#define XV_FDB_REFRESH_NS	1000000000ULL

static __always_inline __u64 fdb_ageing_ns(void)
{
	__u32 zero = 0;
	struct xv_cfg *cfg = bpf_map_lookup_elem(&xv_cfg, &zero);

	return cfg && cfg->ageing_ns ? cfg->ageing_ns : 300ULL * 1000000000ULL;
}

static __always_inline struct xv_fdb_val *fdb_find(__u32 net, const __u8 *mac)
{
	struct xv_fdb_key key = { .net = net };

	mac_copy(key.mac, mac);
	return bpf_map_lookup_elem(&xv_fdb, &key);
}

/*
 * Learn mac on ifindex; cur is what fdb_find() found for it. True when the
 * entry was written (learned, moved, or refreshed: once a second).
 */
static __always_inline bool fdb_learn(__u32 net, const __u8 *mac,
				      __u32 ifindex, __u64 now,
				      struct xv_fdb_val *cur,
				      struct xv_stats *s)
{
	struct xv_fdb_key key = { .net = net };
	struct xv_fdb_val val = { .ifindex = ifindex, .seen_ns = now };

	if (cur && cur->ifindex == ifindex) {
		if (now - cur->seen_ns < XV_FDB_REFRESH_NS)
			return false;
		cur->seen_ns = now;
		return true;
	}
	mac_copy(key.mac, mac);
	bpf_map_update_elem(&xv_fdb, &key, &val, BPF_ANY);
	STAT_INC(s, learned);
	return true;
}

/* Port of MAC in network net, or 0 when unknown or aged out. */
static __always_inline __u32 fdb_lookup(__u32 net, const __u8 *mac, __u64 now,
					__u64 ageing_ns)
{
	struct xv_fdb_key key = { .net = net };
	struct xv_fdb_val *cur;

	mac_copy(key.mac, mac);
	cur = bpf_map_lookup_elem(&xv_fdb, &key);
	if (!cur || now - cur->seen_ns > ageing_ns)
		return 0;
	return cur->ifindex;
}

#endif
