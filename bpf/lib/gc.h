/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The NAT collector. The flow table is a plain hash so that a full table
 * refuses new sessions instead of evicting live ones (a guest opening
 * sessions without end must not push out another VM's established TCP).
 * Expired entries then have to go some other way: a BPF timer, armed by
 * the loader through xv_gc_start and re-armed by every tick, walks the
 * tables every XV_GC_PERIOD_NS in the kernel, with no daemon. Each tick:
 *  - starts a new epoch;
 *  - removes every flow past its timeout (its inside address holds one
 *    flow fewer: xv_nat_count, for max_sessions), and marks the outside
 *    port of every live flow with the epoch;
 *  - sweeps XV_GC_SWEEP entries of xv_nat_port: a dynamic port marked in
 *    neither this epoch nor the last is free again. The last epoch's mark
 *    covers a port claimed for a flow the walk did not see yet.
 * Every change to a port is a compare-and-swap of its word, so a sweep
 * never frees a port that the datapath took or marked in between.
 * The timer lives in the pinned xv_gc map: it runs while the pins exist
 * and stops when down removes them.
 */
#ifndef XV_GC_H
#define XV_GC_H

#include "lib/nat.h"

#define XV_GC_PERIOD_NS	(1ULL * XV_SEC)
#define XV_GC_SWEEP	65536	/* ports swept a tick: all of them in 3 */
#define CLOCK_MONOTONIC	1

struct bpf_map;

struct gc_ctx {
	const struct xv_cfg *cfg;
	__u64 now;
	__u32 start;		/* sweep: first entry */
	__u8 epoch;
};

static long gc_flow(struct bpf_map *map, struct xv_nat_flow_key *k,
		    struct xv_nat_flow *f, struct gc_ctx *c)
{
	union nat_port_word v, marked;
	__u64 *w;

	if (c->now - f->seen_ns > xv_nat_timeout(c->cfg, k->proto, f->state)) {
		nat_count_put(k->inside_addr);
		bpf_map_delete_elem(map, k);
		return 0;
	}
	w = nat_port_at(k->proto, bpf_ntohs(f->outside_port));
	if (!w)
		return 0;
	v.w = *(volatile __u64 *)w;
	if (v.e.mark == XV_NAT_MARK_STATIC || v.e.mark == c->epoch ||
	    v.e.inside_addr != k->inside_addr ||
	    v.e.inside_port != k->inside_port)
		return 0;
	marked = v;
	marked.e.mark = c->epoch;
	__sync_val_compare_and_swap(w, v.w, marked.w);
	return 0;
}

static long gc_sweep_one(__u32 i, struct gc_ctx *c)
{
	__u32 key = (c->start + i) % XV_NAT_PORTS;
	__u64 *w = bpf_map_lookup_elem(&xv_nat_port, &key);
	union nat_port_word v;

	if (!w)
		return 1;
	v.w = *(volatile __u64 *)w;
	if (v.w && v.e.mark != XV_NAT_MARK_STATIC && !nat_port_fresh(v, c->epoch))
		__sync_val_compare_and_swap(w, v.w, 0);
	return 0;
}

static int gc_tick(void *map, __u32 *key, struct xv_gc *g)
{
	struct gc_ctx c = { .cfg = nat_cfg(), .now = bpf_ktime_get_coarse_ns() };

	g->epoch = g->epoch >= XV_NAT_MARK_EPOCHS ? 1 : g->epoch + 1;
	c.epoch = g->epoch;
	bpf_for_each_map_elem(&xv_nat_flow, gc_flow, &c, 0);
	c.start = g->sweep % XV_NAT_PORTS;
	bpf_loop(XV_GC_SWEEP, gc_sweep_one, &c, 0);
	g->sweep = (c.start + XV_GC_SWEEP) % XV_NAT_PORTS;
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
	/* Kept across reloads: the mappings were placed with it. */
	if (!g->salt)
		g->salt = bpf_get_prandom_u32() | 1;
	if (!g->epoch)
		g->epoch = 1;
	err = bpf_timer_init(&g->timer, &xv_gc, CLOCK_MONOTONIC);
	if (err && err != -16)	/* -EBUSY: armed before */
		return err;
	err = bpf_timer_set_callback(&g->timer, gc_tick);
	if (err)
		return err;
	return bpf_timer_start(&g->timer, XV_GC_PERIOD_NS, 0);
}

#endif
