/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Error convention of the loader: functions return 0 or a negative errno.
 * -XV_EUSAGE marks a usage or config error (already reported); main turns it
 * into exit code 1 and every other negative value into exit code 2 (the
 * kernel refused).
 */
#ifndef XV_COMMON_H
#define XV_COMMON_H

#include <stdbool.h>
#include <stddef.h>

#define XV_EUSAGE	4095

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

struct xv_opts {
	const char *config;	/* -c FILE */
	const char *netns;	/* -n NETNS */
	bool json;		/* --json */
	int argc;		/* command arguments after the command word */
	char **argv;
};

/* "PIN_DIR/NAME" into buf; -ENAMETOOLONG if it does not fit. */
int xv_pin_path(char *buf, size_t len, const char *pin_dir, const char *name);

#endif
