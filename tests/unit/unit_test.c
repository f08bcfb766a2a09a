// SPDX-License-Identifier: GPL-2.0
/*
 * Packet-level unit tests of the datapath through BPF_PROG_TEST_RUN, in the
 * style of the kernel selftests and cilium's bpf/tests: a fixture table of
 * (what, ingress port, input frame, expected verdict, expected mark, expected
 * clones, expected FDB state, expected counters), each ingress fixture run
 * once through the XDP program and once through the tc ingress program.
 *
 * The skeleton is loaded without pinning, so /sys/fs/bpf is never touched,
 * and the maps are filled here. The ports are veth devices created with
 * fixed ifindexes in a private network namespace (port N, idle peer N + 100),
 * so that XDP test runs accept them as ingress_ifindex (the kernel looks it
 * up in the caller's namespace), devmap entries resolve, and the clones that
 * tc floods really leave through them: a packet socket on every port sees
 * each copy (PACKET_OUTGOING for a clone sent out of a port, anything else
 * for one injected into the uplink's receive path, i.e. into the host stack).
 * tc runs take __sk_buff.ifindex and .mark in and give .mark back out.
 *
 *   network 1 (host MAC 02:00:00:00:01:00)     network 2 (02:00:00:00:02:00)
 *
 *        uplink 10 (XDP target)                     uplink 20
 *      +-----+-----+-----+                              |
 *      11    12    13    14                             21
 *      VM    VM    VM    VM                             VM
 *      csum  csum  csum  XDP target flag but            XDP target
 *      XDP         XDP   missing from xv_tx
 *
 *   30: a device that is no port; 31: a port record with no network.
 *   40-44 (and peers 140-144): network 3, mode nat, see nat_fixtures.c.
 *   51-53 (and peers 151-153): network 4, mode hostonly, see
 *   hostonly_fixtures.c.
 *
 * A redirect's target is not observable in a test run (the kernel frees the
 * frame instead of sending it); only the verdict, the mark and the clones
 * are. Output: one PASS/FAIL/SKIP line per fixture and attach kind.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <linux/in.h>
#include <linux/pkt_cls.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "xvnet.h"
#include "nl.h"
#include "test_nl.h"
#include "xvnet.skel.h"

#define AGEING_NS	1000000000ULL	/* the smallest ageing the config takes */
#define FRESH_AGE_NS	100000000ULL	/* pre-set "fresh" entries: 100 ms old */
#define FRAME_MAX	2048
#define CLONE_WAIT_MS	200
#define NSTAT_NETS	5		/* networks whose counters are compared */

/* Devices of the namespace; a clone bit per device and direction. */
enum dev_idx {
	D10, D11, D12, D13, D14, D20, D21, D30, D31,
	D40, D41, D42, D43, D44,	/* the nat network: nat_fixtures.c */
	NDEVS
};

static const __u32 dev_ifindex[NDEVS] = {
	10, 11, 12, 13, 14, 20, 21, 30, 31, 40, 41, 42, 43, 44,
};

#define OUT(d)		(1u << (d))		/* sent out of the device */
#define IN(d)		(1u << ((d) + 16))	/* into its receive path */
#define VMS1		(OUT(D11) | OUT(D12) | OUT(D13) | OUT(D14))
#define FLOOD1(d)	((OUT(D10) | VMS1) & ~OUT(d))
#define HOST1		IN(D10)

#define VM		XV_PORT_VM
#define UPLINK		XV_PORT_UPLINK
#define TARGET		XV_PORT_XDP_TARGET
#define CSUM		XV_PORT_CSUM_VERIFY

static const struct port_def {
	__u32 ifindex;
	__u32 net;
	__u32 flags;
	bool tx;		/* entry in the xv_tx devmap */
} port_defs[] = {
	{ 10, 1, UPLINK | TARGET, true },
	{ 11, 1, VM | CSUM | TARGET, true },
	{ 12, 1, VM | CSUM, false },
	{ 13, 1, VM | CSUM | TARGET, true },	/* stands in for a tap */
	{ 14, 1, VM | TARGET, false },		/* a stale devmap */
	{ 20, 2, UPLINK, false },
	{ 21, 2, VM | TARGET, true },
	{ 31, 0, 0, false },
};

