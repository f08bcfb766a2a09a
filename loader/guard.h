/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What up writes for the datapath's guard of VM ports (bpf/lib/guard.h):
 * each port's spoofcheck flag, lock and limits in its xv_port entry, and
 * the locked IPv4 addresses in xv_lock.
 */
#ifndef XV_LOADER_GUARD_H
#define XV_LOADER_GUARD_H

#include "config.h"
#include "journal.h"
#include "plan.h"

/* Fill the guard fields of VM port ifname of network nc into val. */
void xv_guard_port(const struct xv_netcfg *nc, const char *ifname,
		   struct xv_port *val);
/* The locked addresses of every network; net_id by config network index. */
int xv_guard_write_locks(struct xv_journal *j, int lock_fd,
			 const struct xv_config *cfg,
			 const struct xv_plan *plan, const __u32 *net_id);
/* After a successful apply: forget locked addresses the config dropped. */
void xv_guard_remove_stale_locks(int lock_fd, const struct xv_config *cfg,
				 const struct xv_plan *plan,
				 const __u32 *net_id);

#endif
