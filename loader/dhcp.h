/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DHCP and DNS for nat and hostonly networks: one dnsmasq per network that
 * has `dhcp`, bound to its host adapter. Its files live in a run directory
 * of their own per pin directory, /run/xvnet/<pin dir with '/' as '-'>/:
 * NAME.conf (generated), NAME.pid, NAME.leases and NAME.log. Those files
 * are the only record of the daemons: down, status and leases read them.
 */
#ifndef XV_DHCP_H
#define XV_DHCP_H

#include <linux/types.h>
#include "config.h"
#include "journal.h"

#define XV_RUN_ROOT	"/run/xvnet"

struct xv_lease {
	__u64 expiry;		/* seconds since the epoch, 0 = never */
	__u8 mac[6];
	__be32 addr;
	char name[64];		/* "" if the client gave none */
};

/* A network's dnsmasq as its run directory tells it. */
struct xv_dhcp_info {
	bool configured;	/* NAME.conf exists */
	int pid;		/* running daemon, 0 if none */
	int nleases;		/* unexpired leases */
};

/* The run directory of pin_dir into buf. */
int xv_dhcp_run_dir(const char *pin_dir, char *buf, size_t size);
/* Before changing anything: dnsmasq is installed if a network needs it. */
int xv_dhcp_check_host(const struct xv_config *cfg);
/*
 * Start, restart or keep each network's dnsmasq so that it runs with the
 * settings of cfg: a daemon whose generated config is unchanged and that
 * is alive is left alone (its leases and DNS cache too). Journaled: a
 * rollback stops what was started and brings back what was replaced.
 */
int xv_dhcp_apply(struct xv_journal *j, const struct xv_config *cfg);
/* After a successful apply: stop daemons of networks that lost `dhcp`. */
void xv_dhcp_remove_stale(const struct xv_config *cfg);
/* down: stop every daemon of pin_dir and remove its files. */
void xv_dhcp_stop_all(const char *pin_dir);
void xv_dhcp_info(const char *pin_dir, const char *net,
		  struct xv_dhcp_info *info);
/* Unexpired leases of network net, sorted by address; free(*out). */
int xv_dhcp_leases(const char *pin_dir, const char *net,
		   struct xv_lease **out, int *n);

#endif