static const __u8 M_A[6] = { 0x02, 0, 0, 0, 0, 0x0a };	/* the usual sender */
static const __u8 M_B[6] = { 0x02, 0, 0, 0, 0, 0x0b };	/* on 12 */
static const __u8 M_C[6] = { 0x02, 0, 0, 0, 0, 0x0c };	/* on 13 */
static const __u8 M_D[6] = { 0x02, 0, 0, 0, 0, 0x0d };	/* on 14 */
static const __u8 M_L[6] = { 0x02, 0, 0, 0, 0, 0x1a };	/* LAN host, on 10 */
static const __u8 M_L2[6] = { 0x02, 0, 0, 0, 0, 0x1b };	/* another one */
static const __u8 M_X[6] = { 0x02, 0, 0, 0, 0, 0x2a };	/* net 2 only, on 21 */
static const __u8 M_Y[6] = { 0x02, 0, 0, 0, 0, 0x2b };	/* forged entry */
static const __u8 M_G[6] = { 0x02, 0, 0, 0, 0, 0x3a };	/* port vanished */
static const __u8 M_U[6] = { 0x02, 0, 0, 0, 0, 0xee };	/* never learned */
static const __u8 HOST1_MAC[6] = { 0x02, 0, 0, 0, 0x01, 0 };
static const __u8 HOST2_MAC[6] = { 0x02, 0, 0, 0, 0x02, 0 };
static const __u8 BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const __u8 MCAST[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
static const __u8 ZERO[6];

/* FDB entries: written before a run (pre) or expected after it (post). */
enum fdb_age {
	P_FRESH = 0,	/* pre: seen FRESH_AGE_NS ago */
	P_AGED,		/* pre: seen 2 * ageing ago */
	A_ANY = 0,	/* post: any seen_ns */
	A_NEW,		/* post: written during the run */
	A_KEPT_FRESH,	/* post: still the pre-set P_FRESH time */
	A_KEPT_AGED,	/* post: still the pre-set P_AGED time */
};

struct fdb_ent {
	__u32 net;
	const __u8 *mac;
	__u32 ifindex;		/* post: 0 = must be absent */
	int age;
};

/* Present before every run; fixtures add to it. */
static const struct fdb_ent fdb_base[] = {
	{ 1, M_B, 12, 0 }, { 1, M_C, 13, 0 }, { 1, M_D, 14, 0 }, { 1, M_L, 10, 0 },
	{ 2, M_X, 21, 0 },
};

enum frame_kind { F_ARP, F_IP4, F_IP6, F_VLAN4, F_TRUNC4, F_RUNT };
enum csum_mode { C_OK, C_PARTIAL, C_NONE, C_BAD };

struct frame_spec {
	const __u8 *dst, *src;
	__u8 kind;		/* enum frame_kind */
	__u8 proto;		/* IPPROTO_* for F_IP4, F_IP6, F_VLAN4 */
	__u8 csum;		/* enum csum_mode of the L4 checksum */
	__u8 opt;		/* IPv4: option words; IPv6: hop-by-hop */
	__u16 payload;		/* L4 payload bytes */
	__u16 frag;		/* IPv4 frag_off, host order */
	bool pad;		/* pad to ETH_ZLEN */
	bool long_tot;		/* IPv4 tot_len claims more than there is */
	bool bad_ihl;		/* IPv4 ihl = 15, the header is 20 bytes */
	__u8 cut;		/* bytes cut off the end of the frame */
};

enum { K_XDP = 1, K_TC = 2, K_EGR = 4, K_BOTH = K_XDP | K_TC };

struct fixture {
	const char *what;
	unsigned int kinds;
	__u32 ifindex;
	struct frame_spec f;
	__u32 mark;		/* tc: skb->mark in */
	int xdp_ret;
	int tc_ret;		/* tc ingress or egress */
	__u32 mark_out;		/* tc: skb->mark after */
	__u32 clones;		/* tc: OUT()/IN() bits of the expected copies */
	struct fdb_ent pre[2];
	struct fdb_ent post[3];
	/*
	 * Inputs BPF_PROG_TEST_RUN cannot express for some kind (the kernel
	 * refuses them with EINVAL): why. Such a run is not a check at all, so
	 * it prints no result line, only a note on stderr; the same frames are
	 * covered where the kernel does accept them. Without this, a refusal
	 * is a failure.
	 */
	const char *refused;
	/* Counter deltas in the port's network; rx_bytes follows rx_packets. */
	struct xv_stats xdp_s;
	struct xv_stats tc_s;
};

#define RX	.rx_packets = 1
#define LEARN	.learned = 1
#define DROP(r)	.drop = { [XV_DROP_##r] = 1 }
#define ARP(d, s)		{ .dst = d, .src = s, .kind = F_ARP }
#define IP4(d, s, p, c, n)	{ .dst = d, .src = s, .kind = F_IP4, \
				  .proto = IPPROTO_##p, .csum = c, .payload = n }
#define IP6(d, s, p, c, n)	{ .dst = d, .src = s, .kind = F_IP6, \
				  .proto = IPPROTO_##p, .csum = c, .payload = n }
#define A_LEARNED	{ 1, M_A, 11, A_NEW }

/* Flood of a frame from VM 11 in network 1, as either program sees it. */
#define FLOOD_FROM_11						\
	.xdp_ret = XDP_PASS, .tc_ret = TC_ACT_SHOT,		\
	.clones = FLOOD1(D11) | HOST1,				\
	.xdp_s = { .xdp_pass = 1, LEARN },			\
	.tc_s = { RX, .flood = 1, .to_host = 1, LEARN }

/* Known unicast from 11 that XDP redirects and tc redirects. */
#define XDP_FWD_FROM_11						\
	.xdp_ret = XDP_REDIRECT, .tc_ret = TC_ACT_REDIRECT,	\
	.xdp_s = { RX, .fwd_xdp = 1, LEARN },			\
	.tc_s = { RX, .fwd_tc = 1, LEARN }

/* Known unicast from 11 that XDP hands to tc because of its checksum. */
#define CSUM_PASS_FROM_11					\
	.xdp_ret = XDP_PASS, .tc_ret = TC_ACT_REDIRECT,		\
	.xdp_s = { .xdp_pass = 1, .csum_pass = 1, LEARN },	\
	.tc_s = { RX, .fwd_tc = 1, LEARN }

#define DROP_FROM_11(r)						\
	.xdp_ret = XDP_DROP, .tc_ret = TC_ACT_SHOT,		\
	.xdp_s = { RX, DROP(r), LEARN },			\
	.tc_s = { RX, DROP(r), LEARN }

static const struct fixture fixtures[] = {
	/* Learning. */
	{ "learn source", K_BOTH, 11, ARP(BCAST, M_A), FLOOD_FROM_11,
	  .post = { A_LEARNED } },
	{ "learn: station moves from 11 to 12", K_BOTH, 12, ARP(BCAST, M_A),
	  .xdp_ret = XDP_PASS, .tc_ret = TC_ACT_SHOT,
	  .clones = FLOOD1(D12) | HOST1,
	  .pre = { { 1, M_A, 11, 0 } }, .post = { { 1, M_A, 12, A_NEW } },
	  .xdp_s = { .xdp_pass = 1, LEARN },
	  .tc_s = { RX, .flood = 1, .to_host = 1, LEARN } },
	{ "learn: known source is neither re-learned nor rewritten", K_BOTH,
	  11, ARP(BCAST, M_A),
	  .xdp_ret = XDP_PASS, .tc_ret = TC_ACT_SHOT,
	  .clones = FLOOD1(D11) | HOST1,
	  .pre = { { 1, M_A, 11, 0 } }, .post = { { 1, M_A, 11, A_KEPT_FRESH } },
	  .xdp_s = { .xdp_pass = 1 },
	  .tc_s = { RX, .flood = 1, .to_host = 1 } },
	{ "learn: same MAC in network 2 is another entry", K_BOTH, 21,
	  ARP(BCAST, M_A),
	  .xdp_ret = XDP_PASS, .tc_ret = TC_ACT_SHOT,
	  .clones = OUT(D20) | IN(D20),
	  .pre = { { 1, M_A, 11, 0 } },
	  .post = { { 2, M_A, 21, A_NEW }, { 1, M_A, 11, A_KEPT_FRESH } },
	  .xdp_s = { .xdp_pass = 1, LEARN },
	  .tc_s = { RX, .flood = 1, .to_host = 1, LEARN } },
	{ "bad source: multicast MAC", K_BOTH, 11, ARP(M_B, MCAST),
	  .xdp_ret = XDP_DROP, .tc_ret = TC_ACT_SHOT,
	  .post = { { 1, MCAST, 0, 0 } },
	  .xdp_s = { RX, DROP(BAD_SRC) }, .tc_s = { RX, DROP(BAD_SRC) } },
	{ "bad source: broadcast MAC", K_BOTH, 11, ARP(M_B, BCAST),
	  .xdp_ret = XDP_DROP, .tc_ret = TC_ACT_SHOT,
	  .post = { { 1, BCAST, 0, 0 } },
	  .xdp_s = { RX, DROP(BAD_SRC) }, .tc_s = { RX, DROP(BAD_SRC) } },
	{ "bad source: zero MAC", K_BOTH, 11, ARP(M_B, ZERO),
	  .xdp_ret = XDP_DROP, .tc_ret = TC_ACT_SHOT,
	  .post = { { 1, ZERO, 0, 0 } },
	  .xdp_s = { RX, DROP(BAD_SRC) }, .tc_s = { RX, DROP(BAD_SRC) } },

	/* Ageing (xv_cfg.ageing_ns = 1 s). */
	{ "ageing: aged destination floods", K_BOTH, 11, ARP(M_B, M_A),
	  FLOOD_FROM_11, .pre = { { 1, M_B, 12, P_AGED } },
	  .post = { A_LEARNED, { 1, M_B, 12, A_KEPT_AGED } } },
	{ "ageing: aged source re-learned on the same port", K_BOTH, 11,
	  ARP(M_B, M_A),
	  .xdp_ret = XDP_PASS, .tc_ret = TC_ACT_REDIRECT,
	  .pre = { { 1, M_A, 11, P_AGED } }, .post = { A_LEARNED },
	  /* a refresh of the same mapping, not an insert */
	  .xdp_s = { .xdp_pass = 1 }, .tc_s = { RX, .fwd_tc = 1 } },
	{ "ageing: aged source re-learned on another port", K_BOTH, 11,
	  ARP(M_B, M_A),
	  .xdp_ret = XDP_PASS, .tc_ret = TC_ACT_REDIRECT,
	  .pre = { { 1, M_A, 12, P_AGED } }, .post = { A_LEARNED },
	  .xdp_s = { .xdp_pass = 1, LEARN }, .tc_s = { RX, .fwd_tc = 1, LEARN } },

	/* Known unicast. */
	{ "unicast to 12 (no XDP target)", K_BOTH, 11, ARP(M_B, M_A),
	  .xdp_ret = XDP_PASS, .tc_ret = TC_ACT_REDIRECT,
	  .post = { A_LEARNED, { 1, M_B, 12, A_KEPT_FRESH } },
	  .xdp_s = { .xdp_pass = 1, LEARN }, .tc_s = { RX, .fwd_tc = 1, LEARN } },
	{ "unicast ARP to 13 (XDP target)", K_BOTH, 11, ARP(M_C, M_A),
	  XDP_FWD_FROM_11, .post = { A_LEARNED } },
	{ "unicast to 14 (XDP target flag, missing from xv_tx)", K_BOTH, 11,
	  ARP(M_D, M_A),
	  .xdp_ret = XDP_PASS, .tc_ret = TC_ACT_REDIRECT,
	  .post = { A_LEARNED },
	  .xdp_s = { .xdp_pass = 1, LEARN }, .tc_s = { RX, .fwd_tc = 1, LEARN } },
	{ "unicast to a LAN host behind the uplink", K_BOTH, 11, ARP(M_L, M_A),
	  XDP_FWD_FROM_11, .mark_out = XV_MARK_FWD, .post = { A_LEARNED } },
	{ "uplink (no csum-verify): partial checksum redirected", K_BOTH, 10,
	  IP4(M_C, M_L, UDP, C_PARTIAL, 32),
	  .xdp_ret = XDP_REDIRECT, .tc_ret = TC_ACT_REDIRECT,
	  .post = { { 1, M_L, 10, A_KEPT_FRESH } },
	  .xdp_s = { RX, .fwd_xdp = 1 }, .tc_s = { RX, .fwd_tc = 1 } },

	/* The XDP checksum rule on a csum-verify port (11 -> 13). */
	{ "csum: IPv4 UDP correct", K_BOTH, 11, IP4(M_C, M_A, UDP, C_OK, 32),
	  XDP_FWD_FROM_11 },
	{ "csum: IPv4 UDP partial", K_BOTH, 11,
	  IP4(M_C, M_A, UDP, C_PARTIAL, 32), CSUM_PASS_FROM_11 },
	{ "csum: IPv4 UDP wrong", K_BOTH, 11, IP4(M_C, M_A, UDP, C_BAD, 32),
	  CSUM_PASS_FROM_11 },
	{ "csum: IPv4 UDP without checksum", K_BOTH, 11,
	  IP4(M_C, M_A, UDP, C_NONE, 32), XDP_FWD_FROM_11 },
	{ "csum: IPv4 UDP 1-byte payload", K_BOTH, 11,
	  IP4(M_C, M_A, UDP, C_OK, 1), XDP_FWD_FROM_11 },
	{ "csum: IPv4 UDP 2-byte payload", K_BOTH, 11,
	  IP4(M_C, M_A, UDP, C_OK, 2), XDP_FWD_FROM_11 },
	{ "csum: IPv4 UDP 3-byte payload", K_BOTH, 11,
	  IP4(M_C, M_A, UDP, C_OK, 3), XDP_FWD_FROM_11 },
	{ "csum: IPv4 UDP 64-byte segment", K_BOTH, 11,
	  IP4(M_C, M_A, UDP, C_OK, 56), XDP_FWD_FROM_11 },
	/* Segments of up to 64 bytes are summed in line, longer ones by
	 * the helper: both sides of the edge, and odd tails. */
	{ "csum: IPv4 UDP 63-byte segment", K_BOTH, 11,
	  IP4(M_C, M_A, UDP, C_OK, 55), XDP_FWD_FROM_11 },
	{ "csum: IPv4 UDP 65-byte segment", K_BOTH, 11,
	  IP4(M_C, M_A, UDP, C_OK, 57), XDP_FWD_FROM_11 },
	{ "csum: IPv4 UDP 26-byte segment partial", K_BOTH, 11,
	  IP4(M_C, M_A, UDP, C_PARTIAL, 18), CSUM_PASS_FROM_11 },
	{ "csum: IPv4 UDP 3-byte payload wrong", K_BOTH, 11,
	  IP4(M_C, M_A, UDP, C_BAD, 3), CSUM_PASS_FROM_11 },
	{ "csum: IPv4 UDP 63-byte segment wrong", K_BOTH, 11,
	  IP4(M_C, M_A, UDP, C_BAD, 55), CSUM_PASS_FROM_11 },
	{ "csum: IPv4 UDP 1473-byte payload", K_BOTH, 11,
	  IP4(M_C, M_A, UDP, C_OK, 1473), XDP_FWD_FROM_11 },
	{ "csum: IPv4 TCP correct, 1400-byte payload", K_BOTH, 11,
	  IP4(M_C, M_A, TCP, C_OK, 1400), XDP_FWD_FROM_11 },
	{ "csum: IPv4 TCP partial", K_BOTH, 11,
	  IP4(M_C, M_A, TCP, C_PARTIAL, 100), CSUM_PASS_FROM_11 },
	{ "csum: IPv4 ICMP correct", K_BOTH, 11, IP4(M_C, M_A, ICMP, C_OK, 56),
	  XDP_FWD_FROM_11 },
	{ "csum: IPv4 ICMP wrong", K_BOTH, 11, IP4(M_C, M_A, ICMP, C_BAD, 56),
	  CSUM_PASS_FROM_11 },
	{ "csum: IPv4 with options, UDP correct", K_BOTH, 11,
	  { .dst = M_C, .src = M_A, .kind = F_IP4, .proto = IPPROTO_UDP,
	    .payload = 20, .opt = 2 }, XDP_FWD_FROM_11 },
	{ "csum: IPv4 padded to 60 bytes, UDP correct", K_BOTH, 11,
	  { .dst = M_C, .src = M_A, .kind = F_IP4, .proto = IPPROTO_UDP,
	    .payload = 4, .pad = true }, XDP_FWD_FROM_11 },
	{ "csum: IPv4 tot_len beyond the frame", K_BOTH, 11,
	  { .dst = M_C, .src = M_A, .kind = F_IP4, .proto = IPPROTO_UDP,
	    .payload = 32, .long_tot = true }, CSUM_PASS_FROM_11 },
	{ "csum: IPv4 first fragment (MF)", K_BOTH, 11,
	  { .dst = M_C, .src = M_A, .kind = F_IP4, .proto = IPPROTO_UDP,
	    .payload = 32, .frag = 0x2000 }, CSUM_PASS_FROM_11 },
	{ "csum: IPv4 later fragment (offset)", K_BOTH, 11,
	  { .dst = M_C, .src = M_A, .kind = F_IP4, .proto = IPPROTO_UDP,
	    .payload = 32, .frag = 0x00b9 }, CSUM_PASS_FROM_11 },
	{ "csum: IPv4 GRE (not verifiable)", K_BOTH, 11,
	  IP4(M_C, M_A, GRE, C_OK, 32), CSUM_PASS_FROM_11 },
	{ "csum: IPv6 TCP correct", K_BOTH, 11, IP6(M_C, M_A, TCP, C_OK, 333),
	  XDP_FWD_FROM_11 },
	{ "csum: IPv6 UDP correct", K_BOTH, 11, IP6(M_C, M_A, UDP, C_OK, 64),
	  XDP_FWD_FROM_11 },
	{ "csum: IPv6 ICMPv6 correct", K_BOTH, 11,
	  IP6(M_C, M_A, ICMPV6, C_OK, 16), XDP_FWD_FROM_11 },
	{ "csum: IPv6 UDP partial", K_BOTH, 11,
	  IP6(M_C, M_A, UDP, C_PARTIAL, 64), CSUM_PASS_FROM_11 },
	{ "csum: IPv6 hop-by-hop header", K_BOTH, 11,
	  { .dst = M_C, .src = M_A, .kind = F_IP6, .proto = IPPROTO_UDP,
	    .payload = 64, .opt = 1 }, CSUM_PASS_FROM_11 },
	{ "csum: VLAN-tagged IPv4 UDP, forwarded at L2 by tc", K_BOTH, 11,
	  { .dst = M_C, .src = M_A, .kind = F_VLAN4, .proto = IPPROTO_UDP,
	    .payload = 32 }, CSUM_PASS_FROM_11 },
	{ "malformed: truncated IPv4 header", K_BOTH, 11,
	  { .dst = M_C, .src = M_A, .kind = F_TRUNC4 }, CSUM_PASS_FROM_11,
	  .refused = "skb test runs need a complete IPv4 header" },
	{ "malformed: IPv4 ihl beyond the frame, UDP", K_BOTH, 11,
	  { .dst = M_C, .src = M_A, .kind = F_IP4, .proto = IPPROTO_UDP,
	    .payload = 4, .bad_ihl = true }, CSUM_PASS_FROM_11 },
	{ "malformed: IPv4 ihl beyond the frame, TCP", K_BOTH, 11,
	  { .dst = M_C, .src = M_A, .kind = F_IP4, .proto = IPPROTO_TCP,
	    .payload = 4, .bad_ihl = true }, CSUM_PASS_FROM_11 },
	{ "malformed: UDP header cut short", K_BOTH, 11,
	  { .dst = M_C, .src = M_A, .kind = F_IP4, .proto = IPPROTO_UDP,
	    .cut = 4 }, CSUM_PASS_FROM_11 },
	{ "malformed: TCP segment cut short", K_BOTH, 11,
	  { .dst = M_C, .src = M_A, .kind = F_IP4, .proto = IPPROTO_TCP,
	    .payload = 100, .cut = 30 }, CSUM_PASS_FROM_11 },
	{ "malformed: IPv6 header cut short", K_BOTH, 11,
	  { .dst = M_C, .src = M_A, .kind = F_IP6, .proto = IPPROTO_TCP,
	    .cut = 30 }, CSUM_PASS_FROM_11,
	  .refused = "skb test runs need a complete IPv6 header" },
	{ "csum: partial checksum to a non-target is no csum pass", K_BOTH, 11,
	  IP4(M_B, M_A, UDP, C_PARTIAL, 32),
	  .xdp_ret = XDP_PASS, .tc_ret = TC_ACT_REDIRECT,
	  .xdp_s = { .xdp_pass = 1, LEARN }, .tc_s = { RX, .fwd_tc = 1, LEARN } },

	/* Flood. */
	{ "flood: broadcast from a VM", K_BOTH, 11,
	  IP4(BCAST, M_A, UDP, C_OK, 300), FLOOD_FROM_11,
	  .post = { A_LEARNED } },
	{ "flood: multicast from a VM", K_BOTH, 11,
	  IP4(MCAST, M_A, UDP, C_OK, 40), FLOOD_FROM_11 },
	{ "flood: unknown unicast from a VM", K_BOTH, 11,
	  IP4(M_U, M_A, TCP, C_OK, 40), FLOOD_FROM_11,
	  .post = { A_LEARNED, { 1, M_U, 0, 0 } } },
	{ "flood: broadcast from the uplink", K_BOTH, 10, ARP(BCAST, M_L),
	  .xdp_ret = XDP_PASS, .tc_ret = TC_ACT_OK, .clones = VMS1,
	  .xdp_s = { .xdp_pass = 1 }, .tc_s = { RX, .flood = 1 } },
	{ "flood: unknown unicast from the uplink learns", K_BOTH, 10,
	  ARP(M_U, M_L2),
	  .xdp_ret = XDP_PASS, .tc_ret = TC_ACT_OK, .clones = VMS1,
	  .post = { { 1, M_L2, 10, A_NEW } },
	  .xdp_s = { .xdp_pass = 1, LEARN }, .tc_s = { RX, .flood = 1, LEARN } },

	/* The host's own MAC. */
	{ "host MAC from a VM", K_BOTH, 11, IP4(HOST1_MAC, M_A, TCP, C_OK, 10),
	  .xdp_ret = XDP_PASS, .tc_ret = TC_ACT_REDIRECT,
	  .mark_out = XV_MARK_HOST, .post = { A_LEARNED },
	  .xdp_s = { .xdp_pass = 1, LEARN },
	  .tc_s = { RX, .to_host = 1, LEARN } },
	{ "host MAC from the uplink", K_BOTH, 10,
	  IP4(HOST1_MAC, M_L, TCP, C_OK, 10),
	  .xdp_ret = XDP_PASS, .tc_ret = TC_ACT_OK,
	  .xdp_s = { .xdp_pass = 1 }, .tc_s = { RX } },
	{ "host MAC of network 2 is unknown unicast in network 1", K_BOTH, 11,
	  IP4(HOST2_MAC, M_A, TCP, C_OK, 10), FLOOD_FROM_11 },

	/* Same port. */
	{ "same port: destination behind the ingress port", K_BOTH, 11,
	  ARP(M_B, M_A), DROP_FROM_11(SAME_PORT),
	  .pre = { { 1, M_B, 11, 0 } }, .post = { A_LEARNED } },
	{ "same port: LAN to LAN seen on the uplink", K_BOTH, 10,
	  ARP(M_L2, M_L),
	  .xdp_ret = XDP_DROP, .tc_ret = TC_ACT_SHOT,
	  .pre = { { 1, M_L2, 10, 0 } },
	  .xdp_s = { RX, DROP(SAME_PORT) }, .tc_s = { RX, DROP(SAME_PORT) } },

	/* Networks never mix. */
	{ "cross-net: MAC known only in network 2 floods in network 1",
	  K_BOTH, 11, ARP(M_X, M_A), FLOOD_FROM_11,
	  .post = { A_LEARNED, { 2, M_X, 21, A_KEPT_FRESH }, { 1, M_X, 0, 0 } } },
	{ "cross-net: forged entry (net 1) to port 21 of net 2", K_BOTH, 11,
	  ARP(M_Y, M_A), DROP_FROM_11(CROSS_NET),
	  .pre = { { 1, M_Y, 21, 0 } } },
	{ "FDB entry to a port that is gone floods", K_BOTH, 11,
	  ARP(M_G, M_A), FLOOD_FROM_11, .pre = { { 1, M_G, 99, 0 } } },

	/* Frames the datapath must not take. */
	{ "runt frame (10 bytes)", K_BOTH, 11,
	  { .dst = BCAST, .src = M_A, .kind = F_RUNT },
	  .xdp_ret = XDP_DROP, .tc_ret = TC_ACT_SHOT,
	  .post = { { 1, M_A, 0, 0 } },
	  .xdp_s = { RX, DROP(RUNT) }, .tc_s = { RX, DROP(RUNT) },
	  .refused = "test runs need ETH_HLEN bytes of frame (XDP: even "
		     "behind metadata); the runt check is unreachable "
		     "from a test run" },
	{ "not a port: untouched", K_BOTH, 30, ARP(M_B, M_A),
	  .xdp_ret = XDP_PASS, .tc_ret = TC_ACT_OK,
	  .post = { { 1, M_A, 0, 0 }, { 0, M_A, 0, 0 } } },
	{ "port record without a network: untouched", K_BOTH, 31,
	  ARP(BCAST, M_A),
	  .xdp_ret = XDP_PASS, .tc_ret = TC_ACT_OK,
	  .post = { { 1, M_A, 0, 0 }, { 0, M_A, 0, 0 } } },
	{ "host-marked frame passes with the mark cleared", K_TC, 11,
	  ARP(M_C, M_A), .mark = XV_MARK_HOST,
	  .tc_ret = TC_ACT_OK, .post = { { 1, M_A, 0, 0 } } },

	/* tc egress of the uplink: the host's own frames. */
	{ "egress: host to a known VM", K_EGR, 10,
	  IP4(M_B, HOST1_MAC, TCP, C_PARTIAL, 100),
	  .tc_ret = TC_ACT_REDIRECT, .post = { { 1, HOST1_MAC, 0, 0 } },
	  .tc_s = { .from_host = 1 } },
	{ "egress: host broadcast", K_EGR, 10, ARP(BCAST, HOST1_MAC),
	  .tc_ret = TC_ACT_OK, .clones = VMS1, .tc_s = { .from_host = 1 } },
	{ "egress: host multicast", K_EGR, 10,
	  IP4(MCAST, HOST1_MAC, UDP, C_OK, 20),
	  .tc_ret = TC_ACT_OK, .clones = VMS1, .tc_s = { .from_host = 1 } },
	{ "egress: host unknown unicast", K_EGR, 10, ARP(M_U, HOST1_MAC),
	  .tc_ret = TC_ACT_OK, .clones = VMS1, .tc_s = { .from_host = 1 } },
	{ "egress: host to a LAN host", K_EGR, 10, ARP(M_L, HOST1_MAC),
	  .tc_ret = TC_ACT_OK },
	{ "egress: MAC known only in network 2 floods in network 1", K_EGR, 10,
	  ARP(M_X, HOST1_MAC),
	  .tc_ret = TC_ACT_OK, .clones = VMS1, .tc_s = { .from_host = 1 } },
	{ "egress: forged entry (net 1) to port 21 is not followed", K_EGR, 10,
	  ARP(M_Y, HOST1_MAC), .pre = { { 1, M_Y, 21, 0 } },
	  .tc_ret = TC_ACT_OK, .clones = VMS1, .tc_s = { .from_host = 1 } },
	{ "egress: aged VM entry floods", K_EGR, 10, ARP(M_B, HOST1_MAC),
	  .pre = { { 1, M_B, 12, P_AGED } },
	  .tc_ret = TC_ACT_OK, .clones = VMS1, .tc_s = { .from_host = 1 } },
	{ "egress: forwarded-marked frame passes with the mark cleared", K_EGR,
	  10, ARP(M_B, M_A), .mark = XV_MARK_FWD, .tc_ret = TC_ACT_OK },
	{ "egress: a VM port is not an uplink", K_EGR, 11, ARP(M_B, HOST1_MAC),
	  .tc_ret = TC_ACT_OK },
	{ "egress: uplink of network 2 floods only there", K_EGR, 20,
	  ARP(BCAST, HOST2_MAC),
	  .tc_ret = TC_ACT_OK, .clones = OUT(D21), .tc_s = { .from_host = 1 } },
};

/* ------------------------------------------------------------------------ */

struct frame {
	__u8 b[FRAME_MAX];
	__u32 len;
};

static struct xvnet *skel;
static int fd_port, fd_net, fd_fdb, fd_tx, fd_cfg, fd_stats;
static int pkt_fd[NDEVS] = { [0 ... NDEVS - 1] = -1 };
static int ncpus;
static __u64 t_fresh, t_aged;	/* seen_ns written for P_FRESH and P_AGED */

/*
 * A new xv_gen, as the loader writes after it changes a port or the FDB:
 * the datapath uses its per-CPU copies of ports and FDB entries
 * (bpf/lib/port.h, fdb.h) while xv_gen is unchanged. 0 or -1 (errno).
 */
static int gen_bump(void)
{
	int fd = bpf_map__fd(skel->maps.xv_gen);
	__u64 gen = 0;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(fd, &zero, &gen))
		return -1;
	gen++;	/* always past the current value: none is ever seen twice */
	return bpf_map_update_elem(fd, &zero, &gen, BPF_ANY);
}

