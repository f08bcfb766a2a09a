/* SPDX-License-Identifier: GPL-2.0 */
/* One function per xvnet command; each returns 0 or a negative errno. */
#ifndef XV_COMMANDS_H
#define XV_COMMANDS_H

#include "common.h"

int xv_cmd_up(struct xv_opts *o);
int xv_cmd_reload(struct xv_opts *o);
int xv_cmd_down(struct xv_opts *o);
int xv_cmd_check(struct xv_opts *o);
int xv_cmd_status(struct xv_opts *o);
int xv_cmd_fdb(struct xv_opts *o);
int xv_cmd_nat(struct xv_opts *o);
int xv_cmd_leases(struct xv_opts *o);
int xv_cmd_port(struct xv_opts *o);
int xv_cmd_watch(struct xv_opts *o);

#endif
