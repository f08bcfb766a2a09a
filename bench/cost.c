// SPDX-License-Identifier: GPL-2.0
/*
 * cost: nanoseconds a packet of the datapath's programs under
 * BPF_PROG_TEST_RUN, each case next to a bare redirect program
 * (bench/bare.bpf.c) measured the same way in the same run.
 *
 * Like tests/unit/unit_test.c it loads the xvnet skeleton without pinning
 * into a private network namespace, with veth ports of fixed ifindexes (so
 * that XDP test runs accept them as ingress_ifindex and devmap entries
 * resolve), and fills the maps itself:
 *
 *   network 1, bridge:   uplink 10, VM ports 11 12 13 (checksum-verify, in
 *                        xv_tx); MAC ..:0b behind 13
 *   network 2, nat:      uplink 40 (203.0.113.2, not a member, in xv_tx),
 *                        VM port 41 (192.168.100.10, checksum-verify),
 *                        adapter 43, host side 143
 *                        (192.168.100.1, the gateway); nat_ports 32768-65535
 *   network 3, hostonly: VM port 51, adapter 53 (192.168.56.0/24)
 *
 * Cases (each through XDP and through tc ingress):
 *   bridge-forward   known unicast VM 11 -> VM 13
 *   flood            broadcast from VM 11 (tc clones to 10 12 13 and the host)
 *   nat-new          VM -> outside, a new source port every packet (1024 up,
 *                    below nat_ports: no port is preserved), so a new
 *                    endpoint that claims an outside port of its own
 *   nat-out          VM -> outside, an existing session
 *   nat-in           outside -> VM, the reply of that session (its port's
 *                    xv_nat_port word, its flow, the VM's MAC in xv_neigh)
 *   isolation-drop   a host-only VM's IPv4 to an outside address
 * Frames that a case does not change (and state it does not change) run
 * with a large repeat count in one call; the NAT cases rewrite the frame
 * and the tables, so they run one packet a call, each from the original
 * frame; their bare program runs the same way (its number is the floor of
 * that method). XDP translates the packets of live sessions (nat-out,
 * nat-in); a new session it hands to tc (nat-new: the cost of deciding so).
 *
 * Output, one line a measurement: CASE KIND NS VERDICT
 * (KIND: xdp, tc, bare-xdp, bare-tc).
 *
 * The NAT collector is not started (its timer would walk the tables in
 * the background of the measurements): xv_gc holds what xv_gc_start would
 * set (epoch 1, a salt: fixed, so that runs compare), the epoch stays, and
 * nothing expires or is freed but by this program.
 *
 * Usage: cost [REPEAT [CASE]]   (REPEAT default 200000; CASE: only that
 * one, e.g. to profile it with perf). The bare programs are read from
 * $BUILD/bench/bare.bpf.o (BUILD as for make, default build).
 */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/udp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "xvnet.h"
#include "xvnet.skel.h"

#define SEC_NS 1000000000ULL

static const unsigned char M_A[6] = { 2, 0, 0, 0, 0, 0x0a };	/* on 11 */
static const unsigned char M_B[6] = { 2, 0, 0, 0, 0, 0x0b };	/* on 13 */
static const unsigned char HOST1[6] = { 2, 0, 0, 0, 1, 0 };
static const unsigned char GW[6] = { 2, 0, 0, 0, 2, 1 };	/* 143 */
static const unsigned char UPL[6] = { 2, 0, 0, 0, 2, 2 };	/* 40 */
static const unsigned char RTR[6] = { 2, 0, 0, 0, 0xfe, 1 };
static const unsigned char V1[6] = { 2, 0, 0, 0, 2, 0x0a };	/* on 41 */
static const unsigned char HO_GW[6] = { 2, 0, 0, 0, 3, 1 };	/* 153 */
static const unsigned char HO_V[6] = { 2, 0, 0, 0, 3, 0x0a };	/* on 51 */
static const unsigned char BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static struct xvnet *skel;
static struct bpf_object *bare;
static int prog[4];		/* xdp, tc, bare-xdp, bare-tc */
static const char *const kind_name[4] = { "xdp", "tc", "bare-xdp", "bare-tc" };
static unsigned long repeat = 200000;
static const char *only;

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "cost: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(2);
}

static void sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd))
		die("failed: %s", cmd);
}

