/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One change at a time: up, reload, down, port add/del and each step of
 * watch hold an exclusive lock on the run directory of their pin
 * directory (dhcp.h), RUN_DIR/lock. A second one waits for it, saying who
 * holds it, and gives up after XV_LOCK_WAIT_S seconds.
 */
#ifndef XV_LOCK_H
#define XV_LOCK_H

#include <stdbool.h>

#define XV_LOCK_WAIT_S	60

/* The lock's fd, or a negative errno (reported). */
int xv_lock_take(const char *pin_dir);
/*
 * Release; with last (xvnet no longer runs there: down, or a failed first
 * up), remove the lock file and the run directory if nothing else is left.
 */
void xv_lock_release(int fd, const char *pin_dir, bool last);

#endif
