// SPDX-License-Identifier: GPL-2.0
/*
 * Packet fuzzer: random and mutated frames (pf_gen.c) through every program
 * of the datapath with BPF_PROG_TEST_RUN, in a namespace of its own holding
 * bridge, nat and hostonly networks (pf_topo.c): each frame entering a port
 * runs through xv_xdp_port and xv_tc_ingress, each frame the host sends out
 * of an uplink through xv_tc_egress. The datapath is the traced build
 * (xvnet_traced.bpf.c), which records where every redirect and clone goes;
 * every output is checked against the invariants of pf_check.c. The maps
 * go back to their first state every -r frames, so that mappings, flows
 * and FDB entries keep being hit instead of drowning in learned garbage.
 *
 * What a test run cannot show: the skb state a real receive gives tc. The
 * kernel moves a frame's outer VLAN tag into skb metadata before tc
 * ingress, and BPF_PROG_TEST_RUN cannot set that state, so a tc-ingress
 * frame with N tags here is one with N + 1 on the wire, and a tag that
 * rides along as metadata through a redirect is out of sight.
 *
 *   packet_fuzz [-n FRAMES] [-s SEED] [-r RESET] [-t SECONDS]
 *
 * -n: frames to try (default 100000); -s: the PRNG seed (default 1: the
 * same frames every time; each violation prints the seed and frame
 * number); -t: stop early after SECONDS. The regression frames of
 * pf_regress.c run first, every time. Prints the counts (frames, runs,
 * verdicts per program, outputs checked, violations, each with a hex dump)
 * and a last line "PASS packet-fuzz: ..." or "FAIL packet-fuzz: ...";
 * exits 1 on a violation or a failed setup.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "pf.h"
#include "xvnet_traced.skel.h"

__u64 pf_rng_state;

struct hook_counts {
	__u64 runs, refused, errors;
	__u64 verdict[8];	/* XDP_*, or TC_ACT_OK/SHOT/REDIRECT/other */
};

static struct hook_counts counts[HOOK_MAX];
static struct xvnet_traced *skel;
static int prog_fd[HOOK_MAX];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int tc_slot(int ret)
{
	switch (ret) {
	case TC_ACT_OK:
		return 0;
	case TC_ACT_SHOT:
		return 1;
	case TC_ACT_REDIRECT:
		return 2;
	default:
		return 3;
	}
}

/* One test run of one program; 0, or -errno of BPF_PROG_TEST_RUN. */
static int run_one(const struct pf_case *c, enum pf_hook hook,
		   struct pf_frame *out, int *ret)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .repeat = 1);
	struct __sk_buff skb = {};
	struct xdp_md xdp = {};

	skel->bss->xvf_trace.n = 0;
	opts.data_in = c->f.b;
	opts.data_size_in = c->f.len;
	opts.data_out = out->b;
	opts.data_size_out = sizeof(out->b);
	if (hook == HOOK_XDP) {
		xdp.data_end = c->f.len;
		xdp.ingress_ifindex = c->ifindex;
		opts.ctx_in = &xdp;
		opts.ctx_size_in = sizeof(xdp);
	} else {
		skb.ifindex = c->ifindex;
		opts.ctx_in = &skb;
		opts.ctx_size_in = sizeof(skb);
		opts.ctx_out = &skb;
		opts.ctx_size_out = sizeof(skb);
	}
	if (bpf_prog_test_run_opts(prog_fd[hook], &opts))
		return -errno;
	out->len = opts.data_size_out;
	*ret = (int)opts.retval;
	return 0;
}

static void try_case(const struct pf_case *c, const char *label)
{
	static const enum pf_hook in_hooks[] = { HOOK_XDP, HOOK_TC_IN };
	static const enum pf_hook eg_hooks[] = { HOOK_TC_EGRESS };
	const enum pf_hook *hooks = c->egress ? eg_hooks : in_hooks;
	int nh = c->egress ? 1 : 2, i, ret = 0, err;
	struct pf_frame out;

	for (i = 0; i < nh; i++) {
		struct hook_counts *hc = &counts[hooks[i]];
		struct pf_run r = { .hook = hooks[i], .out = &out,
				    .trace = &skel->bss->xvf_trace };

		hc->runs++;
		err = run_one(c, hooks[i], &out, &ret);
		if (err == -EINVAL) {	/* too short for the kernel to take */
			hc->refused++;
			continue;
		}
		if (err) {
			hc->errors++;
			pf_stats.violations++;
			printf("  VIOLATION test-run-error: %s on %u: %s\n",
			       label, c->ifindex, strerror(-err));
			continue;
		}
		hc->verdict[hooks[i] == HOOK_XDP ? (ret & 7) : tc_slot(ret)]++;
		r.ret = ret;
		{
			__u64 before = pf_stats.violations;

			pf_check(c, &r);
			if (pf_stats.violations != before && before < 20)
				printf("    (%s)\n", label);
		}
	}
}