static unsigned long long now_coarse(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_sec * SEC_NS + ts.tv_nsec;
}

/* ---- frames: Ethernet, IPv4, UDP, 18 bytes of payload, checksums complete */

struct frame {
	unsigned char b[60];
};

static unsigned long long sum16(const void *p, size_t len, unsigned long long s)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (b[i] << 8) | b[i + 1];
	return s;
}

static unsigned short fold(unsigned long long s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return ~s & 0xffff;
}

static struct frame udp_frame(const unsigned char *dst, const unsigned char *src,
			      const char *saddr, const char *daddr,
			      int sport, int dport)
{
	struct frame f = {};
	struct ethhdr *eth = (void *)f.b;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);
	unsigned short c;

	memcpy(eth->h_dest, dst, 6);
	memcpy(eth->h_source, src, 6);
	eth->h_proto = htons(ETH_P_IP);
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons(46);
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->saddr = inet_addr(saddr);
	ip->daddr = inet_addr(daddr);
	ip->check = htons(fold(sum16(ip, 20, 0)));
	udp->source = htons(sport);
	udp->dest = htons(dport);
	udp->len = htons(26);
	c = fold(sum16(udp, 26, sum16(&ip->saddr, 8, 0) + IPPROTO_UDP + 26));
	udp->check = htons(c ? c : 0xffff);
	return f;
}

/* ---- one measurement */

/* REPEAT runs in one call (frame and state unchanged by a run), or REPEAT
 * calls of one run each (NUM: per-call frame); mean ns a run. */
static double run(int kind, int ifindex, struct frame *f, unsigned long n,
		  void (*vary)(struct frame *, unsigned long), int *verdict)
{
	unsigned char out[128];
	unsigned long long total = 0;
	unsigned long i, calls = vary ? n : 1;

	for (i = 0; i < calls; i++) {
		struct __sk_buff skb = { .ifindex = ifindex };
		struct xdp_md xdp = { .data_end = sizeof(f->b),
				      .ingress_ifindex = ifindex };
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->b,
			    .data_size_in = sizeof(f->b), .data_out = out,
			    .data_size_out = sizeof(out),
			    .repeat = vary ? 1 : n);

		if (vary)
			vary(f, i);
		if (kind == 0 || kind == 2) {
			o.ctx_in = &xdp;
			o.ctx_size_in = sizeof(xdp);
		} else {
			o.ctx_in = &skb;
			o.ctx_size_in = sizeof(skb);
		}
		if (bpf_prog_test_run_opts(prog[kind], &o))
			die("test run (%s): %s", kind_name[kind], strerror(errno));
		total += o.duration;
		*verdict = o.retval;
	}
	return (double)total / calls;
}

/* ---- setup */

static void veth(int ifindex)
{
	sh("ip link add xvc%d index %d type veth peer name xvc%d index %d",
	   ifindex, ifindex, ifindex + 100, ifindex + 100);
	sh("ip link set xvc%d up && ip link set xvc%d up", ifindex, ifindex + 100);
}

static void put_port(__u32 ifindex, __u32 net, __u32 flags, const char *addr)
{
	struct xv_port p = { .net = net, .flags = flags };
	struct bpf_devmap_val tx = { .ifindex = ifindex };

	snprintf(p.name, sizeof(p.name), "xvc%u", ifindex);
	if (addr)
		p.addr = inet_addr(addr);
	if (bpf_map__update_elem(skel->maps.xv_port, &ifindex, 4, &p, sizeof(p), 0))
		die("xv_port: %s", strerror(errno));
	if ((flags & XV_PORT_XDP_TARGET) &&
	    bpf_map__update_elem(skel->maps.xv_tx, &ifindex, 4, &tx, sizeof(tx), 0))
		die("xv_tx: %s", strerror(errno));
}

static void put_fdb(__u32 net, const unsigned char *mac, __u32 ifindex)
{
	struct xv_fdb_key k = { .net = net };
	struct xv_fdb_val v = { .ifindex = ifindex, .seen_ns = now_coarse() };

	memcpy(k.mac, mac, 6);
	if (bpf_map__update_elem(skel->maps.xv_fdb, &k, sizeof(k), &v, sizeof(v), 0))
		die("xv_fdb: %s", strerror(errno));
}

