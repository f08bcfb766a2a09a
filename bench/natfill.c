// SPDX-License-Identifier: GPL-2.0
/*
 * natfill: put idle NAT sessions into a running xvnet's pinned maps, for
 * the scale benchmark. A session is what the datapath makes of one: a flow
 * (xv_nat_flow: inside endpoint and remote -> outside port, established,
 * seen now) whose inside endpoint holds that outside port in xv_nat_port.
 * Session i is the flow of endpoint i mod M (10.99.x.y:5000, UDP) towards
 * remote 198.51.0.(i / M):53. Outside ports are one space of 65536 a
 * protocol for all networks, so the endpoints take free ports of network
 * NET's own range (never the host's, which bench/nat.sh keeps out of it),
 * and M = min(TO, the range's size - NATFILL_SPARE): past that, sessions
 * share endpoints (one endpoint, many remotes), and NATFILL_SPARE ports
 * stay free for the datapath's own new sessions. M depends on TO and the
 * range only, so that a table grown step by step keeps one session a key.
 *
 * The sessions are live (not expired) and take the table space real ones
 * would. The collector keeps their ports as it keeps any: each tick starts
 * a new epoch and marks the port of every live flow with it, and a port
 * marked in neither this epoch nor the last is free (the datapath neither
 * finds nor keeps it). So a port is written after its endpoint's first
 * flow, marked with the epoch of that moment (xv_gc): a tick in between
 * leaves it marked with the last epoch, and the next tick marks it again.
 *
 *   natfill PIN_DIR NET FROM TO
 * writes sessions FROM..TO-1 (so that a table can be grown step by step)
 * and prints what the tables hold afterwards: flows (xv_nat_flow entries),
 * mappings (ports xv_nat_port gives to inside endpoints, all protocols).
 * The flow table holds at most max_entries: a plain hash map refuses more
 * (E2BIG), and natfill stops there, as the datapath would; likewise when
 * no port of the range is free.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <bpf/bpf.h>

#include "xvnet.h"

#define NATFILL_SPARE	64	/* ports left to the datapath */
#define INSIDE_NET	0x0a630000u	/* 10.99.0.0/16: endpoint m */
#define INSIDE_PORT	5000
#define REMOTE_NET	0xc6330000u	/* 198.51.0.0/16 */
#define REMOTE_PORT	53

static int open_map(const char *dir, const char *name)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		fprintf(stderr, "natfill: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	return fd;
}

/* Entries of the flow table: batches of lookups, one at a time if refused. */
static unsigned long count_flows(int fd)
{
	static struct xv_nat_flow_key keys[8192];
	static struct xv_nat_flow vals[8192];
	struct xv_nat_flow_key key, next;
	unsigned long total = 0;
	__u32 batch, n;
	void *prev = NULL;
	int err;

	do {
		n = sizeof(keys) / sizeof(keys[0]);
		err = bpf_map_lookup_batch(fd, total ? &batch : NULL, &batch,
					   keys, vals, &n, NULL);
		if (err && errno != ENOENT)
			goto one_by_one;
		total += n;
	} while (!err);
	return total;
one_by_one:
	total = 0;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		total++;
	}
	return total;
}

/* Every word of xv_nat_port, by index, in as few calls as the kernel allows. */
static void read_ports(int fd, struct xv_nat_port *words)
{
	static __u32 keys[XV_NAT_PORTS];
	static struct xv_nat_port vals[XV_NAT_PORTS];
	__u32 batch, done = 0, i, n;
	int err;

	memset(words, 0, XV_NAT_PORTS * sizeof(*words));
	do {
		n = XV_NAT_PORTS - done;
		err = bpf_map_lookup_batch(fd, done ? &batch : NULL, &batch,
					   keys, vals, &n, NULL);
		if (err && errno != ENOENT) {
			fprintf(stderr, "natfill: xv_nat_port: %s\n",
				strerror(errno));
			exit(2);
		}
		for (i = 0; i < n; i++)
			if (keys[i] < XV_NAT_PORTS)
				words[keys[i]] = vals[i];
		done += n;
	} while (!err && n && done < XV_NAT_PORTS);
}

/* The collector's epoch now (0 while it has not started). */
static __u8 gc_epoch(int fd)
{
	struct xv_gc g;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(fd, &zero, &g)) {
		fprintf(stderr, "natfill: xv_gc: %s\n", strerror(errno));
		exit(2);
	}
	return g.epoch;
}

static unsigned long held(const struct xv_nat_port *words, __u8 epoch)
{
	unsigned long n = 0;
	__u32 i;

	for (i = 0; i < XV_NAT_PORTS; i++)
		n += xv_nat_port_fresh(&words[i], epoch);
	return n;
}

