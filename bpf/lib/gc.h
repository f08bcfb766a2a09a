/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The NAT collector. The NAT tables are plain hashes so that a full table
 * refuses new sessions instead of evicting live ones (a guest opening
 * sessions without end must not push out another VM's established TCP).
 * Expired entries then have to go some other way: a BPF timer, armed by
 * the loader through xv_gc_start and re-armed by every tick, walks the
 * tables every XV_GC_PERIOD_NS in the kernel, with no daemon:
 *  - a flow past its timeout goes, and its inside address holds one flow
 *    fewer (xv_nat_count, for max_sessions);
 *  - a dynamic mapping past expires_ns goes, with its outside entry;
 *  - an outside entry whose mapping is gone or has moved on goes.
 * The timer lives in the pinned xv_gc map: it runs while the pins exist
 * and stops when down removes them.
 */
#ifndef XV_GC_H
#define XV_GC_H

#include "lib/nat.h"

#define XV_GC_PERIOD_NS	(1ULL * XV_SEC)
#define CLOCK_MONOTONIC	1

struct bpf_map;

struct gc_ctx {
	const struct xv_cfg *cfg;
	__u64 now;
	__u32 flows, mappings;	/* removed this tick */
};

static long gc_flow(struct bpf_map *map, struct xv_nat_flow_key *k,
		    struct xv_nat_flow *f, struct gc_ctx *c)
{
	if (c->now - f->seen_ns <= nat_timeout(c->cfg, k->proto, f->state))
		return 0;
	nat_count_put(k->inside_addr);
	bpf_map_delete_elem(map, k);
	c->flows++;
	return 0;
}

static long gc_mapping(struct bpf_map *map, struct xv_nat_out_key *k,
		       struct xv_nat_map *m, struct gc_ctx *c)
{
	struct xv_nat_in_key ik = { .addr = m->outside_addr,
				    .port = m->outside_port, .proto = k->proto };
	struct xv_nat_map *in;

	if (nat_map_alive(m, c->now))
		return 0;
	in = bpf_map_lookup_elem(&xv_nat_in, &ik);
	if (in && in->inside_addr == m->inside_addr &&
	    in->inside_port == m->inside_port)
		bpf_map_delete_elem(&xv_nat_in, &ik);
	bpf_map_delete_elem(map, k);
	c->mappings++;
	return 0;
}

static long gc_outside(struct bpf_map *map, struct xv_nat_in_key *k,
		       struct xv_nat_map *in, struct gc_ctx *c)
{
	if (!(in->flags & XV_NAT_STATIC) &&
	    !nat_find_in(k->addr, k->port, k->proto, c->now))
		bpf_map_delete_elem(map, k);
	return 0;
}

static int gc_tick(void *map, __u32 *key, struct xv_gc *g)
{
	struct gc_ctx c = { .cfg = nat_cfg(), .now = bpf_ktime_get_coarse_ns() };

	bpf_for_each_map_elem(&xv_nat_flow, gc_flow, &c, 0);
	bpf_for_each_map_elem(&xv_nat_out, gc_mapping, &c, 0);
	bpf_for_each_map_elem(&xv_nat_in, gc_outside, &c, 0);
	bpf_timer_start(&g->timer, XV_GC_PERIOD_NS, 0);
	return 0;
}

/*
 * Arm (or, after a reload, re-arm with this program) the collector. Run by
 * the loader with BPF_PROG_TEST_RUN; returns 0 or the helper's error.
 */
static __always_inline int gc_start(void)
{
	__u32 zero = 0;
	struct xv_gc *g = bpf_map_lookup_elem(&xv_gc, &zero);
	long err;

	if (!g)
		return -1;
	err = bpf_timer_init(&g->timer, &xv_gc, CLOCK_MONOTONIC);
	if (err && err != -16)	/* -EBUSY: armed before */
		return err;
	err = bpf_timer_set_callback(&g->timer, gc_tick);
	if (err)
		return err;
	return bpf_timer_start(&g->timer, XV_GC_PERIOD_NS, 0);
}

#endif
