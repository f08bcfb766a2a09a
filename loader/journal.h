/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The undo journal that makes up and reload all-or-nothing: every change is
 * made through it, it remembers how to take the change back, and a failure
 * anywhere rolls everything back in reverse order.
 */
#ifndef XV_JOURNAL_H
#define XV_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <bpf/libbpf.h>
#include "attach.h"

struct xv_journal;

struct xv_journal *xv_journal_new(const char *pin_dir);
/* Write a map element, remembering the previous value (or its absence). */
int xv_journal_map_update(struct xv_journal *j, int map_fd, const void *key,
			  size_t ksz, const void *val, size_t vsz);
/* Attach or replace our tc filter; undo restores the previous program. */
int xv_journal_tc(struct xv_journal *j, int ifindex,
		  enum bpf_tc_attach_point point, int prog_fd, bool *created);
/*
 * Attach or move our XDP link; undo restores the previous program. *mode is
 * what got attached: XV_XDP_NONE means the kernel refused the attach itself
 * (as opposed to a failure after it).
 */
int xv_journal_xdp(struct xv_journal *j, int ifindex, const char *ifname,
		   int prog_fd, bool allow_generic, enum xv_xdp_mode *mode);
int xv_journal_promisc(struct xv_journal *j, int ifindex, bool on);
/* Create the veth pair NAME <-> PEER; undo deletes it (both ends). */
int xv_journal_veth(struct xv_journal *j, const char *name, const char *peer,
		    const __u8 *mac, const __u8 *peer_mac);
/* Add ADDR/PREFIX to ifindex; undo removes it. */
int xv_journal_addr4(struct xv_journal *j, int ifindex, __be32 addr,
		     int prefix);
/* Set ifindex up; undo sets it down again. */
int xv_journal_link_up(struct xv_journal *j, int ifindex);
/* Pin fd at pin_dir/name, replacing an older pin. */
int xv_journal_pin(struct xv_journal *j, const char *name, int fd);
/*
 * A change made by the caller (a helper daemon started, say): on rollback
 * undo(arg) takes it back. arg is malloc'd and owned by the journal from
 * now on. If the journal cannot record it, undo(arg) runs at once.
 */
int xv_journal_call(struct xv_journal *j, void (*undo)(void *arg), void *arg);
/*
 * Test hook: XVNET_FAIL_AT=N makes the N-th journaled change fail, to prove
 * that rollback restores everything. Returns -EIO then.
 */
int xv_journal_injected_failure(struct xv_journal *j);
void xv_journal_rollback(struct xv_journal *j);
void xv_journal_free(struct xv_journal *j);

#endif
