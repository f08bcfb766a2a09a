/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The port table, read through a per-CPU cache. xv_port is a hash keyed by
 * ifindex, and a hash lookup costs about 10 ns a frame (hashing the key,
 * comparing it): a frame needs its ingress port and its target's, and the
 * NAT paths their uplink's. A per-CPU array slot holds a copy of an entry
 * with the xv_gen value it was copied under; it serves while xv_gen still
 * holds that value, that is until anyone changes the port table (writers
 * bump xv_gen after every change, maps.h). An array lookup is inlined by
 * the verifier: two of them cost less than the hash.
 *
 * The caller says which role the port plays (enum port_role): each role has
 * its own slots, so that the pointers a program holds at once (its ingress
 * port, a target, an uplink) never share a slot and one lookup cannot
 * overwrite another's copy. The egress program has roles of its own: it
 * can run nested inside the ingress program (bpf_clone_redirect out of an
 * uplink). The copies are read-only: nothing may be written through them.
 */
#ifndef XV_PORT_H
#define XV_PORT_H

#include <stdbool.h>
#include "lib/maps.h"

/* xv_gen (maps.h), which the per-CPU copies here and in fdb.h follow. */
static __always_inline __u64 *gen_ptr(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&xv_gen, &zero);
}

/*
 * The generation, read once and before the entry it guards: an entry
 * replaced after this read comes with a new generation, so a copy of the
 * old one is never filed under the new generation.
 */
static __always_inline bool gen_read(__u64 *g)
{
	__u64 *gen = gen_ptr();

	if (!gen)
		return false;
	*g = *(volatile __u64 *)gen;
	return true;
}

/* Another generation (the datapath added or moved an FDB entry). */
static __always_inline void gen_bump(void)
{
	__u64 *gen = gen_ptr();

	if (gen)
		__sync_fetch_and_add(gen, 1);
}

enum port_role {
	PORT_IN,		/* tc ingress, XDP: the port the frame came in on */
	PORT_TARGET,		/* where it goes */
	PORT_UPLINK,		/* a nat network's uplink */
	PORT_EGRESS,		/* tc egress: its own port */
	PORT_EGRESS_TARGET,	/* tc egress: where a host frame goes */
	PORT_ROLES,
};

_Static_assert(PORT_ROLES * XV_PORT_CACHE_WAYS == XV_PORT_CACHE_SLOTS,
	       "xv_port_cache size");

static __always_inline struct xv_port *port_get(__u32 ifindex,
						enum port_role role)
{
	__u32 slot = role * XV_PORT_CACHE_WAYS +
		     (ifindex & (XV_PORT_CACHE_WAYS - 1));
	struct xv_port_slot *c;
	struct xv_port *p;
	__u64 g;

	c = bpf_map_lookup_elem(&xv_port_cache, &slot);
	if (!c || !gen_read(&g))
		return bpf_map_lookup_elem(&xv_port, &ifindex);
	if (c->ifindex == ifindex && c->gen == g)
		return &c->port;
	p = bpf_map_lookup_elem(&xv_port, &ifindex);
	if (!p)
		return NULL;
	c->gen = g;
	c->port = *p;
	c->ifindex = ifindex;
	return &c->port;
}

#endif
