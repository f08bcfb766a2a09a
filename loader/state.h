/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The running datapath as pinned under the pin directory. The maps are the
 * only record of what xvnet did (xv_port flags say what was attached where),
 * so down, status and reload work from any later invocation.
 */
#ifndef XV_STATE_H
#define XV_STATE_H

#include <stdbool.h>
#include "xvnet.h"

struct xv_state {
	char pin_dir[4096];
	int port_fd, net_fd, fdb_fd, tx_fd, cfg_fd, stats_fd;
	/* NAT maps: -1 when absent (pinned by an xvnet without NAT) */
	int nat_port_fd, nat_fwd_fd, nat_flow_fd, neigh_fd, nat_count_fd;
	int guard_fd, lock_fd;	/* VM port guards and locked addresses */
	int gen_fd;		/* xv_gen: -1 when absent (an older xvnet) */
};

struct xv_port_ent {
	__u32 ifindex;
	struct xv_port val;
};

/* -ENOENT if nothing is pinned there (not up). */
int xv_state_open(const char *pin_dir, struct xv_state *st);
void xv_state_close(struct xv_state *st);
/*
 * For commands that need xvnet up: open, and check the namespace; reports
 * "not up" (-XV_EUSAGE) or a foreign namespace. Closed again on error.
 */
int xv_state_open_running(const char *pin_dir, struct xv_state *st);
/* -XV_EUSAGE (reported) if the state serves another network namespace. */
int xv_state_check_netns(const struct xv_state *st);
int xv_state_ports(const struct xv_state *st, struct xv_port_ent **out, int *n);
/* Network id: *out zeroed (mode NONE) when unused. */
int xv_state_net(const struct xv_state *st, __u32 id, struct xv_net *out);
/* Counters of network id summed over the CPUs. */
int xv_state_stats(const struct xv_state *st, __u32 id, struct xv_stats *sum);
/* Undo what xvnet did on one port (per its flags) and forget it. */
void xv_port_teardown(const struct xv_state *st, __u32 ifindex,
		      const struct xv_port *p);
/* max_entries of map fd, or -errno. */
int xv_map_capacity(int fd);
/*
 * Delete the entries of hash map fd for which doomed(key, value, arg) says
 * so.
 */
void xv_map_purge(int fd, size_t ksz, size_t vsz,
		  bool (*doomed)(const void *key, const void *val,
				 const void *arg),
		  const void *arg);
/* Forget learned MACs of one port (ifindex) or of one network (net). */
void xv_fdb_purge(const struct xv_state *st, __u32 ifindex, __u32 net);
/*
 * After every change to xv_port or the FDB: a new value in xv_gen, so that
 * the datapath drops its per-CPU copies of ports and FDB entries
 * (bpf/lib/port.h, fdb.h).
 */
void xv_gen_bump(const struct xv_state *st);
/*
 * The words of xv_nat_port, all XV_NAT_PORTS of them by index
 * (xv_nat_port_index), into *out (malloc'd). 0 or -errno.
 */
int xv_nat_ports_read(const struct xv_state *st, struct xv_nat_port **out);
/*
 * Free the words of xv_nat_port (zero them) that are in use and for which
 * doomed(index, word, arg) says so. A word that changed since it was read
 * is left alone.
 */
void xv_nat_ports_free(const struct xv_state *st,
		       bool (*doomed)(__u32 index, const struct xv_nat_port *w,
				      const void *arg),
		       const void *arg);
/*
 * Forget the dynamic NAT mappings (xv_nat_port words) and the neighbours
 * of network net, and the flows and counts of inside addresses in
 * subnet/mask (network order). Forwards are the config's: up removes those
 * it no longer has.
 */
void xv_nat_purge_net(const struct xv_state *st, __u32 net, __be32 subnet,
		      __be32 mask);

#endif
