// SPDX-License-Identifier: GPL-2.0
/*
 * xdpgen: a packet generator for the benchmark that injects frames the way
 * a NIC receives them. It runs bench/gen.bpf.c under BPF_PROG_TEST_RUN
 * with BPF_F_TEST_XDP_LIVE_FRAMES: every frame the program redirects is
 * really transmitted, in batches, through the target device's
 * ndo_xdp_xmit. Into a veth that lands on the peer's NAPI ring as an
 * xdp_frame; the peer runs its XDP program on it (native XDP, no copy) or,
 * without one, builds an skb with headroom as a NIC driver does. Frames
 * carry complete IPv4 and UDP checksums.
 *
 * Usage (inside the generator's namespace):
 *   xdpgen -i DEV -d DSTMAC -s SRCMAC -S SADDR -D DADDR [-p SPORT] [-P DPORT]
 *          [-f FLOWS] [-t SECONDS] [-T THREADS] [-l LEN]
 * It stops by itself after SECONDS (default 3) and prints the number of
 * frames the program handled. THREADS (default 1) are pinned to CPUs
 * 0..THREADS-1. A full ring drops frames; the sink counts what arrives.
 */
#include <errno.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "gen.skel.h"

#define FRAME_MAX 1514

static unsigned char frame[FRAME_MAX];
static size_t frame_len = 60;
static double secs = 3;
static int prog_fd;
static unsigned long long handled[64];

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static unsigned long long sum16(const void *p, size_t len, unsigned long long s)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (b[i] << 8) | b[i + 1];
	if (len & 1)
		s += b[len - 1] << 8;
	return s;
}

static unsigned short fold(unsigned long long s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return ~s & 0xffff;
}

static int parse_mac(const char *s, unsigned char *m)
{
	return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &m[0], &m[1], &m[2],
		      &m[3], &m[4], &m[5]) == 6 ? 0 : -1;
}

/* Ethernet + IPv4 + UDP, all checksums complete. */
static void build(const unsigned char *dst, const unsigned char *src,
		  in_addr_t saddr, in_addr_t daddr, int sport, int dport)
{
	struct ethhdr *eth = (void *)frame;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);
	size_t l4 = frame_len - sizeof(*eth) - sizeof(*ip);
	unsigned long long s;
	unsigned short c;

	memcpy(eth->h_dest, dst, 6);
	memcpy(eth->h_source, src, 6);
	eth->h_proto = htons(ETH_P_IP);
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons(frame_len - sizeof(*eth));
	ip->id = htons(1);
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->saddr = saddr;
	ip->daddr = daddr;
	ip->check = htons(fold(sum16(ip, sizeof(*ip), 0)));
	udp->source = htons(sport);
	udp->dest = htons(dport);
	udp->len = htons(l4);
	s = sum16(&ip->saddr, 8, 0) + IPPROTO_UDP + l4;
	c = fold(sum16(udp, l4, s));
	udp->check = htons(c ? c : 0xffff);
}

static void *run(void *arg)
{
	long cpu = (long)arg;
	cpu_set_t set;
	double end = now() + secs;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	while (now() < end) {
		LIBBPF_OPTS(bpf_test_run_opts, opts,
			    .data_in = frame, .data_size_in = frame_len,
			    .repeat = 1 << 13, .batch_size = 64,
			    .flags = BPF_F_TEST_XDP_LIVE_FRAMES);

		if (bpf_prog_test_run_opts(prog_fd, &opts)) {
			perror("xdpgen: BPF_PROG_TEST_RUN");
			exit(2);
		}
		handled[cpu] += 1 << 13;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned char dst[6] = {}, src[6] = {};
	in_addr_t saddr = 0, daddr = 0;
	int sport = 4000, dport = 9, flows = 1, threads = 1, opt, err;
	unsigned long long total = 0;
	const char *dev = NULL;
	pthread_t th[64];
	struct gen *skel;
	long t;

	while ((opt = getopt(argc, argv, "i:d:s:S:D:p:P:f:t:T:l:")) != -1) {
		switch (opt) {
		case 'i': dev = optarg; break;
		case 'd': if (parse_mac(optarg, dst)) goto usage; break;
		case 's': if (parse_mac(optarg, src)) goto usage; break;
		case 'S': saddr = inet_addr(optarg); break;
		case 'D': daddr = inet_addr(optarg); break;
		case 'p': sport = atoi(optarg); break;
		case 'P': dport = atoi(optarg); break;
		case 'f': flows = atoi(optarg); break;
		case 't': secs = atof(optarg); break;
		case 'T': threads = atoi(optarg); break;
		case 'l': frame_len = atoi(optarg); break;
		default: goto usage;
		}
	}
	if (!dev || !saddr || !daddr || threads < 1 || threads > 64 ||
	    flows < 1 || sport + flows > 65536 || frame_len < 60 ||
	    frame_len > FRAME_MAX)
		goto usage;
	build(dst, src, saddr, daddr, sport, dport);

	skel = gen__open();
	if (!skel)
		return 2;
	skel->rodata->target_ifindex = if_nametoindex(dev);
	skel->rodata->nflows = flows;
	skel->rodata->sport0 = sport;
	memcpy((void *)&skel->rodata->csum0, frame + 14 + 20 + 6, 2);
	memcpy(skel->bss->hdr, frame, 42);
	if (!skel->rodata->target_ifindex) {
		fprintf(stderr, "xdpgen: no device %s\n", dev);
		return 1;
	}
	err = gen__load(skel);
	if (err) {
		fprintf(stderr, "xdpgen: load: %s\n", strerror(-err));
		return 2;
	}
	prog_fd = bpf_program__fd(skel->progs.gen_xdp);
	for (t = 0; t < threads; t++)
		pthread_create(&th[t], NULL, run, (void *)t);
	for (t = 0; t < threads; t++) {
		pthread_join(th[t], NULL);
		total += handled[t];
	}
	printf("%llu\n", total);
	gen__destroy(skel);
	return 0;
usage:
	fprintf(stderr, "usage: xdpgen -i DEV -d DSTMAC -s SRCMAC -S SADDR -D DADDR "
		"[-p SPORT] [-P DPORT] [-f FLOWS] [-t SECONDS] [-T THREADS] [-l LEN]\n");
	return 1;
}