static void print_counts(__u64 frames, __u64 mutated, double secs, __u64 seed)
{
	const struct hook_counts *x = &counts[HOOK_XDP], *t = &counts[HOOK_TC_IN];
	const struct hook_counts *e = &counts[HOOK_TC_EGRESS];

	printf("packet_fuzz: seed %llu: %llu frames (%llu mutated), %llu test runs in %.1f s\n",
	       (unsigned long long)seed, (unsigned long long)frames,
	       (unsigned long long)mutated,
	       (unsigned long long)(x->runs + t->runs + e->runs), secs);
	printf("  xdp        %9llu runs, %llu refused: ABORTED %llu, DROP %llu, PASS %llu, TX %llu, REDIRECT %llu\n",
	       (unsigned long long)x->runs, (unsigned long long)x->refused,
	       (unsigned long long)x->verdict[XDP_ABORTED],
	       (unsigned long long)x->verdict[XDP_DROP],
	       (unsigned long long)x->verdict[XDP_PASS],
	       (unsigned long long)x->verdict[XDP_TX],
	       (unsigned long long)x->verdict[XDP_REDIRECT]);
	printf("  tc-ingress %9llu runs, %llu refused: OK %llu, SHOT %llu, REDIRECT %llu, other %llu\n",
	       (unsigned long long)t->runs, (unsigned long long)t->refused,
	       (unsigned long long)t->verdict[0], (unsigned long long)t->verdict[1],
	       (unsigned long long)t->verdict[2], (unsigned long long)t->verdict[3]);
	printf("  tc-egress  %9llu runs, %llu refused: OK %llu, SHOT %llu, REDIRECT %llu, other %llu\n",
	       (unsigned long long)e->runs, (unsigned long long)e->refused,
	       (unsigned long long)e->verdict[0], (unsigned long long)e->verdict[1],
	       (unsigned long long)e->verdict[2], (unsigned long long)e->verdict[3]);
	printf("  outputs checked %llu, translated %llu (%llu with a bad input checksum), egress frames the host could not send %llu, runs with more calls than traced %llu\n",
	       (unsigned long long)pf_stats.deliveries,
	       (unsigned long long)pf_stats.translated,
	       (unsigned long long)pf_stats.bad_input_csum,
	       (unsigned long long)pf_stats.implausible_egress,
	       (unsigned long long)pf_stats.trace_overflow);
	printf("  violations %llu\n", (unsigned long long)pf_stats.violations);
	pf_check_summary();
}

int main(int argc, char **argv)
{
	unsigned long long frames = 100000, seed = 1, reset = 1000, i;
	unsigned long long mutated = 0;
	double t0, limit = 0;
	const char *what;
	char label[64];
	struct pf_case c;
	int opt, err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt(argc, argv, "n:s:r:t:")) != -1) {
		switch (opt) {
		case 'n':
			frames = strtoull(optarg, NULL, 0);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'r':
			reset = strtoull(optarg, NULL, 0);
			break;
		case 't':
			limit = strtod(optarg, NULL);
			break;
		default:
			fprintf(stderr, "usage: %s [-n FRAMES] [-s SEED] [-r RESET] [-t SECONDS]\n",
				argv[0]);
			return 2;
		}
	}
	err = pf_topo_setup(&skel);
	if (err) {
		printf("FAIL packet-fuzz: setup: %s\n", strerror(-err));
		return 1;
	}
	prog_fd[HOOK_XDP] = bpf_program__fd(skel->progs.xv_xdp_port);
	prog_fd[HOOK_TC_IN] = bpf_program__fd(skel->progs.xv_tc_ingress);
	prog_fd[HOOK_TC_EGRESS] = bpf_program__fd(skel->progs.xv_tc_egress);
	t0 = now_s();
	for (i = 0; (what = pf_regress(&c, i)); i++) {
		__u64 before = pf_stats.violations;

		snprintf(label, sizeof(label), "regression frame %llu", i);
		try_case(&c, label);
		printf("  %s (%s): %s\n", label, what,
		       pf_stats.violations == before ? "ok" : "VIOLATION");
	}
	if ((err = pf_topo_reset(skel))) {
		printf("FAIL packet-fuzz: map reset: %s\n", strerror(-err));
		return 1;
	}
	pf_rng_state = seed;
	for (i = 0; i < frames; i++) {
		if (reset && i && i % reset == 0 && (err = pf_topo_reset(skel))) {
			printf("FAIL packet-fuzz: map reset: %s\n", strerror(-err));
			return 1;
		}
		if (limit > 0 && (i & 1023) == 0 && now_s() - t0 > limit)
			break;
		pf_gen(&c);
		mutated += c.mutated;
		snprintf(label, sizeof(label), "frame %llu of seed %llu", i, seed);
		try_case(&c, label);
	}
	print_counts(i, mutated, now_s() - t0, seed);
	xvnet_traced__destroy(skel);
	if (pf_stats.violations) {
		printf("FAIL packet-fuzz: %llu violations in %llu frames (seed %llu)\n",
		       (unsigned long long)pf_stats.violations, i, seed);
		return 1;
	}
	printf("PASS packet-fuzz: %llu frames, %llu outputs checked, no violation (seed %llu)\n",
	       i, (unsigned long long)pf_stats.deliveries, seed);
	return 0;
}
