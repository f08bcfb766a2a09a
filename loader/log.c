// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "log.h"

enum xv_log_level xv_log_level = XV_LOG_INFO;

void xv_log(enum xv_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > xv_log_level)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBBPF_DEBUG && xv_log_level < XV_LOG_DEBUG)
		return 0;
	if (level == LIBBPF_INFO && xv_log_level < XV_LOG_DEBUG)
		return 0;
	/* Queries of filters that are not there yet: not worth a warning. */
	if (xv_log_level < XV_LOG_DEBUG && strstr(fmt, "Kernel error message"))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void xv_log_setup_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