static void put_neigh(__u32 net, const char *addr, const unsigned char *mac)
{
	struct xv_neigh_key k = { .net = net, .addr = inet_addr(addr) };
	struct xv_neigh v = { .seen_ns = now_coarse() };

	memcpy(v.mac, mac, 6);
	if (bpf_map__update_elem(skel->maps.xv_neigh, &k, sizeof(k), &v, sizeof(v), 0))
		die("xv_neigh: %s", strerror(errno));
}

static void put_net(__u32 id, struct xv_net *n)
{
	if (bpf_map__update_elem(skel->maps.xv_net, &id, 4, n, sizeof(*n), 0))
		die("xv_net: %s", strerror(errno));
}

static void setup(void)
{
	struct xv_cfg cfg = {
		.ageing_ns = 300 * SEC_NS, .udp_ns = 300 * SEC_NS,
		.tcp_est_ns = 7440 * SEC_NS, .tcp_trans_ns = 240 * SEC_NS,
		.icmp_ns = 60 * SEC_NS,
	};
	struct xv_net br = {
		.mode = XV_MODE_BRIDGE, .uplink = 10, .nports = 4,
		.ports = { 10, 11, 12, 13 }, .name = "lan",
	};
	struct xv_net nat = {
		.mode = XV_MODE_NAT, .uplink = 40, .nports = 2,
		.ports = { 41, 43 }, .name = "nat",
		.subnet = inet_addr("192.168.100.0"),
		.mask = inet_addr("255.255.255.0"),
		.gateway = inet_addr("192.168.100.1"), .host_if = 143,
		.adapter = 43, .nat_lo = 32768, .nat_hi = 65535,
	};
	struct xv_net ho = {
		.mode = XV_MODE_HOSTONLY, .nports = 2, .ports = { 51, 53 },
		.name = "ho", .subnet = inet_addr("192.168.56.0"),
		.mask = inet_addr("255.255.255.0"),
		.gateway = inet_addr("192.168.56.1"), .host_if = 153,
		.adapter = 53,
	};
	struct xv_gc gc = { .salt = 0x9e3779b9, .epoch = 1 };
	const int devs[] = { 10, 11, 12, 13, 40, 41, 43, 51, 53 };
	const __u32 vmf = XV_PORT_VM | XV_PORT_CSUM_VERIFY | XV_PORT_XDP_TARGET;
	char path[512];
	struct bpf_map *map;
	struct bpf_program *p;
	__u32 zero = 0;
	size_t i;
	int err;

	if (unshare(CLONE_NEWNET))
		die("unshare: %s", strerror(errno));
	sh("ip link set lo up");
	for (i = 0; i < sizeof(devs) / sizeof(devs[0]); i++)
		veth(devs[i]);
	/* The nat network's host side, for bpf_fib_lookup from host_if. */
	sh("ip link set xvc143 address 02:00:00:00:02:01 && "
	   "ip link set xvc40 address 02:00:00:00:02:02 && "
	   "ip addr add 192.168.100.1/24 dev xvc143 && "
	   "ip addr add 203.0.113.2/24 dev xvc40 && "
	   "ip neigh replace 203.0.113.1 lladdr 02:00:00:00:fe:01 dev xvc40 nud permanent && "
	   "ip route add default via 203.0.113.1 dev xvc40 && "
	   "sysctl -qw net.ipv4.conf.xvc143.forwarding=1");

	skel = xvnet__open();
	if (!skel)
		die("open the skeleton: %s", strerror(errno));
	bpf_object__for_each_map(map, skel->obj)
		bpf_map__set_pin_path(map, NULL);
	/* Only the two programs measured here. */
	bpf_object__for_each_program(p, skel->obj)
		bpf_program__set_autoload(p, p == skel->progs.xv_xdp_port ||
					  p == skel->progs.xv_tc_ingress);
	err = xvnet__load(skel);
	if (err)
		die("load the skeleton: %s", strerror(-err));
	prog[0] = bpf_program__fd(skel->progs.xv_xdp_port);
	prog[1] = bpf_program__fd(skel->progs.xv_tc_ingress);

	snprintf(path, sizeof(path), "%s/bench/bare.bpf.o",
		 getenv("BUILD") ? getenv("BUILD") : "build");
	bare = bpf_object__open_file(path, NULL);
	if (!bare || bpf_object__load(bare))
		die("load %s", path);
	bpf_object__for_each_program(p, bare)
		prog[strcmp(bpf_program__name(p), "bare_xdp") ? 3 : 2] = bpf_program__fd(p);
	map = bpf_object__find_map_by_name(bare, "bare_tx");
	{
		__u32 v = 13;
		struct bpf_map *t = bpf_object__find_map_by_name(bare, "bare_target");

		if (!map || !t || bpf_map__update_elem(map, &zero, 4, &v, 4, 0) ||
		    bpf_map__update_elem(t, &zero, 4, &v, 4, 0))
			die("bare maps: %s", strerror(errno));
	}

	if (bpf_map__update_elem(skel->maps.xv_cfg, &zero, 4, &cfg, sizeof(cfg), 0))
		die("xv_cfg: %s", strerror(errno));
	if (bpf_map__update_elem(skel->maps.xv_gc, &zero, 4, &gc, sizeof(gc), 0))
		die("xv_gc: %s", strerror(errno));
	memcpy(br.host_mac, HOST1, 6);
	memcpy(nat.host_mac, GW, 6);
	memcpy(ho.host_mac, HO_GW, 6);
	put_net(1, &br);
	put_net(2, &nat);
	put_net(3, &ho);
	put_port(10, 1, XV_PORT_UPLINK | XV_PORT_XDP_TARGET, NULL);
	put_port(11, 1, vmf, NULL);
	put_port(12, 1, vmf, NULL);
	put_port(13, 1, vmf, NULL);
	/* The uplink as a NIC (no checksum to verify), the VM on a veth. */
	put_port(40, 0, XV_PORT_NAT_UPLINK | XV_PORT_XDP_TARGET, "203.0.113.2");
	put_port(41, 2, vmf, NULL);
	put_port(43, 2, XV_PORT_ADAPTER | XV_PORT_XDP_TARGET, NULL);
	put_port(51, 3, vmf, NULL);
	put_port(53, 3, XV_PORT_ADAPTER | XV_PORT_XDP_TARGET, NULL);
	put_fdb(1, M_A, 11);
	put_fdb(1, M_B, 13);
	put_fdb(2, V1, 41);
	put_fdb(2, GW, 43);
	put_fdb(3, HO_V, 51);
	/* The datapath learns it when it writes the VM's FDB entry, which
	 * put_fdb wrote fresh: replies find the VM's MAC here. */
	put_neigh(2, "192.168.100.10", V1);
}