/*
 * Run on CPU cpu (-1: the one running now) and nowhere else: the datapath
 * keeps per-CPU copies of ports and FDB entries, and a test of them must
 * know which copies it meets. False if that CPU is not allowed.
 */
static bool pin_cpu(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		cpu = sched_getcpu() < 0 ? 0 : sched_getcpu();
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return !sched_setaffinity(0, sizeof(set), &set);
}

static int port_put(__u32 ifindex, const struct xv_port *p)
{
	if (bpf_map_update_elem(fd_port, &ifindex, p, BPF_ANY))
		return -1;
	return gen_bump();
}

static __u64 now_coarse(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Ones'-complement sum over big-endian 16-bit words, odd byte padded. */
static __u64 sum16(__u64 sum, const __u8 *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (__u32)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (__u32)p[len - 1] << 8;
	return sum;
}

static __u16 fold16(__u64 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

static void put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static __u8 *put_eth(struct frame *f, const __u8 *dst, const __u8 *src,
		     __u16 proto)
{
	memcpy(f->b, dst, 6);
	memcpy(f->b + 6, src, 6);
	put16(f->b + 12, proto);
	f->len = ETH_HLEN;
	return f->b + ETH_HLEN;
}

/* Offset of the checksum field in the L4 header, -1 if it has none. */
static int l4_check_off(__u8 proto)
{
	switch (proto) {
	case IPPROTO_UDP:
		return 6;
	case IPPROTO_TCP:
		return 16;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return 2;
	default:
		return -1;
	}
}

/* An L4 segment with a zero checksum field; returns its length. */
static size_t put_l4(__u8 *l4, __u8 proto, __u16 payload)
{
	size_t hlen, i;

	switch (proto) {
	case IPPROTO_UDP:
		hlen = 8;
		memset(l4, 0, hlen);
		put16(l4, 40000);
		put16(l4 + 2, 5000);
		put16(l4 + 4, hlen + payload);
		break;
	case IPPROTO_TCP:
		hlen = 20;
		memset(l4, 0, hlen);
		put16(l4, 40000);
		put16(l4 + 2, 80);
		l4[4] = 0x12; l4[7] = 0x34;	/* seq */
		l4[11] = 0x56;			/* ack */
		l4[12] = 5 << 4;
		l4[13] = 0x18;			/* PSH|ACK */
		put16(l4 + 14, 65535);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		hlen = 8;
		memset(l4, 0, hlen);
		l4[0] = proto == IPPROTO_ICMP ? 8 : 128;	/* echo request */
		put16(l4 + 4, 0x4242);
		put16(l4 + 6, 1);
		break;
	default:
		hlen = 4;
		memset(l4, 0, hlen);
		put16(l4 + 2, ETH_P_IP);	/* a GRE header */
		break;
	}
	for (i = 0; i < payload; i++)
		l4[hlen + i] = (__u8)(i * 7 + 1);
	return hlen + payload;
}

static void set_l4_check(__u8 *l4, size_t l4len, __u8 proto, __u64 pseudo,
			 int mode)
{
	int off = l4_check_off(proto);
	__u16 check;

	if (off < 0)
		return;
	switch (mode) {
	case C_NONE:
		check = 0;
		break;
	case C_PARTIAL:		/* what checksum offload leaves: pseudo only */
		check = fold16(pseudo);
		break;
	default:
		check = ~fold16(sum16(pseudo, l4, l4len));
		if (proto == IPPROTO_UDP && !check)
			check = 0xffff;
		if (mode == C_BAD)
			check ^= 0x0101;
		break;
	}
	put16(l4 + off, check);
}

static void build_ipv4(struct frame *f, __u8 *ip, const struct frame_spec *s)
{
	static const __u8 saddr[4] = { 10, 0, 0, 1 }, daddr[4] = { 10, 0, 0, 2 };
	size_t hlen = 20 + 4 * s->opt, l4len;
	__u64 pseudo;
	__u8 *l4 = ip + hlen;

	l4len = put_l4(l4, s->proto, s->payload);
	memset(ip, 0, hlen);
	ip[0] = 0x40 | (hlen / 4);
	put16(ip + 2, hlen + l4len + (s->long_tot ? 100 : 0));
	put16(ip + 4, 0x1234);
	put16(ip + 6, s->frag ? s->frag : 0x4000);	/* else DF */
	ip[8] = 64;
	ip[9] = s->proto;
	memcpy(ip + 12, saddr, 4);
	memcpy(ip + 16, daddr, 4);
	memset(ip + 20, 1, hlen - 20);			/* NOP options */
	if (s->bad_ihl) {
		ip[0] = 0x4f;
		put16(ip + 2, 60 + l4len);
	}
	put16(ip + 10, ~fold16(sum16(0, ip, hlen)));

	pseudo = sum16(0, ip + 12, 8) + s->proto + l4len;
	set_l4_check(l4, l4len, s->proto, s->proto == IPPROTO_ICMP ? 0 : pseudo,
		     s->csum);
	f->len += hlen + l4len;
}

static void build_ipv6(struct frame *f, __u8 *ip, const struct frame_spec *s)
{
	size_t ext = s->opt ? 8 : 0, l4len;
	__u8 *l4 = ip + 40 + ext;
	__u64 pseudo;

	l4len = put_l4(l4, s->proto, s->payload);
	memset(ip, 0, 40 + ext);
	ip[0] = 0x60;
	put16(ip + 4, ext + l4len);
	ip[6] = ext ? 0 : s->proto;		/* 0: hop-by-hop options */
	ip[7] = 64;
	ip[8] = 0xfd; ip[23] = 1;		/* fd00::1 */
	ip[24] = 0xfd; ip[39] = 2;		/* fd00::2 */
	if (ext) {
		ip[40] = s->proto;
		ip[42] = 1;			/* PadN, 4 bytes */
		ip[43] = 4;
	}
	pseudo = sum16(0, ip + 8, 32) + l4len + s->proto;
	set_l4_check(l4, l4len, s->proto, pseudo, s->csum);
	f->len += 40 + ext + l4len;
}

static void build_frame(struct frame *f, const struct frame_spec *s)
{
	__u8 *p;

	memset(f, 0, sizeof(*f));
	switch (s->kind) {
	case F_ARP:
		p = put_eth(f, s->dst, s->src, ETH_P_ARP);
		put16(p, 1);
		put16(p + 2, ETH_P_IP);
		p[4] = 6;
		p[5] = 4;
		put16(p + 6, 1);
		memcpy(p + 8, s->src, 6);
		p[14] = 10; p[17] = 1;
		p[24] = 10; p[27] = 2;
		f->len += 28;
		break;
	case F_IP4:
		build_ipv4(f, put_eth(f, s->dst, s->src, ETH_P_IP), s);
		break;
	case F_IP6:
		build_ipv6(f, put_eth(f, s->dst, s->src, ETH_P_IPV6), s);
		break;
	case F_VLAN4:
		p = put_eth(f, s->dst, s->src, ETH_P_8021Q);
		put16(p, 100);
		put16(p + 2, ETH_P_IP);
		f->len += 4;
		build_ipv4(f, p + 4, s);
		break;
	case F_TRUNC4:
		p = put_eth(f, s->dst, s->src, ETH_P_IP);
		p[0] = 0x45;
		p[9] = IPPROTO_UDP;
		f->len += 10;
		break;
	case F_RUNT:
		put_eth(f, s->dst, s->src, 0);
		f->len = 10;
		break;
	}
	if (s->pad && f->len < ETH_ZLEN)
		f->len = ETH_ZLEN;
	f->len -= s->cut;
}

/* ------------------------------------------------------------------------ */

struct result {
	char msg[2048];
	size_t len;
	bool failed;
};

static void fail(struct result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void fail(struct result *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (r->len >= sizeof(r->msg) - 1)
		return;
	if (r->failed)
		r->len += snprintf(r->msg + r->len, sizeof(r->msg) - r->len,
				   "; ");
	r->failed = true;
	if (r->len >= sizeof(r->msg) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(r->msg + r->len, sizeof(r->msg) - r->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		r->len += n;
	if (r->len > sizeof(r->msg) - 1)
		r->len = sizeof(r->msg) - 1;
}

static const char *xdp_name(int ret)
{
	static const char *const names[] = {
		"XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT",
	};

	return ret >= 0 && ret <= XDP_REDIRECT ? names[ret] : "XDP_?";
}

static const char *tc_name(int ret)
{
	switch (ret) {
	case TC_ACT_UNSPEC:	return "TC_ACT_UNSPEC";
	case TC_ACT_OK:		return "TC_ACT_OK";
	case TC_ACT_SHOT:	return "TC_ACT_SHOT";
	case TC_ACT_REDIRECT:	return "TC_ACT_REDIRECT";
	default:		return "TC_ACT_?";
	}
}

static const char *mac_str(const __u8 *m, char *buf)
{
	sprintf(buf, "%02x:%02x:%02x:%02x:%02x:%02x",
		m[0], m[1], m[2], m[3], m[4], m[5]);
	return buf;
}

static const char *dev_name(__u32 bit, char *buf)
{
	int d = bit >= 16 ? bit - 16 : bit;

	sprintf(buf, "%s %u", bit >= 16 ? "into" : "out of", dev_ifindex[d]);
	return buf;
}

/* ------------------------------------------------------------------------ */

static int net_of(__u32 ifindex)
{
	size_t i;

	for (i = 0; i < sizeof(port_defs) / sizeof(port_defs[0]); i++)
		if (port_defs[i].ifindex == ifindex)
			return port_defs[i].net;
	return 0;
}

static int fdb_write(const struct fdb_ent *e, __u64 seen)
{
	struct xv_fdb_key key = { .net = e->net };
	struct xv_fdb_val val = { .ifindex = e->ifindex, .seen_ns = seen };

	memcpy(key.mac, e->mac, 6);
	if (bpf_map_update_elem(fd_fdb, &key, &val, BPF_ANY))
		return -1;
	return gen_bump();
}

static int fdb_reset(const struct fixture *fx)
{
	struct xv_fdb_key next;
	__u64 now = now_coarse();
	size_t i;
	int err;

	while (!bpf_map_get_next_key(fd_fdb, NULL, &next))
		if (bpf_map_delete_elem(fd_fdb, &next))
			return -errno;
	if (gen_bump())
		return -errno;
	t_fresh = now - FRESH_AGE_NS;
	t_aged = now - 2 * AGEING_NS;
	for (i = 0; i < sizeof(fdb_base) / sizeof(fdb_base[0]); i++) {
		err = fdb_write(&fdb_base[i], t_fresh);
		if (err)
			return err;
	}
	for (i = 0; i < 2 && fx->pre[i].mac; i++) {
		err = fdb_write(&fx->pre[i],
				fx->pre[i].age == P_AGED ? t_aged : t_fresh);
		if (err)
			return err;
	}
	return 0;
}

static void fdb_check(const struct fixture *fx, __u64 t0, __u64 t1,
		      struct result *r)
{
	char mac[18];
	size_t i;

	for (i = 0; i < 3 && fx->post[i].mac; i++) {
		const struct fdb_ent *e = &fx->post[i];
		struct xv_fdb_key key = { .net = e->net };
		struct xv_fdb_val val;
		bool found;

		memcpy(key.mac, e->mac, 6);
		found = !bpf_map_lookup_elem(fd_fdb, &key, &val);
		mac_str(e->mac, mac);
		if (!e->ifindex) {
			if (found)
				fail(r, "fdb (%u, %s): expected absent got port %u",
				     e->net, mac, val.ifindex);
			continue;
		}
		if (!found) {
			fail(r, "fdb (%u, %s): expected port %u got absent",
			     e->net, mac, e->ifindex);
			continue;
		}
		if (val.ifindex != e->ifindex)
			fail(r, "fdb (%u, %s): expected port %u got %u",
			     e->net, mac, e->ifindex, val.ifindex);
		if (e->age == A_NEW && (val.seen_ns < t0 || val.seen_ns > t1))
			fail(r, "fdb (%u, %s): expected seen_ns written by the run in [%llu, %llu] got %llu",
			     e->net, mac, (unsigned long long)t0,
			     (unsigned long long)t1,
			     (unsigned long long)val.seen_ns);
		if (e->age == A_KEPT_FRESH && val.seen_ns != t_fresh)
			fail(r, "fdb (%u, %s): expected seen_ns kept at %llu got %llu",
			     e->net, mac, (unsigned long long)t_fresh,
			     (unsigned long long)val.seen_ns);
		if (e->age == A_KEPT_AGED && val.seen_ns != t_aged)
			fail(r, "fdb (%u, %s): expected seen_ns kept at %llu got %llu",
			     e->net, mac, (unsigned long long)t_aged,
			     (unsigned long long)val.seen_ns);
	}
}

/* Counters of networks 0..NSTAT_NETS-1, summed over the CPUs. */
static int stats_read(struct xv_stats *out)
{
	struct xv_stats *pc = calloc(ncpus, sizeof(*pc));
	__u32 net;
	int c, err = 0;

	if (!pc)
		return -ENOMEM;
	for (net = 0; net < NSTAT_NETS; net++) {
		__u64 *sum = (__u64 *)&out[net];

		memset(&out[net], 0, sizeof(out[net]));
		if (bpf_map_lookup_elem(fd_stats, &net, pc)) {
			err = -errno;
			break;
		}
		for (c = 0; c < ncpus; c++) {
			const __u64 *v = (const __u64 *)&pc[c];
			size_t k;

			for (k = 0; k < sizeof(*pc) / sizeof(__u64); k++)
				sum[k] += v[k];
		}
	}
	free(pc);
	return err;
}

static const char *stat_name(size_t k, char *buf)
{
	const size_t n = sizeof(xv_stats_names) / sizeof(xv_stats_names[0]);

	if (k < n)
		return xv_stats_names[k];
	sprintf(buf, "drop[%s]", xv_drop_names[k - n]);
	return buf;
}

static void stats_check(const struct xv_stats *before,
			const struct xv_stats *after, int net,
			const struct xv_stats *want, __u32 len,
			struct result *r)
{
	size_t nf = sizeof(struct xv_stats) / sizeof(__u64), k;
	char buf[32];
	int n;

	for (n = 0; n < NSTAT_NETS; n++) {
		const __u64 *b = (const __u64 *)&before[n];
		const __u64 *a = (const __u64 *)&after[n];
		struct xv_stats exp = {};
		const __u64 *e = (const __u64 *)&exp;

		if (n == net && net) {
			exp = *want;
			exp.rx_bytes = exp.rx_packets * len;
		}
		for (k = 0; k < nf; k++)
			if (a[k] - b[k] != e[k])
				fail(r, "net %d %s: expected +%llu got +%llu", n,
				     stat_name(k, buf), (unsigned long long)e[k],
				     (unsigned long long)(a[k] - b[k]));
	}
}

/* ------------------------------------------------------------------------ */

/* Empty the receive queues of the ndev packet sockets fd[]. */
static void frames_drain(const int *fd, int ndev)
{
	__u8 buf[FRAME_MAX];
	int d;

	for (d = 0; d < ndev; d++)
		while (recv(fd[d], buf, sizeof(buf), MSG_DONTWAIT) >= 0)
			;
}

/*
 * Read what arrived on the ndev packet sockets fd[]; copies identical to the
 * frame count per device and direction: bit d out of device d, bit
 * d + in_bit into it.
 */
static void frames_collect(const int *fd, int ndev, int in_bit,
			   const struct frame *f, unsigned int *got,
			   __u64 *seen)
{
	__u8 buf[FRAME_MAX];
	int d;

	for (d = 0; d < ndev; d++) {
		struct sockaddr_ll sll;
		socklen_t sl = sizeof(sll);
		ssize_t n;

		while ((n = recvfrom(fd[d], buf, sizeof(buf), MSG_DONTWAIT,
				     (struct sockaddr *)&sll, &sl)) >= 0) {
			int bit = sll.sll_pkttype == PACKET_OUTGOING ?
				  d : d + in_bit;

			sl = sizeof(sll);
			if ((size_t)n != f->len || memcmp(buf, f->b, f->len))
				continue;	/* not ours */
			got[bit]++;
			*seen |= 1ull << bit;
		}
	}
}

/*
 * Collect copies of the frame (frames_collect) until all the want bits are
 * seen or CLONE_WAIT_MS has passed; ndev is at most 32.
 */
static void frames_wait(const int *fd, int ndev, int in_bit,
			const struct frame *f, unsigned int *got, __u64 want)
{
	struct pollfd pfd[32];
	__u64 deadline = now_coarse() + CLONE_WAIT_MS * 1000000ULL;
	__u64 seen = 0;
	int d;

	for (d = 0; d < ndev; d++) {
		pfd[d].fd = fd[d];
		pfd[d].events = POLLIN;
	}
	frames_collect(fd, ndev, in_bit, f, got, &seen);
	while ((seen & want) != want && now_coarse() < deadline) {
		if (poll(pfd, ndev, 10) < 0 && errno != EINTR)
			break;
		frames_collect(fd, ndev, in_bit, f, got, &seen);
	}
}

static void clones_check(const struct frame *f, __u32 want, struct result *r)
{
	unsigned int got[32] = {};
	char buf[24];
	int bit;

	frames_wait(pkt_fd, NDEVS, 16, f, got, want);
	for (bit = 0; bit < 32; bit++) {
		unsigned int exp = (want >> bit) & 1;

		if (got[bit] != exp)
			fail(r, "copies %s: expected %u got %u",
			     dev_name(bit, buf), exp, got[bit]);
	}
}

/* ------------------------------------------------------------------------ */

enum run_kind { RUN_XDP, RUN_TC, RUN_EGR };

static const char *const kind_label[] = { "xdp", "tc", "tc-egress" };

/* One fixture; with reset_fdb false on the FDB the steps before it left. */
static void run_step(const struct fixture *fx, enum run_kind kind,
		     bool reset_fdb)
{
	struct xv_stats before[NSTAT_NETS], after[NSTAT_NETS];
	struct result r = {};
	struct frame f, out;
	__u8 in[FRAME_MAX + 8];
	__u32 meta = 0, mark_out = 0;
	__u64 t0, t1;
	int prog_fd, err, ret, want;

	LIBBPF_OPTS(bpf_test_run_opts, opts, .repeat = 1);

	build_frame(&f, &fx->f);
	if ((reset_fdb && fdb_reset(fx)) || stats_read(before)) {
		printf("FAIL unit: %s [%s]: cannot prepare the maps: %s\n",
		       fx->what, kind_label[kind], strerror(errno));
		return;
	}
	frames_drain(pkt_fd, NDEVS);

	memset(in, 0, sizeof(in));
	memset(&out, 0, sizeof(out));
	if (kind == RUN_XDP) {
		struct xdp_md ctx = {};

		/*
		 * The kernel wants ETH_HLEN bytes of input; try to make up a
		 * shorter frame with metadata in front of it (6.18 still
		 * refuses: it counts the frame alone).
		 */
		if (f.len < ETH_HLEN)
			meta = 4;
		memcpy(in + meta, f.b, f.len);
		ctx.data = meta;
		ctx.data_end = meta + f.len;
		ctx.ingress_ifindex = fx->ifindex;
		opts.ctx_in = &ctx;
		opts.ctx_size_in = sizeof(ctx);
		opts.data_in = in;
		opts.data_size_in = meta + f.len;
		opts.data_out = out.b;
		opts.data_size_out = sizeof(out.b);
		prog_fd = bpf_program__fd(skel->progs.xv_xdp_port);
		t0 = now_coarse();
		err = bpf_prog_test_run_opts(prog_fd, &opts);
		t1 = now_coarse();
	} else {
		struct __sk_buff ctx = {};

		memcpy(in, f.b, f.len);
		ctx.ifindex = fx->ifindex;
		ctx.mark = fx->mark;
		opts.ctx_in = &ctx;
		opts.ctx_size_in = sizeof(ctx);
		opts.ctx_out = &ctx;
		opts.ctx_size_out = sizeof(ctx);
		opts.data_in = in;
		opts.data_size_in = f.len;
		opts.data_out = out.b;
		opts.data_size_out = sizeof(out.b);
		prog_fd = kind == RUN_TC ?
			bpf_program__fd(skel->progs.xv_tc_ingress) :
			bpf_program__fd(skel->progs.xv_tc_egress);
		t0 = now_coarse();
		err = bpf_prog_test_run_opts(prog_fd, &opts);
		t1 = now_coarse();
		mark_out = ctx.mark;
	}
	if (err) {
		err = -errno;
		if (err == -EINVAL && fx->refused) {
			fprintf(stderr, "note unit: %s [%s]: not run, the kernel refuses BPF_PROG_TEST_RUN of this %u-byte frame: %s\n",
				fx->what, kind_label[kind], f.len, fx->refused);
			return;
		}
		printf("FAIL unit: %s [%s]: BPF_PROG_TEST_RUN: %s\n", fx->what,
		       kind_label[kind], strerror(-err));
		return;
	}
	ret = opts.retval;

	if (kind == RUN_XDP) {
		want = fx->xdp_ret;
		if (ret != want)
			fail(&r, "verdict: expected %s got %s", xdp_name(want),
			     xdp_name(ret));
	} else {
		want = fx->tc_ret;
		if (ret != want)
			fail(&r, "verdict: expected %s got %s", tc_name(want),
			     tc_name(ret));
		if (mark_out != fx->mark_out)
			fail(&r, "mark: expected %#x got %#x", fx->mark_out,
			     mark_out);
	}
	/* The datapath never rewrites a frame. */
	if (opts.data_size_out != meta + f.len ||
	    memcmp(out.b + meta, f.b, f.len))
		fail(&r, "frame: expected unchanged (%u bytes) got %u bytes%s",
		     f.len, opts.data_size_out - meta,
		     opts.data_size_out == meta + f.len ? ", changed" : "");

	clones_check(&f, kind == RUN_XDP ? 0 : fx->clones, &r);
	if (stats_read(after))
		fail(&r, "stats: cannot read: %s", strerror(errno));
	else
		stats_check(before, after, net_of(fx->ifindex),
			    kind == RUN_XDP ? &fx->xdp_s : &fx->tc_s, f.len,
			    &r);
	fdb_check(fx, t0, t1, &r);

	if (r.failed)
		printf("FAIL unit: %s [%s]: %s\n", fx->what, kind_label[kind],
		       r.msg);
	else
		printf("PASS unit: %s [%s]\n", fx->what, kind_label[kind]);
}

static void run_case(const struct fixture *fx, enum run_kind kind)
{
	run_step(fx, kind, true);
}

/* ------------------------------------------------------------------------ */

static int setup_fail(const char *what, int err)
{
	printf("FAIL unit: setup: %s: %s\n", what, strerror(err < 0 ? -err : err));
	return 1;
}

static void write_sysctl(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;		/* no IPv6: nothing to silence */
	if (write(fd, val, strlen(val)) < 0)
		fprintf(stderr, "unit_test: %s: %s\n", path, strerror(errno));
	close(fd);
}

/*
 * A veth pair with chosen ifindexes: the port PORT_IFINDEX, its peer
 * PEER_IFINDEX (ifindex + 100), both up so that clones sent out of the port
 * are taken. The peer side has nothing attached.
 */
#define PEER_IFINDEX(i)	((i) + 100)

static int veth_create(__u32 ifindex)
{
	char buf[1024] = {};
	struct nlattr *info, *data, *peer;
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	char name[16];
	int err;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = ifindex;
	snprintf(name, sizeof(name), "xvu%u", ifindex);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = PEER_IFINDEX(ifindex);
	snprintf(name, sizeof(name), "xvu%u", PEER_IFINDEX(ifindex));
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	err = xv_nl_change(nlh);
	if (!err)
		err = xv_link_set_up(PEER_IFINDEX(ifindex), true);
	if (!err)
		err = xv_link_set_up(ifindex, true);
	return err;
}

static int pkt_open(__u32 ifindex)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
		.sll_ifindex = ifindex,
	};
	int fd;

	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static int print_libbpf(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level != LIBBPF_WARN)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int maps_fill(void)
{
	struct xv_cfg cfg = { .ageing_ns = AGEING_NS };
	struct xv_net n1 = {
		.mode = XV_MODE_BRIDGE, .uplink = 10, .nports = 5,
		.ports = { 10, 11, 12, 13, 14 }, .name = "lan",
	};
	struct xv_net n2 = {
		.mode = XV_MODE_BRIDGE, .uplink = 20, .nports = 2,
		.ports = { 20, 21 }, .name = "dmz",
	};
	__u32 key = 0;
	size_t i;

	memcpy(n1.host_mac, HOST1_MAC, 6);
	memcpy(n2.host_mac, HOST2_MAC, 6);
	if (bpf_map_update_elem(fd_cfg, &key, &cfg, BPF_ANY))
		return -errno;
	key = 1;
	if (bpf_map_update_elem(fd_net, &key, &n1, BPF_ANY))
		return -errno;
	key = 2;
	if (bpf_map_update_elem(fd_net, &key, &n2, BPF_ANY))
		return -errno;
	for (i = 0; i < sizeof(port_defs) / sizeof(port_defs[0]); i++) {
		const struct port_def *p = &port_defs[i];
		struct xv_port port = { .net = p->net, .flags = p->flags };
		struct bpf_devmap_val tx = { .ifindex = p->ifindex };

		snprintf(port.name, sizeof(port.name), "xvu%u", p->ifindex);
		if (port_put(p->ifindex, &port))
			return -errno;
		if (p->tx &&
		    bpf_map_update_elem(fd_tx, &p->ifindex, &tx, BPF_ANY))
			return -errno;
	}
	return 0;
}

static int setup(void)
{
	struct bpf_map *map;
	int err, d;

	if (unshare(CLONE_NEWNET))
		return setup_fail("unshare(CLONE_NEWNET)", errno);
	/* Quiet devices: no IPv6 autoconfiguration frames on the sockets. */
	write_sysctl("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
	write_sysctl("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
	for (d = 0; d < NDEVS; d++) {
		err = veth_create(dev_ifindex[d]);
		if (err)
			return setup_fail("create a veth pair", err);
		pkt_fd[d] = pkt_open(dev_ifindex[d]);
		if (pkt_fd[d] < 0)
			return setup_fail("packet socket", pkt_fd[d]);
	}

	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0)
		return setup_fail("number of CPUs", ncpus);
	libbpf_set_print(print_libbpf);
	skel = xvnet__open();
	if (!skel)
		return setup_fail("open the skeleton", errno);
	bpf_object__for_each_map(map, skel->obj) {
		err = bpf_map__set_pin_path(map, NULL);
		if (err)
			return setup_fail("unpin a map", err);
	}
	err = xvnet__load(skel);
	if (err)
		return setup_fail("load the skeleton", err);
	fd_port = bpf_map__fd(skel->maps.xv_port);
	fd_net = bpf_map__fd(skel->maps.xv_net);
	fd_fdb = bpf_map__fd(skel->maps.xv_fdb);
	fd_tx = bpf_map__fd(skel->maps.xv_tx);
	fd_cfg = bpf_map__fd(skel->maps.xv_cfg);
	fd_stats = bpf_map__fd(skel->maps.xv_stats);
	err = maps_fill();
	if (err)
		return setup_fail("fill the maps", err);
	return 0;
}

#include "nat_fixtures.c"
#include "hostonly_fixtures.c"
#include "guard_fixtures.c"

/*
 * The datapath's per-CPU copies of ports (bpf/lib/port.h) follow a change
 * at once: 11 -> 13 is forwarded (13's copy made), port 13 moves to
 * network 2 with a new xv_gen (as the loader writes it), and the same
 * frame is dropped as cross-network. A copy kept past the change would
 * still say network 1 and forward it.
 */
static const struct fixture cache_fixtures[] = {
	{ "port cache: 11 -> 13 forwarded", K_BOTH, 11,
	  IP4(M_C, M_A, UDP, C_OK, 32), XDP_FWD_FROM_11 },
	{ "port cache: 13 moved to network 2, the next frame sees it",
	  K_BOTH, 11, IP4(M_C, M_A, UDP, C_OK, 32), DROP_FROM_11(CROSS_NET) },
};

/*
 * The FDB copies follow a move the datapath itself learns on another CPU
 * (it changes xv_gen): on CPU 0, 11 -> M_C goes to 13 (a copy made); on
 * CPU 1, M_C speaks from another port; back on CPU 0, the next frame to
 * M_C goes there, not to the copy's 13. XDP tells by the port: 12 is no
 * XDP target (XDP_PASS, where 13 was a redirect); tc by the mark a frame
 * for the uplink gets. The steps share the FDB.
 */
static const struct fixture fdb_copy_xdp[] = {
	{ "FDB copy: 11 -> M_C on 13", K_XDP, 11,
	  IP4(M_C, M_A, UDP, C_OK, 32), XDP_FWD_FROM_11 },
	{ "FDB copy: M_C moves to 12", K_XDP, 12, ARP(BCAST, M_C),
	  .xdp_ret = XDP_PASS, .post = { { 1, M_C, 12, A_NEW } },
	  .xdp_s = { .xdp_pass = 1, LEARN } },
	{ "FDB copy: 11 -> M_C goes to 12 now", K_XDP, 11,
	  IP4(M_C, M_A, UDP, C_OK, 32), .xdp_ret = XDP_PASS,
	  .xdp_s = { .xdp_pass = 1 } },
};

static const struct fixture fdb_copy_tc[] = {
	{ "FDB copy: 11 -> M_C on 13", K_TC, 11,
	  IP4(M_C, M_A, UDP, C_OK, 32), XDP_FWD_FROM_11 },
	{ "FDB copy: M_C moves to the uplink", K_TC, 10, ARP(BCAST, M_C),
	  .tc_ret = TC_ACT_OK, .clones = VMS1,
	  .post = { { 1, M_C, 10, A_NEW } },
	  .tc_s = { RX, .flood = 1, LEARN } },
	{ "FDB copy: 11 -> M_C goes to the uplink now", K_TC, 11,
	  IP4(M_C, M_A, UDP, C_OK, 32), .tc_ret = TC_ACT_REDIRECT,
	  .mark_out = XV_MARK_FWD, .tc_s = { RX, .fwd_tc = 1 } },
};

static void fdb_copy_run(const struct fixture *steps, enum run_kind kind)
{
	for (int i = 0; i < 3; i++) {
		if (!pin_cpu(i == 1)) {
			printf("FAIL unit: %s [%s]: cannot run on CPU %d: %s\n",
			       steps[i].what, kind_label[kind], i == 1,
			       strerror(errno));
			return;
		}
		run_step(&steps[i], kind, i == 0);
	}
}

static void fdb_copy_main(void)
{
	_Static_assert(NELEM(fdb_copy_xdp) == 3 && NELEM(fdb_copy_tc) == 3,
		       "three steps: copy, move elsewhere, use");
	if (ncpus < 2) {
		printf("FAIL unit: FDB copy: needs two CPUs, the machine has %d\n",
		       ncpus);
		return;
	}
	fdb_copy_run(fdb_copy_xdp, RUN_XDP);
	fdb_copy_run(fdb_copy_tc, RUN_TC);
	pin_cpu(0);
}

static int port_cache_main(void)
{
	enum run_kind kinds[] = { RUN_XDP, RUN_TC };
	struct xv_port p13, moved;
	__u32 ifindex = 13;

	if (bpf_map_lookup_elem(fd_port, &ifindex, &p13))
		return setup_fail("port cache: xv_port 13", errno);
	for (size_t k = 0; k < NELEM(kinds); k++) {
		run_case(&cache_fixtures[0], kinds[k]);
		moved = p13;
		moved.net = 2;
		if (port_put(ifindex, &moved))
			return setup_fail("port cache: move 13", errno);
		run_case(&cache_fixtures[1], kinds[k]);
		if (port_put(ifindex, &p13))
			return setup_fail("port cache: restore 13", errno);
	}
	return 0;
}

static void teardown(void)
{
	int d;

	for (d = 0; d < NDEVS; d++)
		if (pkt_fd[d] >= 0)
			close(pkt_fd[d]);
	xvnet__destroy(skel);
}

int main(void)
{
	size_t i;
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!pin_cpu(-1))
		fprintf(stderr, "note unit: cannot pin to one CPU: %s\n",
			strerror(errno));
	ret = setup();
	if (!ret) {
		for (i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
			const struct fixture *fx = &fixtures[i];

			if (fx->kinds & K_XDP)
				run_case(fx, RUN_XDP);
			if (fx->kinds & K_TC)
				run_case(fx, RUN_TC);
			if (fx->kinds & K_EGR)
				run_case(fx, RUN_EGR);
		}
		ret = port_cache_main();
		fdb_copy_main();
		if (!ret)
			ret = nat_main();
		if (!ret)
			ret = hostonly_main();
		if (!ret)
			ret = guard_main();
	}
	teardown();
	return ret;
}
