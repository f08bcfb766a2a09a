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
	int net_index;		/* index into cfg->nets of the network the port
				 * is a member of; -1 for the uplink of nat
				 * networks only (no member of any network) */
	bool uplink;		/* uplink of the bridge network net_index */
	bool nat_uplink;	/* uplink of one or more nat networks */
	bool adapter;		/* the peer of net_index's host adapter */
	__be32 addr;		/* nat_uplink: its primary IPv4 address */
	bool xdp;		/* attach XDP as well as tc */
	bool xdp_fallback_tc;	/* auto: keep tc only if native XDP is refused */
	bool xdp_generic_ok;	/* explicit xdp: generic mode is acceptable */
	bool tun;		/* a tap: XDP may always redirect into it */
	int line;		/* config line that brought the port in */
};

/* The host adapter of a nat (or hostonly) network: a veth pair. */
struct xv_plan_adapter {
	int net_index;
	bool exists;		/* both ends are there, paired (reuse them) */
	bool created;		/* up created them (set by up) */
	bool gro;		/* GRO on the host side: XDP may redirect to
				 * the peer (set by up) */
	struct xv_link host;	/* host_if: carries the gateway address */
	struct xv_link peer;	/* "xvp" + name: a member port */
};

struct xv_plan {
	struct xv_plan_port *ports;
	int nports;
	struct xv_plan_adapter *adapters;
	int nadapters;
	int uplink_of[XV_MAX_NETS];	/* cfg->nets index -> ports index, -1 */
};

int xv_plan_build(const struct xv_config *cfg, struct xv_plan *plan);
/* A plan of one VM port, link in network n (port add, watch). */
int xv_plan_single(const struct xv_config *cfg, int n,
		   const struct xv_link *link, struct xv_plan *plan);
void xv_plan_free(struct xv_plan *plan);
/* The uplink of network n (ports entry), NULL if it has none. */
const struct xv_plan_port *xv_plan_uplink(const struct xv_plan *plan, int n);
/*
 * Make the peer of network n's host adapter (created since the plan was
 * built) a member port, with the network's attach kind.
 */
int xv_plan_add_adapter(const struct xv_config *cfg, struct xv_plan *plan,
			int n, const struct xv_link *peer);
/*
 * Warn ("FILE:LINE: warning: ...") about forwards on ports the host itself
 * listens on (TCP listeners and bound UDP sockets of this namespace, on
 * the uplink's address or a wildcard): the forward takes that traffic.
 */
void xv_plan_warn_forwards(const struct xv_config *cfg,
			   const struct xv_plan *plan);

#endif
