/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Attaching the programs to a port, detaching them, and asking the kernel
 * what is attached. XDP goes through a bpf_link pinned as link_xdp_IFINDEX
 * in the pin directory (it stays attached after the loader exits and is
 * replaced atomically); tc uses a clsact qdisc and a direct-action filter at
 * xvnet's own handle and priority (persistent by itself).
 */
#ifndef XV_ATTACH_H
#define XV_ATTACH_H

#include <stdbool.h>
#include <bpf/libbpf.h>

#define XV_TC_HANDLE	0x5856	/* "XV" */
#define XV_TC_PRIO	0x5856

enum xv_xdp_mode { XV_XDP_NONE, XV_XDP_NATIVE, XV_XDP_GENERIC };

/* Create clsact if missing (*created tells), then attach or replace our filter. */
int xv_tc_attach(int ifindex, enum bpf_tc_attach_point point, int prog_fd,
		 bool *created);
/* Our filter's program id at point, 0 if none. */
int xv_tc_query(int ifindex, enum bpf_tc_attach_point point, __u32 *prog_id);
int xv_tc_detach(int ifindex, enum bpf_tc_attach_point point);
int xv_tc_destroy_clsact(int ifindex);

/*
 * Attach XDP through a pinned link, or move an existing pinned link to
 * prog_fd. Tries native mode, then generic when allow_generic.
 * *mode reports what was used.
 */
int xv_xdp_attach(const char *pin_dir, int ifindex, const char *ifname,
		  int prog_fd, bool allow_generic, enum xv_xdp_mode *mode);
int xv_xdp_detach(const char *pin_dir, int ifindex);
/* What the kernel reports as attached on ifindex. */
enum xv_xdp_mode xv_xdp_query(int ifindex, __u32 *prog_id);
void xv_xdp_link_path(char *buf, size_t len, const char *pin_dir, int ifindex);

#endif
