// SPDX-License-Identifier: GPL-2.0
/*
 * xvnet: bridged, NAT and host-only networks for VMs, in XDP and tc.
 * The command table, global options, and the one place where errors become
 * exit codes: 0 success, 1 bad usage or config, 2 the kernel refused.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "common.h"
#include "config.h"
#include "log.h"
#include "nl.h"

struct xv_command {
	const char *name;
	int (*run)(struct xv_opts *o);
	const char *usage;
	const char *help;
};

static const struct xv_command commands[] = {
	{ "up", xv_cmd_up, "up [-c FILE]",
	  "validate, load, attach and pin (idempotent, all or nothing)" },
	{ "down", xv_cmd_down, "down [-c FILE]",
	  "detach and remove everything xvnet created" },
	{ "reload", xv_cmd_reload, "reload [-c FILE]",
	  "apply a changed config, keeping learned MACs" },
	{ "check", xv_cmd_check, "check [-c FILE]", "validate only" },
	{ "status", xv_cmd_status, "status [--json]",
	  "networks, ports, attach kinds, counters" },
	{ "fdb", xv_cmd_fdb, "fdb [NETWORK] [--json]",
	  "learned MAC table with port and age" },
	{ "nat", xv_cmd_nat, "nat [NETWORK] [--json]",
	  "NAT flows, port forwards and port-pool use" },
	{ "leases", xv_cmd_leases, "leases [NETWORK] [--json]",
	  "DHCP leases of the networks that have dhcp" },
	{ "port", xv_cmd_port, "port add NETWORK IFNAME | port del IFNAME",
	  "add or remove a VM port at run time (until down or reload)" },
	{ "watch", xv_cmd_watch, "watch [-c FILE]",
	  "stay running: attach matching interfaces as they appear" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: xvnet [-c FILE] [-n NETNS] [-v] COMMAND [ARGS]\n\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-44s %s\n", commands[i].usage, commands[i].help);
	fprintf(f, "\n  -c, --config FILE   config file (default %s)\n"
		   "  -n, --netns NETNS   run in network namespace NETNS (like ip -n)\n"
		   "      --json          machine-readable output (status, fdb, nat, leases)\n"
		   "  -v, --verbose       debug messages, libbpf's included\n"
		   "  -q, --quiet         warnings only\n"
		   "\nexit codes: 0 success, 1 bad usage or config, 2 the kernel refused\n",
		XV_CONFIG_DEFAULT_PATH);
}

int main(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "netns", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct xv_opts o = { .config = XV_CONFIG_DEFAULT_PATH };
	const struct xv_command *cmd = NULL;
	int opt, err;

	while ((opt = getopt_long(argc, argv, "c:n:vqh", long_opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			o.config = optarg;
			break;
		case 'n':
			o.netns = optarg;
			break;
		case 'j':
			o.json = true;
			break;
		case 'v':
			xv_log_level = XV_LOG_DEBUG;
			break;
		case 'q':
			xv_log_level = XV_LOG_WARN;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[optind], commands[i].name))
			cmd = &commands[i];
	if (!cmd) {
		pr_warn("unknown command '%s'\n", argv[optind]);
		usage(stderr);
		return 1;
	}
	o.argc = argc - optind - 1;
	o.argv = argv + optind + 1;

	xv_log_setup_libbpf();
	if (o.netns) {
		err = xv_netns_enter(o.netns);
		if (err) {
			pr_warn("cannot enter network namespace %s: %s\n",
				o.netns, strerror(-err));
			return err == -ENOENT ? 1 : 2;
		}
	}
	err = cmd->run(&o);
	if (!err)
		return 0;
	return err == -XV_EUSAGE ? 1 : 2;
}
