/* SPDX-License-Identifier: GPL-2.0 */
/* Captured loader messages (log_capture.c). */
#ifndef XVF_LOG_CAPTURE_H
#define XVF_LOG_CAPTURE_H

/* Everything logged since the last call, NUL-terminated; caller frees. */
char *xvf_log_take(void);

#endif
