// SPDX-License-Identifier: GPL-2.0
/*
 * natfill: put idle NAT sessions into a running xvnet's pinned maps, for
 * the scale benchmark. Session i is one flow (xv_nat_flow) of mapping
 * i mod M (xv_nat_out and xv_nat_in), M = min(COUNT, 60000), all of one
 * fake outside address (203.0.113.99 by default, never the uplink's, so
 * that no entry can collide with a session the datapath makes) towards
 * remote 198.51.x.y:53, UDP, established, seen now. The sessions are live
 * (not expired) and take the table space real ones would.
 *
 *   natfill PIN_DIR NET FROM TO [OUTSIDE_ADDR]
 * writes sessions FROM..TO-1 (so that a table can be grown step by step)
 * and prints how many entries each map holds afterwards: flows, mappings
 * (xv_nat_out), mappings (xv_nat_in). A map holds at most max_entries: an
 * LRU map drops its oldest, a plain hash map refuses more (E2BIG), and
 * then natfill stops there, as the datapath would.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <bpf/bpf.h>

#include "xvnet.h"

#define MAPPINGS 60000

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

static unsigned long count(int fd, size_t ksz)
{
	unsigned char key[64], next[64];
	unsigned long n = 0;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, ksz);
		prev = key;
		n++;
	}
	return n;
}

int main(int argc, char **argv)
{
	int fd_out, fd_in, fd_flow;
	unsigned long from, to, i, m, nmap;
	struct timespec ts;
	__be32 outside;
	__u64 now;
	__u32 net;

	if (argc < 5) {
		fprintf(stderr, "usage: natfill PIN_DIR NET FROM TO [OUTSIDE_ADDR]\n");
		return 1;
	}
	net = strtoul(argv[2], NULL, 0);
	from = strtoul(argv[3], NULL, 0);
	to = strtoul(argv[4], NULL, 0);
	outside = inet_addr(argc > 5 ? argv[5] : "203.0.113.99");
	fd_out = open_map(argv[1], XV_MAP_NAT_OUT);
	fd_in = open_map(argv[1], XV_MAP_NAT_IN);
	fd_flow = open_map(argv[1], XV_MAP_NAT_FLOW);
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	now = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	nmap = to < MAPPINGS ? to : MAPPINGS;

	for (i = from; i < to; i++) {
		struct xv_nat_flow_key fk = {};
		struct xv_nat_flow fv = {};

		m = i % nmap;
		if (i < nmap) {
			struct xv_nat_out_key ok = {
				.addr = htonl(0x0a630000 | m),	/* 10.99.x.y */
				.port = htons(5000), .proto = IPPROTO_UDP,
			};
			struct xv_nat_in_key ik = {
				.addr = outside, .port = htons(1 + m),
				.proto = IPPROTO_UDP,
			};
			struct xv_nat_map v = {
				.inside_addr = ok.addr, .outside_addr = outside,
				.inside_port = ok.port, .outside_port = ik.port,
				.net = net, .seen_ns = now,
				.expires_ns = now + 3600ULL * 1000000000ULL,
			};

			if (bpf_map_update_elem(fd_out, &ok, &v, BPF_ANY) ||
			    bpf_map_update_elem(fd_in, &ik, &v, BPF_ANY))
				goto fail;
		}
		fk.inside_addr = htonl(0x0a630000 | m);
		fk.remote_addr = htonl(0xc6330000 | (i / nmap));  /* 198.51.x.y */
		fk.inside_port = htons(5000);
		fk.remote_port = htons(53);
		fk.proto = IPPROTO_UDP;
		fv.outside_addr = outside;
		fv.outside_port = htons(1 + m);
		fv.state = XV_NAT_ESTABLISHED;
		fv.seen_ns = now;
		if (bpf_map_update_elem(fd_flow, &fk, &fv, BPF_ANY))
			goto fail;
	}
done:
	printf("%lu %lu %lu\n", count(fd_flow, sizeof(struct xv_nat_flow_key)),
	       count(fd_out, sizeof(struct xv_nat_out_key)),
	       count(fd_in, sizeof(struct xv_nat_in_key)));
	return 0;
fail:
	if (errno == E2BIG)	/* full: what it holds is the answer */
		goto done;
	fprintf(stderr, "natfill: update: %s\n", strerror(errno));
	return 2;
}
