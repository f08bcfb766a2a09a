// SPDX-License-Identifier: GPL-2.0
/*
 * down: undo everything the pinned state says xvnet did (filters, clsact
 * qdiscs it created, XDP links, promiscuous mode, host adapters), stop the
 * dnsmasq daemons its run directory names, then remove every pin and the
 * pin directory. Works from the maps and that directory alone, so a config
 * that changed since up does not matter beyond its pin_dir.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "commands.h"
#include "config.h"
#include "dhcp.h"
#include "lock.h"
#include "log.h"
#include "state.h"

static int remove_pins(const char *pin_dir)
{
	struct dirent *de;
	char path[4400];
	DIR *d = opendir(pin_dir);
	int err = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", pin_dir, de->d_name);
		if (unlink(path) && errno != ENOENT) {
			err = -errno;
			pr_warn("cannot remove %s: %s\n", path, strerror(errno));
		}
	}
	closedir(d);
	if (rmdir(pin_dir) && errno != ENOENT) {
		err = -errno;
		pr_warn("cannot remove %s: %s\n", pin_dir, strerror(errno));
	}
	return err;
}

int xv_cmd_down(struct xv_opts *o)
{
	struct xv_port_ent *ports = NULL;
	struct xv_config cfg;
	struct xv_state st;
	struct stat sb;
	int n = 0, err, lock;

	if (xv_config_load(o->config, &cfg))
		return -XV_EUSAGE;
	if (stat(cfg.pin_dir, &sb)) {
		pr_info("%s: xvnet is not up\n", cfg.pin_dir);
		xv_config_free(&cfg);
		return 0;
	}
	lock = xv_lock_take(cfg.pin_dir);
	if (lock < 0) {
		xv_config_free(&cfg);
		return lock;
	}
	err = xv_state_open(cfg.pin_dir, &st);
	if (!err) {
		err = xv_state_check_netns(&st);
		if (err) {
			xv_state_close(&st);
			xv_lock_release(lock, cfg.pin_dir, false);
			xv_config_free(&cfg);
			return err;
		}
		/* The daemons first, while their host adapters still exist. */
		xv_dhcp_stop_all(cfg.pin_dir);
		err = xv_state_ports(&st, &ports, &n);
		for (int i = 0; i < n; i++)
			xv_port_teardown(&st, ports[i].ifindex, &ports[i].val);
		free(ports);
		xv_state_close(&st);
	} else {
		pr_warn("%s: incomplete state (%s); removing the pins\n",
			cfg.pin_dir, strerror(-err));
		xv_dhcp_stop_all(cfg.pin_dir);
	}
	err = remove_pins(cfg.pin_dir);
	xv_lock_release(lock, cfg.pin_dir, true);
	if (!err)
		pr_info("xvnet down: %d port(s) detached\n", n);
	xv_config_free(&cfg);
	return err;
}
