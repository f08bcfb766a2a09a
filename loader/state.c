// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "attach.h"
#include "common.h"
#include "log.h"
#include "nl.h"
#include "state.h"

static int open_map(const char *pin_dir, const char *name)
{
	char path[4200];

	if (xv_pin_path(path, sizeof(path), pin_dir, name))
		return -ENAMETOOLONG;
	return bpf_obj_get(path);
}

int xv_state_open(const char *pin_dir, struct xv_state *st)
{
	memset(st, 0, sizeof(*st));
	snprintf(st->pin_dir, sizeof(st->pin_dir), "%s", pin_dir);
	st->port_fd = open_map(pin_dir, XV_MAP_PORT);
	st->net_fd = open_map(pin_dir, XV_MAP_NET);
	st->fdb_fd = open_map(pin_dir, XV_MAP_FDB);
	st->tx_fd = open_map(pin_dir, XV_MAP_TX);
	st->cfg_fd = open_map(pin_dir, XV_MAP_CFG);
	st->stats_fd = open_map(pin_dir, XV_MAP_STATS);
	st->nat_port_fd = open_map(pin_dir, XV_MAP_NAT_PORT);
	st->nat_fwd_fd = open_map(pin_dir, XV_MAP_NAT_FWD);
	st->nat_flow_fd = open_map(pin_dir, XV_MAP_NAT_FLOW);
	st->neigh_fd = open_map(pin_dir, XV_MAP_NEIGH);
	st->nat_count_fd = open_map(pin_dir, XV_MAP_NAT_COUNT);
	st->guard_fd = open_map(pin_dir, XV_MAP_GUARD);
	st->lock_fd = open_map(pin_dir, XV_MAP_LOCK);
	st->gen_fd = open_map(pin_dir, XV_MAP_GEN);
	if (st->port_fd < 0 || st->net_fd < 0 || st->fdb_fd < 0 ||
	    st->tx_fd < 0 || st->cfg_fd < 0 || st->stats_fd < 0) {
		int err = st->port_fd < 0 ? st->port_fd : -ENOENT;

		xv_state_close(st);
		return err;
	}
	return 0;
}

int xv_state_open_running(const char *pin_dir, struct xv_state *st)
{
	int err = xv_state_open(pin_dir, st);

	if (err) {
		pr_warn("%s: xvnet is not up\n", pin_dir);
		return -XV_EUSAGE;
	}
	err = xv_state_check_netns(st);
	if (err)
		xv_state_close(st);
	return err;
}