int main(int argc, char **argv)
{
	static struct xv_nat_port words[XV_NAT_PORTS];
	static __u16 port_of[65536];	/* endpoint -> its port, 0: none */
	static bool keep[65536];	/* ... its word to be (re)written */
	unsigned long from, to, i, m, nmap, range;
	int fd_flow, fd_port, fd_net, fd_gc;
	__u32 net, row, lo, hi, next;
	struct timespec ts;
	struct xv_net n;
	__u8 epoch;
	__u64 now;

	if (argc != 5) {
		fprintf(stderr, "usage: natfill PIN_DIR NET FROM TO\n");
		return 1;
	}
	net = strtoul(argv[2], NULL, 0);
	from = strtoul(argv[3], NULL, 0);
	to = strtoul(argv[4], NULL, 0);
	fd_flow = open_map(argv[1], XV_MAP_NAT_FLOW);
	fd_port = open_map(argv[1], XV_MAP_NAT_PORT);
	fd_net = open_map(argv[1], XV_MAP_NET);
	fd_gc = open_map(argv[1], XV_MAP_GC);
	if (net == 0 || net >= XV_MAX_NETS ||
	    bpf_map_lookup_elem(fd_net, &net, &n) || n.mode != XV_MODE_NAT ||
	    !n.nat_lo || n.nat_hi < n.nat_lo) {
		fprintf(stderr, "natfill: network %u is no nat network\n", net);
		return 2;
	}
	lo = n.nat_lo;
	hi = n.nat_hi;
	range = hi - lo + 1;
	if (range <= NATFILL_SPARE) {
		fprintf(stderr, "natfill: network %u: %lu ports, not above %u\n",
			net, range, NATFILL_SPARE);
		return 2;
	}
	nmap = range - NATFILL_SPARE;
	if (to < nmap)
		nmap = to;
	row = xv_nat_port_index(IPPROTO_UDP, 0);

	/*
	 * The ports our endpoints have from earlier runs (held, or stale if
	 * the collector stopped marking them: then they are ours to take
	 * again), and where the free ones are.
	 */
	read_ports(fd_port, words);
	epoch = gc_epoch(fd_gc);
	for (i = lo; i <= hi; i++) {
		const struct xv_nat_port *w = &words[row + i];
		__u32 a = ntohl(w->inside_addr);

		if (w->mark != XV_NAT_MARK_STATIC && w->net == net &&
		    w->inside_port == htons(INSIDE_PORT) &&
		    (a & 0xffff0000u) == INSIDE_NET && (a & 0xffff) < nmap &&
		    !port_of[a & 0xffff]) {
			port_of[a & 0xffff] = i;
			keep[a & 0xffff] = !xv_nat_port_fresh(w, epoch);
		}
	}
	next = lo;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	now = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	for (i = from; i < to; i++) {
		struct xv_nat_flow_key fk = {};
		struct xv_nat_flow fv = {};
		struct xv_nat_port w = {};
		__u32 key;

		m = i % nmap;
		if (!port_of[m]) {
			/* A new endpoint: the next port nobody holds. */
			while (next <= hi &&
			       (words[row + next].mark == XV_NAT_MARK_STATIC ||
				xv_nat_port_fresh(&words[row + next], epoch)))
				next++;
			if (next > hi)
				break;	/* the range is full */
			port_of[m] = next++;
			keep[m] = true;
		}
		fk.inside_addr = htonl(INSIDE_NET | m);
		fk.remote_addr = htonl(REMOTE_NET | (i / nmap));
		fk.inside_port = htons(INSIDE_PORT);
		fk.remote_port = htons(REMOTE_PORT);
		fk.proto = IPPROTO_UDP;
		fv.outside_port = htons(port_of[m]);
		fv.state = XV_NAT_ESTABLISHED;
		fv.seen_ns = now;
		if (bpf_map_update_elem(fd_flow, &fk, &fv, BPF_ANY)) {
			if (errno == E2BIG)	/* full: it holds the answer */
				break;
			fprintf(stderr, "natfill: xv_nat_flow: %s\n",
				strerror(errno));
			return 2;
		}
		if (!keep[m])
			continue;
		/* After the flow, with the epoch of now (see above). */
		keep[m] = false;
		w.inside_addr = fk.inside_addr;
		w.inside_port = fk.inside_port;
		w.net = net;
		w.mark = gc_epoch(fd_gc);
		key = row + port_of[m];
		if (bpf_map_update_elem(fd_port, &key, &w, BPF_ANY)) {
			fprintf(stderr, "natfill: xv_nat_port: %s\n",
				strerror(errno));
			return 2;
		}
	}
	read_ports(fd_port, words);
	printf("%lu %lu\n", count_flows(fd_flow),
	       held(words, gc_epoch(fd_gc)));
	return 0;
}
