/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One port: attach it as a plan says (up and reload do it for every port,
 * port add and watch for one), and forget one (port del, watch).
 */
#ifndef XV_PORT_H
#define XV_PORT_H

#include <stdbool.h>
#include "config.h"
#include "journal.h"
#include "plan.h"
#include "state.h"

struct xv_port_attach {
	struct xv_journal *j;
	const struct xv_state *st;
	const struct xv_config *cfg;
	__u32 net;			/* the port's network id, 0 = none */
	int prog_xdp, prog_tc_in, prog_tc_out;
	bool own_link;			/* the host adapter's peer, ours */
	bool peer_napi;			/* ... whose other end has GRO on */
};

/*
 * Attach planned port pp (old: its pinned entry before, or NULL) and write
 * its xv_port entry, whose flags record what was done.
 */
int xv_port_attach(const struct xv_port_attach *a,
		   const struct xv_plan_port *pp, const struct xv_port *old);

/*
 * port add: VM port ifname joins network net_name of the running config,
 * with the programs pinned by up. Journaled: all or nothing.
 */
int xv_port_add(const struct xv_config *cfg, const char *net_name,
		const char *ifname);
/*
 * port del / an interface gone: detach VM port ifindex (if it still
 * exists), take it out of its network's flood list, flush its FDB
 * entries, the NAT sessions of the MACs behind it and its guard state.
 */
int xv_port_forget(const struct xv_state *st, __u32 ifindex);

#endif
