/* SPDX-License-Identifier: GPL-2.0 */
/*
 * From a config to the concrete ports of this namespace: resolve names and
 * globs to interfaces, pick the attach kind of every port, and report what
 * cannot be done (missing interface, a port claimed twice) at its config line.
 */
#ifndef XV_PLAN_H
#define XV_PLAN_H

#include <stdbool.h>
#include "config.h"
#include "nl.h"

struct xv_plan_port {
	struct xv_link link;
	int net_index;		/* index into cfg->nets */
	bool uplink;
	bool xdp;		/* attach XDP as well as tc */
	bool xdp_fallback_tc;	/* auto: keep tc only if native XDP is refused */
	bool xdp_generic_ok;	/* explicit xdp: generic mode is acceptable */
	bool tun;		/* a tap: XDP may always redirect into it */
	int line;		/* config line that brought the port in */
};

struct xv_plan {
	struct xv_plan_port *ports;
	int nports;
};

int xv_plan_build(const struct xv_config *cfg, struct xv_plan *plan);
void xv_plan_free(struct xv_plan *plan);

#endif