/*
 * The outside port of the session VM 192.168.100.10:SPORT -> 203.0.113.1:9
 * (0: none): its flow's, which xv_nat_port must give to that endpoint.
 */
static int outside_port(int sport)
{
	struct xv_nat_flow_key k = { .inside_addr = inet_addr("192.168.100.10"),
				     .remote_addr = inet_addr("203.0.113.1"),
				     .inside_port = htons(sport),
				     .remote_port = htons(9),
				     .proto = IPPROTO_UDP };
	struct xv_nat_flow f;
	struct xv_nat_port w;
	__u32 i;

	if (bpf_map__lookup_elem(skel->maps.xv_nat_flow, &k, sizeof(k), &f,
				 sizeof(f), 0))
		return 0;
	i = xv_nat_port_index(IPPROTO_UDP, ntohs(f.outside_port));
	if (bpf_map__lookup_elem(skel->maps.xv_nat_port, &i, sizeof(i), &w,
				 sizeof(w), 0) ||
	    w.inside_addr != k.inside_addr || w.inside_port != k.inside_port ||
	    w.net != 2 || w.mark != 1)
		die("nat: port %u is not held by the session's endpoint",
		    ntohs(f.outside_port));
	return ntohs(f.outside_port);
}

static void clear(struct bpf_map *map)
{
	unsigned char key[64];

	while (!bpf_map__get_next_key(map, NULL, key, bpf_map__key_size(map)))
		bpf_map__delete_elem(map, key, bpf_map__key_size(map), 0);
}

/*
 * No sessions: no flows, and every outside port free again. A claimed
 * port stays claimed until the collector frees it (it does not run here),
 * so the array is zeroed as a whole.
 */
