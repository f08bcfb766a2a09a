/* SPDX-License-Identifier: GPL-2.0 */
/* Logging for the loader: warnings always, info unless quiet, debug with -v. */
#ifndef XV_LOG_H
#define XV_LOG_H

enum xv_log_level { XV_LOG_WARN, XV_LOG_INFO, XV_LOG_DEBUG };

extern enum xv_log_level xv_log_level;

void xv_log(enum xv_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define pr_warn(...)	xv_log(XV_LOG_WARN, __VA_ARGS__)
#define pr_info(...)	xv_log(XV_LOG_INFO, __VA_ARGS__)
#define pr_debug(...)	xv_log(XV_LOG_DEBUG, __VA_ARGS__)

/* Route libbpf's own messages through pr_debug (warnings stay visible). */
void xv_log_setup_libbpf(void);

#endif
