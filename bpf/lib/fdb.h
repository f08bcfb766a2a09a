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

/*
 * The key of (net, mac), written a 32-bit word at a time: the map's hash
 * reads it by words, and a word assembled from byte stores cannot be
 * forwarded from the store buffer (a stall of a dozen cycles a word, twice
 * a lookup, on every frame).
 */
static __always_inline void fdb_key(struct xv_fdb_key *key, __u32 net,
				    const __u8 *mac)
{
	const __u16 *m = (const __u16 *)mac;
	__u32 *w = (__u32 *)key;

	w[0] = net;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	w[1] = m[0] | (__u32)m[1] << 16;
	w[2] = m[2];
#else
	w[1] = (__u32)m[0] << 16 | m[1];
	w[2] = (__u32)m[2] << 16;
#endif
}

static __always_inline struct xv_fdb_val *fdb_find(__u32 net, const __u8 *mac)
{
	struct xv_fdb_key key;

	fdb_key(&key, net, mac);
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
	struct xv_fdb_val val = { .ifindex = ifindex, .seen_ns = now };
	struct xv_fdb_key key;

	if (cur && cur->ifindex == ifindex) {
		if (now - cur->seen_ns < XV_FDB_REFRESH_NS)
			return false;
		cur->seen_ns = now;
		return true;
	}
	fdb_key(&key, net, mac);
	bpf_map_update_elem(&xv_fdb, &key, &val, BPF_ANY);
	STAT_INC(s, learned);
	return true;
}

/* Port of MAC in network net, or 0 when unknown or aged out. */
static __always_inline __u32 fdb_lookup(__u32 net, const __u8 *mac, __u64 now,
					__u64 ageing_ns)
{
	struct xv_fdb_val *cur = fdb_find(net, mac);

	if (!cur || now - cur->seen_ns > ageing_ns)
		return 0;
	return cur->ifindex;
}

#endif
