/* SPDX-License-Identifier: GPL-2.0 */
/* The bpf file system under the pin directory: mount it when missing. */
#ifndef XV_BPFFS_H
#define XV_BPFFS_H

#include <stdbool.h>

/* True if path lies on a bpf file system. */
bool xv_bpffs_is_bpf(const char *path);
/* Make sure pin_dir's parent is on bpffs (mounting one if needed) and create pin_dir. */
int xv_bpffs_prepare(const char *pin_dir);

#endif
