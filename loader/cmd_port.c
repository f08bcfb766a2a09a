// SPDX-License-Identifier: GPL-2.0
/*
 * port add NETWORK IFNAME / port del IFNAME: one VM port at run time, for
 * hypervisor hooks. What they do lasts until down or reload, which apply
 * the config as written.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "commands.h"
#include "config.h"
#include "lock.h"
#include "log.h"
#include "nl.h"
#include "port.h"
#include "state.h"

/* The port called name: by its interface, or by the name it was added as. */
static int port_by_name(const struct xv_state *st, const char *name,
			__u32 *ifindex)
{
	struct xv_port_ent *ports = NULL;
	struct xv_link link;
	int n = 0, err;

	if (!xv_link_by_name(name, &link)) {
		*ifindex = link.ifindex;
		return 0;
	}
	err = xv_state_ports(st, &ports, &n);
	for (int i = 0; !err && i < n; i++) {
		if (!strncmp(ports[i].val.name, name, XV_NAME_LEN)) {
			*ifindex = ports[i].ifindex;
			free(ports);
			return 0;
		}
	}
	free(ports);
	return err ? err : -ENOENT;
}

static int port_del(const struct xv_config *cfg, const char *name)
{
	struct xv_state st;
	__u32 ifindex = 0;
	int err;

	err = xv_state_open_running(cfg->pin_dir, &st);
	if (err)
		return err;
	err = port_by_name(&st, name, &ifindex);
	if (!err)
		err = xv_port_forget(&st, ifindex);
	if (err == -ENOENT) {
		pr_warn("%s is not a port of xvnet\n", name);
		err = -XV_EUSAGE;
	} else if (err == -EINVAL) {
		pr_warn("%s is an uplink or host adapter, not a VM port: change the config and reload\n",
			name);
		err = -XV_EUSAGE;
	} else if (!err) {
		pr_info("%s: no longer a port\n", name);
	}
	xv_state_close(&st);
	return err;
}

int xv_cmd_port(struct xv_opts *o)
{
	bool add = o->argc == 3 && !strcmp(o->argv[0], "add");
	bool del = o->argc == 2 && !strcmp(o->argv[0], "del");
	struct xv_config cfg;
	int err, lock;

	if (!add && !del) {
		pr_warn("usage: xvnet port add NETWORK IFNAME | xvnet port del IFNAME\n");
		return -XV_EUSAGE;
	}
	if (xv_config_load(o->config, &cfg))
		return -XV_EUSAGE;
	lock = xv_lock_take(cfg.pin_dir);
	if (lock < 0) {
		xv_config_free(&cfg);
		return lock;
	}
	if (add)
		err = xv_port_add(&cfg, o->argv[1], o->argv[2]);
	else
		err = port_del(&cfg, o->argv[1]);
	xv_lock_release(lock, cfg.pin_dir, false);
	xv_config_free(&cfg);
	return err;
}
