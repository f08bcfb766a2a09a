// SPDX-License-Identifier: GPL-2.0
/* See guard.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "guard.h"
#include "log.h"

void xv_guard_port(const struct xv_netcfg *nc, const char *ifname,
		   struct xv_port *val)
{
	if (nc->spoofcheck)
		val->flags |= XV_PORT_SPOOFCHECK;
	val->max_macs = nc->max_macs;
	val->flood_pps = nc->flood_pps;
	for (int i = 0; i < nc->nlocks; i++) {
		const struct xv_lock *l = &nc->locks[i];

		if (strcmp(l->port, ifname))
			continue;
		val->flags |= XV_PORT_LOCK_MAC;
		memcpy(val->lock_mac, l->mac, sizeof(val->lock_mac));
		val->lock_addr = l->addr;
	}
}

static int port_ifindex(const struct xv_plan *plan, const char *name)
{
	for (int i = 0; i < plan->nports; i++)
		if (!strcmp(plan->ports[i].link.name, name))
			return plan->ports[i].link.ifindex;
	return 0;
}

int xv_guard_write_locks(struct xv_journal *j, int lock_fd,
			 const struct xv_config *cfg,
			 const struct xv_plan *plan, const __u32 *net_id)
{
	int err = 0;

	for (int n = 0; n < cfg->nnets && !err; n++) {
		const struct xv_netcfg *nc = &cfg->nets[n];

		for (int i = 0; i < nc->nlocks && !err; i++) {
			const struct xv_lock *l = &nc->locks[i];
			struct xv_lock_key key = { .net = net_id[n],
						   .addr = l->addr };
			__u32 ifindex = port_ifindex(plan, l->port);

			if (!l->addr || !ifindex)
				continue;
			err = xv_journal_map_update(j, lock_fd, &key,
						    sizeof(key), &ifindex,
						    sizeof(ifindex));
			if (err)
				pr_warn("%s:%d: cannot write the lock to %s: %s\n",
					cfg->path, l->line, XV_MAP_LOCK,
					strerror(-err));
		}
	}
	return err;
}

static bool lock_configured(const struct xv_config *cfg,
			    const struct xv_plan *plan, const __u32 *net_id,
			    const struct xv_lock_key *key, __u32 ifindex)
{
	for (int n = 0; n < cfg->nnets; n++) {
		const struct xv_netcfg *nc = &cfg->nets[n];

		if (net_id[n] != key->net)
			continue;
		for (int i = 0; i < nc->nlocks; i++)
			if (nc->locks[i].addr == key->addr &&
			    (__u32)port_ifindex(plan, nc->locks[i].port) == ifindex)
				return true;
	}
	return false;
}

void xv_guard_remove_stale_locks(int lock_fd, const struct xv_config *cfg,
				 const struct xv_plan *plan,
				 const __u32 *net_id)
{
	struct xv_lock_key key, cursor, *doomed;
	void *prev = NULL;
	__u32 ifindex;
	int n = 0;

	doomed = calloc(XV_LOCK_SIZE, sizeof(*doomed));
	if (!doomed)
		return;
	/* Collect first: deleting while walking would restart the walk. */
	while (n < XV_LOCK_SIZE &&
	       !bpf_map_get_next_key(lock_fd, prev, &key)) {
		if (!bpf_map_lookup_elem(lock_fd, &key, &ifindex) &&
		    !lock_configured(cfg, plan, net_id, &key, ifindex))
			doomed[n++] = key;
		cursor = key;
		prev = &cursor;
	}
	while (n--)
		bpf_map_delete_elem(lock_fd, &doomed[n]);
	free(doomed);
}
