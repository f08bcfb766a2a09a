// SPDX-License-Identifier: GPL-2.0
/*
 * The loader's log (loader/log.h) for the config fuzzer: instead of stderr,
 * every message is formatted into one growing buffer, so that the fuzzer
 * can compare what two loads of the same input said, check the form of the
 * messages, and run fast and quiet. Formatting still happens, so a bad
 * format argument is still caught by the sanitizers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "log_capture.h"

enum xv_log_level xv_log_level = XV_LOG_WARN;

static char *buf;
static size_t len, cap;

void xv_log(enum xv_log_level level, const char *fmt, ...)
{
	va_list ap;
	char *nb;
	int n;

	if (level > xv_log_level)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	if (len + (size_t)n + 1 > cap) {
		cap = 2 * (len + (size_t)n + 1);
		nb = realloc(buf, cap);
		if (!nb)
			abort();
		buf = nb;
	}
	va_start(ap, fmt);
	vsnprintf(buf + len, cap - len, fmt, ap);
	va_end(ap);
	len += (size_t)n;
}

char *xvf_log_take(void)
{
	char *r = buf ? buf : strdup("");

	if (!r)
		abort();
	buf = NULL;
	len = cap = 0;
	return r;
}
