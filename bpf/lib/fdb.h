/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The forwarding database: source-MAC learning and destination lookup, keyed
 * by (network, MAC) so that no lookup can ever return a port of another
 * network. Entries carry a last-seen time; an entry older than the ageing
 * time is treated as absent (the frame floods and the entry is re-learned),
 * and the LRU map recycles the space.
 *
 * Lookups go through per-CPU copies of entries first (xv_fdb_cache, 256
 * slots by a hash of the key), as ports do (port.h, which says why): a copy
 * serves while xv_gen is unchanged. Adding or moving an entry, here or in
 * the loader, changes xv_gen; a refresh (seen_ns alone) does not, and a
 * copy's older time only sends a lookup back to the hash sooner. A source
 * MAC whose copy says it was learned on this very port within the last
 * second needs neither the FDB nor the guard: the guard passed it then,
 * and whatever could change its answer (the port, the network, the FDB)
 * would have changed xv_gen.
 */
#ifndef XV_FDB_H
#define XV_FDB_H

#include "lib/maps.h"
#include "lib/parse.h"
#include "lib/stats.h"
#include "lib/port.h"

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

/* The per-CPU slot of key (NULL only if the map is missing). */
static __always_inline struct xv_fdb_slot *fdb_slot(const struct xv_fdb_key *key)
{
	const __u32 *w = (const __u32 *)key;
	__u32 i = ((w[0] ^ w[1] ^ w[2] << 16) * 2654435761u) >>
		  (32 - XV_FDB_CACHE_BITS);

	return bpf_map_lookup_elem(&xv_fdb_cache, &i);
}

/*
 * One FDB lookup: the key, its per-CPU slot, and the generation, read
 * before the hash is (see gen_read).
 */
struct fdb_at {
	struct xv_fdb_key key;
	struct xv_fdb_slot *slot;	/* NULL: no copies */
	__u64 gen;
};

static __always_inline void fdb_at(struct fdb_at *at, __u32 net,
				   const __u8 *mac)
{
	fdb_key(&at->key, net, mac);
	at->slot = fdb_slot(&at->key);
	if (at->slot && !gen_read(&at->gen))
		at->slot = NULL;
}

/* The slot's copy of the entry, if it was made under this generation. */
static __always_inline struct xv_fdb_slot *fdb_copy(const struct fdb_at *at)
{
	const struct xv_fdb_slot *c = at->slot;
	const __u32 *a, *b = (const __u32 *)&at->key;

	if (!c)
		return NULL;
	a = (const __u32 *)&c->key;
	if (c->gen != at->gen || a[0] != b[0] || a[1] != b[1] || a[2] != b[2])
		return NULL;
	return at->slot;
}

/* Copy the entry (port ifindex, written at seen_ns) into the slot. */
static __always_inline void fdb_copy_set(const struct fdb_at *at,
					 __u32 ifindex, __u64 seen_ns)
{
	struct xv_fdb_slot *c = at->slot;

	if (!c)
		return;
	c->gen = at->gen;
	c->seen_ns = seen_ns;
	c->key = at->key;
	c->ifindex = ifindex;
}

/*
 * Learn key's MAC on ifindex; cur is what the FDB holds for key. True when
 * the entry was written (learned, moved, or refreshed: once a second).
 */
static __always_inline bool fdb_learn(const struct xv_fdb_key *key,
				      __u32 ifindex, __u64 now,
				      struct xv_fdb_val *cur,
				      struct xv_stats *s)
{
	struct xv_fdb_val val = { .ifindex = ifindex, .seen_ns = now };

	if (cur && cur->ifindex == ifindex) {
		if (now - cur->seen_ns < XV_FDB_REFRESH_NS)
			return false;
		cur->seen_ns = now;
		return true;
	}
	bpf_map_update_elem(&xv_fdb, key, &val, BPF_ANY);
	gen_bump();	/* copies of the old entry are stale now */
	STAT_INC(s, learned);
	return true;
}

/* Port of MAC in network net, or 0 when unknown or aged out. */
static __always_inline __u32 fdb_lookup(__u32 net, const __u8 *mac, __u64 now,
					__u64 ageing_ns)
{
	struct xv_fdb_slot *c;
	struct xv_fdb_val *cur;
	struct fdb_at at;

	fdb_at(&at, net, mac);
	c = fdb_copy(&at);
	if (c && now - c->seen_ns <= ageing_ns)
		return c->ifindex;
	cur = bpf_map_lookup_elem(&xv_fdb, &at.key);
	if (!cur || now - cur->seen_ns > ageing_ns)
		return 0;
	fdb_copy_set(&at, cur->ifindex, cur->seen_ns);
	return cur->ifindex;
}

#endif
