// SPDX-License-Identifier: GPL-2.0
/*
 * leases: the DHCP leases dnsmasq handed out on the networks that have
 * `dhcp`, read from its lease files (see dhcp.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>

#include "commands.h"
#include "config.h"
#include "dhcp.h"
#include "json.h"
#include "log.h"

static void print_lease(const char *net, const struct xv_lease *l, bool json,
			bool first)
{
	char addr[INET_ADDRSTRLEN], mac[18];
	long left = l->expiry ? (long)(l->expiry - time(NULL)) : -1;

	inet_ntop(AF_INET, &l->addr, addr, sizeof(addr));
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", l->mac[0],
		 l->mac[1], l->mac[2], l->mac[3], l->mac[4], l->mac[5]);
	if (!json) {
		char exp[24] = "never";

		if (left >= 0)
			snprintf(exp, sizeof(exp), "%lds", left);
		printf("%-12s %-15s %-17s %-20s %s\n", net, addr, mac,
		       l->name[0] ? l->name : "-", exp);
		return;
	}
	printf("%s{\"network\":", first ? "" : ",");
	json_str(net);
	printf(",\"address\":\"%s\",\"mac\":\"%s\",\"hostname\":", addr, mac);
	if (l->name[0])
		json_str(l->name);
	else
		printf("null");
	if (left >= 0)
		printf(",\"expires_in\":%ld}", left);
	else
		printf(",\"expires_in\":null}");
}

int xv_cmd_leases(struct xv_opts *o)
{
	const char *only = o->argc > 0 ? o->argv[0] : NULL;
	const struct xv_netcfg *n;
	struct xv_config cfg;
	struct xv_lease *l;
	bool first = true;
	int count, err = 0;

	if (xv_config_load(o->config, &cfg))
		return -XV_EUSAGE;
	n = only ? xv_config_find_net(&cfg, only) : NULL;
	if (only && !n) {
		pr_warn("no network named %s in %s\n", only, cfg.path);
		err = -XV_EUSAGE;
		goto out;
	}
	if (n && !n->dhcp_lo) {
		pr_warn("network %s has no 'dhcp' in %s\n", only, cfg.path);
		err = -XV_EUSAGE;
		goto out;
	}
	if (o->json)
		printf("[");
	else
		printf("%-12s %-15s %-17s %-20s %s\n", "NETWORK", "ADDRESS", "MAC",
		       "HOSTNAME", "EXPIRES");
	for (int i = 0; i < cfg.nnets; i++) {
		n = &cfg.nets[i];
		if (!n->dhcp_lo || (only && strcmp(n->name, only)))
			continue;
		err = xv_dhcp_leases(cfg.pin_dir, n->name, &l, &count);
		if (err) {
			pr_warn("%s: cannot read its leases: %s\n", n->name,
				strerror(-err));
			break;
		}
		for (int k = 0; k < count; k++, first = false)
			print_lease(n->name, &l[k], o->json, first);
		free(l);
	}
	if (o->json)
		printf("]\n");
out:
	xv_config_free(&cfg);
	return err;
}