void xv_state_close(struct xv_state *st)
{
	int *fds[] = { &st->port_fd, &st->net_fd, &st->fdb_fd, &st->tx_fd,
		       &st->cfg_fd, &st->stats_fd, &st->nat_port_fd,
		       &st->nat_fwd_fd, &st->nat_flow_fd, &st->neigh_fd,
		       &st->nat_count_fd, &st->guard_fd, &st->lock_fd,
		       &st->gen_fd };

	for (size_t i = 0; i < ARRAY_SIZE(fds); i++) {
		if (*fds[i] > 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

int xv_state_check_netns(const struct xv_state *st)
{
	struct xv_cfg cfg = {};
	__u32 zero = 0;
	__u64 cookie;
	int err;

	if (bpf_map_lookup_elem(st->cfg_fd, &zero, &cfg))
		return -errno;
	err = xv_netns_cookie(&cookie);
	if (err)
		return err;
	if (cfg.netns_cookie && cfg.netns_cookie != cookie) {
		pr_warn("%s serves another network namespace; run xvnet there (-n NETNS)\n",
			st->pin_dir);
		return -XV_EUSAGE;
	}
	return 0;
}

int xv_state_ports(const struct xv_state *st, struct xv_port_ent **out, int *n)
{
	struct xv_port_ent *ents = NULL, *grown;
	__u32 key, next;
	int count = 0, err;
	void *prev = NULL;

	while (!(err = bpf_map_get_next_key(st->port_fd, prev, &next))) {
		grown = realloc(ents, (count + 1) * sizeof(*ents));
		if (!grown) {
			free(ents);
			return -ENOMEM;
		}
		ents = grown;
		ents[count].ifindex = next;
		if (!bpf_map_lookup_elem(st->port_fd, &next, &ents[count].val))
			count++;
		key = next;
		prev = &key;
	}
	*out = ents;
	*n = count;
	return 0;
}

int xv_state_net(const struct xv_state *st, __u32 id, struct xv_net *out)
{
	memset(out, 0, sizeof(*out));
	return bpf_map_lookup_elem(st->net_fd, &id, out) ? -errno : 0;
}

int xv_state_stats(const struct xv_state *st, __u32 id, struct xv_stats *sum)
{
	int ncpu = libbpf_num_possible_cpus();
	struct xv_stats *per;

	memset(sum, 0, sizeof(*sum));
	if (ncpu <= 0)
		return -EINVAL;
	per = calloc(ncpu, sizeof(*per));
	if (!per)
		return -ENOMEM;
	if (bpf_map_lookup_elem(st->stats_fd, &id, per)) {
		free(per);
		return -errno;
	}
	for (int c = 0; c < ncpu; c++) {
		__u64 *dst = (__u64 *)sum, *src = (__u64 *)&per[c];

		for (size_t i = 0; i < sizeof(*sum) / sizeof(__u64); i++)
			dst[i] += src[i];
	}
	free(per);
	return 0;
}

void xv_port_teardown(const struct xv_state *st, __u32 ifindex,
		      const struct xv_port *p)
{
	int err;

	if (p->flags & XV_PORT_ATT_XDP) {
		err = xv_xdp_detach(st->pin_dir, ifindex);
		if (err)
			pr_warn("%s: cannot detach XDP: %s\n", p->name,
				strerror(-err));
	}
	if (p->flags & XV_PORT_ATT_TC_IN)
		xv_tc_detach(ifindex, BPF_TC_INGRESS);
	if (p->flags & XV_PORT_ATT_TC_OUT)
		xv_tc_detach(ifindex, BPF_TC_EGRESS);
	if (p->flags & XV_PORT_OWN_CLSACT)
		xv_tc_destroy_clsact(ifindex);
	if (p->flags & XV_PORT_SET_PROMISC)
		xv_link_set_promisc(ifindex, false);
	if (p->flags & XV_PORT_OWN_LINK) {
		/* The host adapter: deleting the peer deletes both ends. */
		err = xv_link_del(ifindex);
		if (err && err != -ENODEV)
			pr_warn("%s: cannot delete the host adapter: %s\n",
				p->name, strerror(-err));
	}
	bpf_map_delete_elem(st->tx_fd, &ifindex);
	bpf_map_delete_elem(st->port_fd, &ifindex);
	xv_gen_bump(st);
	if (st->guard_fd >= 0)
		bpf_map_delete_elem(st->guard_fd, &ifindex);
	xv_fdb_purge(st, ifindex, 0);
}

void xv_gen_bump(const struct xv_state *st)
{
	struct timespec ts;
	__u64 cur = 0, next;
	__u32 zero = 0;

	if (st->gen_fd < 0)
		return;
	/* Never a value seen before: the clock, or one past the last. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	next = (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
	if (!bpf_map_lookup_elem(st->gen_fd, &zero, &cur) && next <= cur)
		next = cur + 1;
	if (bpf_map_update_elem(st->gen_fd, &zero, &next, BPF_ANY))
		pr_warn("%s: cannot write %s: %s\n", st->pin_dir, XV_MAP_GEN,
			strerror(errno));
}

void xv_fdb_purge(const struct xv_state *st, __u32 ifindex, __u32 net)
{
	struct xv_fdb_key key, next, *doomed;
	struct xv_fdb_val val;
	void *prev = NULL;
	int n = 0;

	/* Collect first: deleting while walking would restart the walk. */
	doomed = calloc(XV_FDB_SIZE, sizeof(*doomed));
	if (!doomed)
		return;
	while (n < XV_FDB_SIZE &&
	       !bpf_map_get_next_key(st->fdb_fd, prev, &next)) {
		if (!bpf_map_lookup_elem(st->fdb_fd, &next, &val) &&
		    ((ifindex && val.ifindex == ifindex) ||
		     (net && next.net == net)))
			doomed[n++] = next;
		key = next;
		prev = &key;
	}
	while (n--)
		bpf_map_delete_elem(st->fdb_fd, &doomed[n]);
	free(doomed);
	xv_gen_bump(st);
}

/*
 * Collect the keys of a hash map that match, then delete them: deleting
 * while walking would restart the walk.
 */
int xv_map_capacity(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	return info.max_entries;
}

void xv_map_purge(int fd, size_t ksz, size_t vsz,
		      bool (*doomed)(const void *key, const void *val,
				     const void *arg),
		      const void *arg)
{
	unsigned char *keys, *key, *prev = NULL, val[64];
	int n = 0, max;

	if (fd < 0 || vsz > sizeof(val))
		return;
	max = xv_map_capacity(fd);
	if (max <= 0)
		return;
	keys = calloc(max + 1, ksz);
	if (!keys)
		return;
	key = keys + (size_t)max * ksz;	/* the walk's cursor */
	while (n < max && !bpf_map_get_next_key(fd, prev, key)) {
		if (!bpf_map_lookup_elem(fd, key, val) && doomed(key, val, arg))
			memcpy(keys + (size_t)n++ * ksz, key, ksz);
		prev = key;
	}
	while (n--)
		bpf_map_delete_elem(fd, keys + (size_t)n * ksz);
	free(keys);
}

int xv_nat_ports_read(const struct xv_state *st, struct xv_nat_port **out)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 chunk = 8192, n, batch, *keys = NULL;
	struct xv_nat_port *w, *vals = NULL;
	void *in = NULL;
	int err = 0;

	*out = NULL;
	if (st->nat_port_fd < 0)
		return -ENOENT;
	w = calloc(XV_NAT_PORTS, sizeof(*w));
	keys = calloc(chunk, sizeof(*keys));
	vals = calloc(chunk, sizeof(*vals));
	if (!w || !keys || !vals) {
		err = -ENOMEM;
		goto out;
	}
	/* In batches (a few syscalls, not 196608); one by one if refused. */
	for (;;) {
		n = chunk;
		err = bpf_map_lookup_batch(st->nat_port_fd, in, &batch, keys,
					   vals, &n, &opts);
		if (err)
			err = -errno;
		for (__u32 i = 0; i < n && (!err || err == -ENOENT); i++)
			if (keys[i] < XV_NAT_PORTS)
				w[keys[i]] = vals[i];
		if (err)
			break;
		in = &batch;
	}
	if (err == -ENOENT) {
		err = 0;	/* the end of the array */
	} else if (!in) {
		err = 0;
		for (__u32 k = 0; k < XV_NAT_PORTS && !err; k++)
			if (bpf_map_lookup_elem(st->nat_port_fd, &k, &w[k]))
				err = -errno;
	}
out:
	free(keys);
	free(vals);
	if (err)
		free(w);
	else
		*out = w;
	return err;
}

void xv_nat_ports_free(const struct xv_state *st,
		       bool (*doomed)(__u32 index, const struct xv_nat_port *w,
				      const void *arg),
		       const void *arg)
{
	const struct xv_nat_port zero = {};
	struct xv_nat_port *w, cur;

	if (xv_nat_ports_read(st, &w))
		return;
	for (__u32 k = 0; k < XV_NAT_PORTS; k++) {
		if (!memcmp(&w[k], &zero, sizeof(zero)) ||
		    !doomed(k, &w[k], arg))
			continue;
		/* Not atomic, but a word the datapath moved on is not ours. */
		if (!bpf_map_lookup_elem(st->nat_port_fd, &k, &cur) &&
		    !memcmp(&cur, &w[k], sizeof(cur)))
			bpf_map_update_elem(st->nat_port_fd, &k, &zero,
					    BPF_ANY);
	}
	free(w);
}

struct nat_scope {
	__u32 net;
	__be32 subnet, mask;
};

static bool port_of_net(__u32 index, const struct xv_nat_port *w,
			const void *arg)
{
	return w->net == ((const struct nat_scope *)arg)->net &&
	       w->mark != XV_NAT_MARK_STATIC;
}

static bool neigh_of_net(const void *key, const void *val, const void *arg)
{
	return ((const struct xv_neigh_key *)key)->net ==
	       ((const struct nat_scope *)arg)->net;
}

static bool count_of_subnet(const void *key, const void *val, const void *arg)
{
	const struct nat_scope *s = arg;

	return s->mask && (*(const __be32 *)key & s->mask) == s->subnet;
}

static bool flow_of_subnet(const void *key, const void *val, const void *arg)
{
	const struct nat_scope *s = arg;

	return s->mask &&
	       (((const struct xv_nat_flow_key *)key)->inside_addr & s->mask) ==
	       s->subnet;
}

void xv_nat_purge_net(const struct xv_state *st, __u32 net, __be32 subnet,
		      __be32 mask)
{
	struct nat_scope s = { .net = net, .subnet = subnet, .mask = mask };

	/* The flows first: the ports they hold are free once they are gone. */
	xv_map_purge(st->nat_flow_fd, sizeof(struct xv_nat_flow_key),
		  sizeof(struct xv_nat_flow), flow_of_subnet, &s);
	if (net && net < XV_MAX_NETS)
		xv_nat_ports_free(st, port_of_net, &s);
	xv_map_purge(st->neigh_fd, sizeof(struct xv_neigh_key),
		  sizeof(struct xv_neigh), neigh_of_net, &s);
	/* Their flows are gone: so are the addresses' counts. */
	xv_map_purge(st->nat_count_fd, sizeof(__be32), sizeof(__u32),
		  count_of_subnet, &s);
}