static void nat_clear(void)
{
	static __u32 keys[XV_NAT_PORTS];
	static struct xv_nat_port zero[XV_NAT_PORTS];
	__u32 i, n = XV_NAT_PORTS;

	clear(skel->maps.xv_nat_flow);
	clear(skel->maps.xv_nat_count);
	for (i = 0; i < n; i++)
		keys[i] = i;
	if (bpf_map_update_batch(bpf_map__fd(skel->maps.xv_nat_port), keys,
				 zero, &n, NULL) || n != XV_NAT_PORTS)
		die("xv_nat_port: %s", strerror(errno));
}

/* nat-new: source port 1024 + i, the UDP checksum adjusted. */
static void new_port(struct frame *f, unsigned long i)
{
	struct udphdr *udp = (void *)(f->b + 34);
	struct iphdr *ip = (void *)(f->b + 14);
	unsigned short c;

	udp->source = htons(1024 + (i % 30000));
	udp->check = 0;
	c = fold(sum16(udp, 26, sum16(&ip->saddr, 8, 0) + IPPROTO_UDP + 26));
	udp->check = htons(c ? c : 0xffff);
}

/* nat-out, nat-in: each call from the original frame. */
static struct frame orig;
static void same(struct frame *f, unsigned long i)
{
	*f = orig;
}

static void report(const char *what, int kind, double ns, int verdict)
{
	printf("%s %s %.1f %d\n", what, kind_name[kind], ns, verdict);
	fflush(stdout);
}

/* Each kind in turn, then the bare ones, for one case. */
static void measure(const char *what, int in, struct frame f,
		    void (*vary)(struct frame *, unsigned long), unsigned long n,
		    void (*before)(int kind))
{
	int kind, verdict;
	double ns;

	if (only && strcmp(only, what))
		return;
	for (kind = 0; kind < 4; kind++) {
		struct frame g = f;

		if (before)
			before(kind);
		ns = run(kind, in, &g, n, vary, &verdict);
		report(what, kind, ns, verdict);
	}
}

/*
 * nat-new: every packet is a new inside endpoint, so tc claims it an
 * outside port (compare-and-swap of a free xv_nat_port word among the
 * endpoint's candidates) and makes its flow. Claimed ports stay claimed
 * (no collector here), so each kind starts from empty tables and the range
 * fills as it runs: up to CALLS of its 32768 ports, a quarter full on
 * average at 16000 (as the old mapping tables filled). Each packet's
 * endpoint is new, so every run measures a claim, never a port found held.
 */
static void before_new(int kind)
{
	nat_clear();
}

int main(int argc, char **argv)
{
	unsigned long calls;
	struct frame f;
	char name[32];
	int port;

	if (argc > 1)
		repeat = strtoul(argv[1], NULL, 0);
	if (argc > 2)
		only = argv[2];
	/* One a syscall: fewer, and at most 16000 (nat-new then claims half
	 * of the 32768 outside ports), unless one case is profiled. */
	calls = repeat / 8 < 16000 || only ? repeat / 8 : 16000;
	if (!calls)
		calls = 1;
	setup();

	measure("bridge-forward", 11,
		udp_frame(M_B, M_A, "198.18.0.11", "198.18.0.13", 4000, 9),
		NULL, repeat, NULL);
	measure("flood", 11,
		udp_frame(BCAST, M_A, "198.18.0.11", "198.18.0.255", 4000, 9),
		NULL, repeat / 10 ? repeat / 10 : 1, NULL);
	measure("isolation-drop", 51,
		udp_frame(HO_GW, HO_V, "192.168.56.10", "203.0.113.1", 4000, 9),
		NULL, repeat, NULL);

	measure("nat-new", 41,
		udp_frame(GW, V1, "192.168.100.10", "203.0.113.1", 1024, 9),
		new_port, calls, before_new);

	/* One session, then its packets both ways. */
	nat_clear();
	orig = udp_frame(GW, V1, "192.168.100.10", "203.0.113.1", 5000, 9);
	f = orig;
	{
		int verdict;

		run(1, 41, &f, 1, same, &verdict);
	}
	port = outside_port(5000);
	if (!port)
		die("nat: no session made for 192.168.100.10:5000");
	measure("nat-out", 41, orig, same, calls, NULL);
	orig = udp_frame(UPL, RTR, "203.0.113.1", "203.0.113.2", 9, port);
	snprintf(name, sizeof(name), "nat-in");
	measure(name, 40, orig, same, calls, NULL);
	xvnet__destroy(skel);
	bpf_object__close(bare);
	return 0;
}
