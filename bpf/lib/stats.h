/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-network counters. The per-CPU slot is looked up once per frame and
 * passed around; a missing slot (network id out of range) counts nothing.
 */
#ifndef XV_STATS_H
#define XV_STATS_H

#include "lib/maps.h"

static __always_inline struct xv_stats *stats_get(__u32 net)
{
	return bpf_map_lookup_elem(&xv_stats, &net);
}

/* s is evaluated twice: pass a variable, never a call. */
#define STAT_INC(s, field)	do { if (s) (s)->field++; } while (0)

static __always_inline void stats_drop(struct xv_stats *s, enum xv_drop why)
{
	if (s && why < XV_DROP_MAX)
		s->drop[why]++;
}

#endif
