// SPDX-License-Identifier: GPL-2.0
/* check: everything up would validate, nothing it would change. */
#include <stdio.h>

#include "commands.h"
#include "config.h"
#include "log.h"
#include "plan.h"

int xv_cmd_check(struct xv_opts *o)
{
	struct xv_config cfg;
	struct xv_plan plan;
	int err;

	if (xv_config_load(o->config, &cfg))
		return -XV_EUSAGE;
	err = xv_config_check_host(&cfg);
	if (!err)
		err = xv_plan_build(&cfg, &plan);
	if (!err) {
		xv_plan_warn_forwards(&cfg, &plan);
		printf("%s: OK (%d network(s), %d port(s))\n", cfg.path,
		       cfg.nnets, plan.nports);
		xv_plan_free(&plan);
	}
	xv_config_free(&cfg);
	return err;
}
