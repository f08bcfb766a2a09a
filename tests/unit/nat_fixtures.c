// SPDX-License-Identifier: GPL-2.0
/*
 * NAT fixtures, included by unit_test.c (which builds and links this file as
 * part of itself; it reuses its frame buffers, checksum helpers, result
 * lines, counters and clone checks).
 *
 *   network 3, mode nat: subnet 192.168.100.0/24, gateway .1 (GW_MAC),
 *   outside ports 40000-40009 (small, to be exhausted)
 *
 *     41  VM1 192.168.100.10 (M_V1)       member, XDP target
 *     42  VM2 192.168.100.11 (M_V2)       member, XDP target
 *     43  the host adapter's peer         member, XV_PORT_ADAPTER, XDP target
 *     40  the uplink                      no member (net 0), XV_PORT_NAT_UPLINK,
 *                                         addr 203.0.113.2, XDP target
 *     44  another local device            no port
 *
 *   The host stack of the namespace: xvu143 (peer of 43, MAC GW_MAC) holds
 *   192.168.100.1/24 with forwarding=1 (bpf_fib_lookup from host_if wants
 *   it), xvu40 holds 203.0.113.2/24 with a default route via 203.0.113.1, a
 *   permanent neighbour, and xvu44 holds 198.18.0.1/24.
 *
 * Every fixture runs once through XDP and once through tc ingress, each
 * from the same state (XDP translates only the plain packets of live flows,
 * nat_xdp.h; the rest it hands to tc unchanged): the maps are reset, the fixture's mappings, flows and
 * FDB changes are written, then its prelude packets (if any) go through tc
 * to build the state the datapath itself makes. A translated frame is
 * compared byte for byte with the expected one, which is built here with
 * every checksum computed from scratch; its checksums are also verified on
 * their own (outer and quoted) so that a failure says which one is wrong.
 * A run that must not translate must leave the frame and every NAT map
 * (mappings, flows, fragments) exactly as they were (a dropped frame's
 * bytes do not matter).
 *
 * Not reachable from here: test-run skbs are CHECKSUM_NONE, so the partial
 * and complete checksum states of offloading VMs (what BPF_F_PSEUDO_HDR is
 * for) are not exercised; and redirects are verdicts, never sent.
 */

#define NAT_NET		3
#define NAT_LO		40000
#define NAT_HI		40009
#define PORT_OUT	0xffff	/* the outside port the run picked, in range */

#define IP4A(a, b, c, d) ((__u32)(a) << 24 | (__u32)(b) << 16 | \
			  (__u32)(c) << 8 | (__u32)(d))
#define VM1_IP		IP4A(192, 168, 100, 10)
#define VM2_IP		IP4A(192, 168, 100, 11)
#define GW_IP		IP4A(192, 168, 100, 1)
#define NAT_SUBNET	IP4A(192, 168, 100, 0)
#define OUT_IP		IP4A(203, 0, 113, 2)	/* the uplink's address */
#define RTR_IP		IP4A(203, 0, 113, 1)	/* the default gateway */
#define OTHER_IP	IP4A(203, 0, 113, 9)	/* on the uplink's LAN */
#define R1		IP4A(198, 51, 100, 1)
#define R2		IP4A(198, 51, 100, 2)
#define R3		IP4A(198, 51, 100, 77)
#define LOC_IP		IP4A(198, 18, 0, 1)	/* on xvu44 */
#define LOC_NET_IP	IP4A(198, 18, 0, 5)	/* routed out of xvu44 */
#define FAR_IP		IP4A(10, 9, 9, 9)

#define SEC_NS		1000000000ULL
/* Pre-set live mappings and flows were last seen this long ago: past the
 * datapath's refresh interval (XV_NAT_REFRESH_NS), so a run writes them. */
#define NAT_SEEN_AGE_NS	(2 * SEC_NS)
#define T_UDP		(30 * SEC_NS)
#define T_TCP_EST	(120 * SEC_NS)
#define T_TCP_TRANS	(20 * SEC_NS)
#define T_ICMP		(10 * SEC_NS)

#define TH_FIN		0x01
#define TH_SYN		0x02
#define TH_ACK		0x10

static const __u8 GW_MAC[6] = { 0x02, 0, 0, 0, 0x03, 0x01 };
static const __u8 UPL_MAC[6] = { 0x02, 0, 0, 0, 0x03, 0x02 };
static const __u8 RTR_MAC[6] = { 0x02, 0, 0, 0, 0xfe, 0x01 };
static const __u8 M_V1[6] = { 0x02, 0, 0, 0, 0x03, 0x0a };
static const __u8 M_V2[6] = { 0x02, 0, 0, 0, 0x03, 0x0b };
static const __u8 V6_ALLNODES[6] = { 0x33, 0x33, 0, 0, 0, 0x01 };

/* A frame of the nat tests. Addresses and ports in host order. */
struct npkt {
	const __u8 *dst, *src;
	__u16 ethertype;	/* 0: IPv4 */
	__u8 proto;		/* IPPROTO_*; other: a GRE header */
	__u32 saddr, daddr;	/* IPv4, ARP */
	const char *saddr6, *daddr6;
	__u16 sport, dport;	/* TCP, UDP; ICMP echo: the id in sport */
	__u8 type, code;	/* ICMP, ICMPv6 */
	__u8 tcp_flags;		/* 0: SYN */
	__u16 payload;		/* L4 payload bytes */
	__u16 ipid;		/* 0: 0x1234 */
	__u16 frag;		/* frag_off field; 0: DF */
	__u16 frag_len;		/* L4 bytes in this fragment; 0: the rest */
	__u8 ttl;		/* 0: 64 */
	__u8 opt;		/* IPv4 option words (NOPs) */
	__u8 ihl;		/* IHL field if not the real one (malformed) */
	bool long_tot;		/* tot_len 100 bytes beyond the frame */
	bool pad;		/* Ethernet padding up to ETH_ZLEN */
	bool no_csum;		/* UDP without checksum */
	__u8 cut;		/* bytes cut off the end of the frame */
	const struct npkt *quote; /* ICMP error: the datagram it quotes */
	__u16 quote_len;	/* bytes of it quoted; 0: all */
	bool has_tweak;		/* last two payload bytes: tweak */
	__u16 tweak;
};

/* The expected translation (tc); zero fields are unchanged. */
struct xlate {
	bool on;
	__u32 saddr, daddr;
	__u16 sport, dport;	/* PORT_OUT: the port the run picked */
	const __u8 *dst, *src;	/* Ethernet */
	__u32 q_saddr, q_daddr;	/* ICMP error: the quoted datagram */
	__u16 q_sport, q_dport;
};

enum { AGE_LIVE = 1, AGE_EXPIRED, AGE_STATIC, AGE_OLD };

/*
 * A mapping written before the run: its xv_nat_port word (AGE_LIVE: marked
 * in this epoch; AGE_EXPIRED: in one long gone, as the collector leaves a
 * port without live flows until it sweeps it), or a forward (AGE_STATIC:
 * the reserved word and both xv_nat_fwd entries).
 */
struct nat_ment {
	__u32 in_addr;
	__u16 in_port, out_port;
	__u8 proto;
	__u8 age;		/* AGE_LIVE, AGE_EXPIRED, AGE_STATIC */
};

/* A flow written before the run. */
struct nat_fent {
	__u16 out_port;
	__u32 remote;
	__u16 rport;
	__u8 proto;
	__u32 in_addr;
	__u16 in_port;
	__u8 state;		/* enum xv_nat_state */
	__u8 age;		/* AGE_LIVE, AGE_OLD (past its timeout) */
};

/* Packets run through tc before the fixture's own one. */
struct nat_pre {
	const struct npkt *p;
	__u32 ifindex;
	__u8 n;			/* times, the source port one up each time */
	int ret;		/* the tc verdict each must get */
};

enum { TMO_ANY, TMO_UDP, TMO_TCP_TRANS, TMO_TCP_EST, TMO_ICMP, TMO_STATIC };

/* A mapping expected after the run (tc). */
struct nat_mwant {
	__u32 in_addr;
	__u16 in_port;
	__u8 proto;
	__u16 out_port;		/* PORT_OUT allowed; 0: no mapping at all */
	__u8 tmo;		/* TMO_STATIC: a forward's; else any: a word
				 * naming the endpoint, marked this epoch */
};

enum { FL_ABSENT = 1, FL_NEW, FL_EST, FL_CLOSING, FL_ANY };

/* A flow expected after the run (tc). */
struct nat_fwant {
	__u16 out_port;		/* PORT_OUT allowed */
	__u32 remote;
	__u16 rport;
	__u8 proto;
	__u8 st;		/* FL_* */
	bool touched;		/* seen_ns written by the run */
	__u32 in_addr;
	__u16 in_port;
};

/* A fragment record expected after the run (tc). */
struct nat_frwant {
	__u32 remote;
	__u16 ipid;
	__u8 proto;
	__u32 in_addr;		/* 0: absent */
};

struct nat_fx {
	const char *what;
	__u32 ifindex;
	struct npkt in;
	struct xlate out;	/* tc, and XDP when it redirects; off: the
				 * frame leaves unchanged */
	__u16 not_port;		/* PORT_OUT must not be this one */
	bool zero_csum;		/* payload chosen so that the translated UDP
				 * checksum computes to 0 (sent as 0xffff) */
	int xdp_ret, tc_ret;
	__u32 mark_in;		/* tc: skb->mark on entry */
	__u32 mark_out;		/* tc */
	__u32 clones;		/* tc: OUT()/IN() bits */
	bool tc_state;		/* tc changes NAT state without translating */
	__u32 net_flags;	/* xv_net.flags of network 3 */
	struct nat_pre pre[2];
	struct nat_ment map[3];
	struct nat_fent flow[2];
	struct fdb_ent fdb[2];	/* ifindex 0: removed from the base */
	__u32 neigh_del;	/* inside address without an xv_neigh entry */
	struct nat_mwant want_map[3];
	struct nat_fwant want_flow[3];
	struct nat_frwant want_frag;
	struct xv_stats xdp_s, tc_s;	/* counter deltas of network 3 */
	int repeat;		/* runs (from the same state) that must all pass */
};

/* ------------------------------------------------------------------------ */
/* Frames. */

#define V1(...)	{ .dst = GW_MAC, .src = M_V1, .saddr = VM1_IP, __VA_ARGS__ }
#define V2(...)	{ .dst = GW_MAC, .src = M_V2, .saddr = VM2_IP, __VA_ARGS__ }
#define INB(...)	{ .dst = UPL_MAC, .src = RTR_MAC, .daddr = OUT_IP, __VA_ARGS__ }
#define UDP_(sp, da, dp) .proto = IPPROTO_UDP, .sport = sp, .daddr = da, \
			 .dport = dp, .payload = 32
#define TCP_(sp, da, dp) .proto = IPPROTO_TCP, .sport = sp, .daddr = da, \
			 .dport = dp, .payload = 20
#define ECHO_(id, da)	.proto = IPPROTO_ICMP, .type = 8, .sport = id, \
			.daddr = da, .payload = 56
#define IUDP_(sa, sp, dp) .proto = IPPROTO_UDP, .saddr = sa, .sport = sp, \
			  .dport = dp, .payload = 32
#define ITCP_(sa, sp, dp) .proto = IPPROTO_TCP, .saddr = sa, .sport = sp, \
			  .dport = dp, .payload = 20, \
			  .tcp_flags = TH_SYN | TH_ACK
#define IREPLY_(sa, id)	.proto = IPPROTO_ICMP, .type = 0, .saddr = sa, \
			.sport = id, .payload = 56
/* An ICMP error from sa about the quoted datagram q. */
#define IERR_(sa, t, c, q) .proto = IPPROTO_ICMP, .type = t, .code = c, \
			   .saddr = sa, .quote = &q, .ttl = 250

/* The macros above give defaults that fixtures override on purpose. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"

/* A VM's ICMP error about the quoted datagram q (which it received). */
#define OERR_(da, t, c, q) .proto = IPPROTO_ICMP, .type = t, .code = c, \
			   .daddr = da, .quote = &q

/* What came in, translated: what VMs quote in their ICMP errors. */
static const struct npkt Q_IN_UDP = {	/* R1:53 -> .10:5353 (was 40005) */
	.proto = IPPROTO_UDP, .saddr = R1, .sport = 53, .daddr = VM1_IP,
	.dport = 5353, .payload = 12, .ttl = 60, .ipid = 0x6161,
};
static const struct npkt Q_IN_FWD = {	/* R2:55555 -> .11:80 (was 8080) */
	.proto = IPPROTO_TCP, .saddr = R2, .sport = 55555, .daddr = VM2_IP,
	.dport = 80, .ttl = 60, .ipid = 0x6162,
};
static const struct npkt Q_IN_UNMAPPED = {
	.proto = IPPROTO_UDP, .saddr = R1, .sport = 53, .daddr = VM1_IP,
	.dport = 6000, .payload = 12, .ttl = 60, .ipid = 0x6163,
};
static const struct npkt Q_IN_OTHER_VM = {	/* to VM2, not the sender */
	.proto = IPPROTO_UDP, .saddr = R1, .sport = 53, .daddr = VM2_IP,
	.dport = 5353, .payload = 12, .ttl = 60, .ipid = 0x6164,
};

/* What left: the datagrams the outside quotes back in ICMP errors. */
static const struct npkt Q_UDP = {	/* VM1 .10:5353 -> R1:53 as 40005 */
	.proto = IPPROTO_UDP, .saddr = OUT_IP, .sport = 40005, .daddr = R1,
	.dport = 53, .payload = 12, .ipid = 0x5151,
};
static const struct npkt Q_UDP_TTL1 = {	/* ... to R3, expired at R1 */
	.proto = IPPROTO_UDP, .saddr = OUT_IP, .sport = 40005, .daddr = R3,
	.dport = 53, .payload = 12, .ttl = 1, .ipid = 0x5152,
};
static const struct npkt Q_UDP_NOCSUM = {
	.proto = IPPROTO_UDP, .saddr = OUT_IP, .sport = 40005, .daddr = R1,
	.dport = 53, .payload = 12, .no_csum = true, .ipid = 0x5153,
};
static const struct npkt Q_TCP = {	/* VM1 .10:33000 -> R1:80 as 40001 */
	.proto = IPPROTO_TCP, .saddr = OUT_IP, .sport = 40001, .daddr = R1,
	.dport = 80, .ipid = 0x5154,
};
static const struct npkt Q_ECHO = {	/* VM1 id 0x4242 -> R1 as 40002 */
	.proto = IPPROTO_ICMP, .type = 8, .saddr = OUT_IP, .sport = 40002,
	.daddr = R1, .payload = 24, .ipid = 0x5155,
};
static const struct npkt Q_UDP_UNMAPPED = {
	.proto = IPPROTO_UDP, .saddr = OUT_IP, .sport = 40008, .daddr = R1,
	.dport = 53, .payload = 12, .ipid = 0x5156,
};

/* Preludes. */
static const struct npkt P_V1_UDP_40003 = V1(UDP_(40003, R1, 5000));
static const struct npkt P_V1_UDP_5353 = V1(UDP_(5353, R1, 53));
static const struct npkt P_V1_FILL = V1(UDP_(40000, R1, 5000));
/* An echo reply of 608 ICMP bytes in two fragments (264 + 344). */
static const struct npkt P_FRAG1 = INB(IREPLY_(R1, 40002), .payload = 600,
				      .ipid = 0x7777, .frag = 0x2000,
				      .frag_len = 264);
/* A UDP reply of 1008 bytes in two fragments (512 + 496). */
static const struct npkt P_UDP_FRAG1 = INB(IUDP_(R1, 53, 40005),
					   .payload = 1000, .ipid = 0x7779,
					   .frag = 0x2000, .frag_len = 512);

/* ------------------------------------------------------------------------ */
/* Network 3's pre-set state. */

#define MAP_UDP_5353	{ VM1_IP, 5353, 40005, IPPROTO_UDP, AGE_LIVE }
#define FLOW_UDP_5353	{ 40005, R1, 53, IPPROTO_UDP, VM1_IP, 5353, \
			  XV_NAT_NEW, AGE_LIVE }
#define MAP_TCP_33000	{ VM1_IP, 33000, 40001, IPPROTO_TCP, AGE_LIVE }
#define FLOW_TCP_33000	{ 40001, R1, 80, IPPROTO_TCP, VM1_IP, 33000, \
			  XV_NAT_NEW, AGE_LIVE }
#define MAP_ECHO	{ VM1_IP, 0x4242, 40002, IPPROTO_ICMP, AGE_LIVE }
#define FLOW_ECHO	{ 40002, R1, 0, IPPROTO_ICMP, VM1_IP, 0x4242, \
			  XV_NAT_NEW, AGE_LIVE }
/* ... established, and what a packet of it leaves behind. */
#define FLOW_TCP_33000_EST { 40001, R1, 80, IPPROTO_TCP, VM1_IP, 33000, \
			     XV_NAT_ESTABLISHED, AGE_LIVE }
#define WANT_MAP_TCP_33000_EST { VM1_IP, 33000, IPPROTO_TCP, 40001, \
				 TMO_TCP_EST }
#define WANT_FLOW_TCP_33000_EST { 40001, R1, 80, IPPROTO_TCP, FL_EST, true, \
				  VM1_IP, 33000 }
/* A forward: 203.0.113.2:8080 -> VM2 .11:80, MAC from xv_neigh. */
#define MAP_FWD		{ VM2_IP, 80, 8080, IPPROTO_TCP, AGE_STATIC }

/* Expected verdicts and counters, per kind. */
#define XDP_VM		.xdp_ret = XDP_PASS, .xdp_s = { .xdp_pass = 1 }
#define XDP_UPL		.xdp_ret = XDP_PASS
#define NAT_OUT_NEW	XDP_VM, .tc_ret = TC_ACT_REDIRECT, \
			.mark_out = XV_MARK_FWD, \
			.tc_s = { RX, .nat_new = 1, .nat_out = 1 }
#define NAT_OUT_OLD	XDP_VM, .tc_ret = TC_ACT_REDIRECT, \
			.mark_out = XV_MARK_FWD, .tc_s = { RX, .nat_out = 1 }
/* A plain packet of a live flow: XDP translates it too (and sets the next
 * hop's MACs, which tc leaves to bpf_redirect_neigh). */
#define NAT_OUT_FAST	.xdp_ret = XDP_REDIRECT, \
			.xdp_s = { RX, .nat_out = 1, .nat_xdp = 1 }, \
			.tc_ret = TC_ACT_REDIRECT, .mark_out = XV_MARK_FWD, \
			.tc_s = { RX, .nat_out = 1 }
#define NAT_OUT_FRAG	XDP_VM, .tc_ret = TC_ACT_REDIRECT, \
			.mark_out = XV_MARK_FWD, \
			.tc_s = { RX, .nat_out = 1, .nat_frag = 1 }
#define TO_ADAPTER	XDP_VM, .tc_ret = TC_ACT_REDIRECT, \
			.tc_s = { RX, .fwd_tc = 1 }
#define NAT_OUT_DROP(r)	XDP_VM, .tc_ret = TC_ACT_SHOT, .tc_s = { RX, DROP(r) }
#define NAT_IN_OK	XDP_UPL, .tc_ret = TC_ACT_REDIRECT, .tc_s = { RX, .nat_in = 1 }
#define NAT_IN_FAST	.xdp_ret = XDP_REDIRECT, \
			.xdp_s = { RX, .nat_in = 1, .nat_xdp = 1 }, \
			.tc_ret = TC_ACT_REDIRECT, .tc_s = { RX, .nat_in = 1 }
#define NAT_IN_FRAG	XDP_UPL, .tc_ret = TC_ACT_REDIRECT, \
			.tc_s = { RX, .nat_in = 1, .nat_frag = 1 }
#define NAT_IN_HOST	XDP_UPL, .tc_ret = TC_ACT_OK
/* Frames that matched NAT state count as received by the network. */
#define NAT_IN_DROP(r)	XDP_UPL, .tc_ret = TC_ACT_SHOT, .tc_s = { RX, DROP(r) }

#define XL_OUT(port)		{ .on = true, .saddr = OUT_IP, .sport = port }
#define XL_IN(a, port, mac)	{ .on = true, .daddr = a, .dport = port, \
				  .dst = mac, .src = GW_MAC }
#define XL_IN_ECHO(a, id, mac)	{ .on = true, .daddr = a, .sport = id, \
				  .dst = mac, .src = GW_MAC }
#define XL_IN_ERR(a, port, mac)	{ .on = true, .daddr = a, .dst = mac, \
				  .src = GW_MAC, .q_saddr = a, .q_sport = port }

static const struct nat_fx nat_fixtures[] = {
	/* Outbound: translation, port preservation, mappings, flows. */
	{ "nat out: UDP, free inside port in range is kept", 41,
	  V1(UDP_(40003, R1, 5000)), XL_OUT(40003), NAT_OUT_NEW,
	  .want_map = { { VM1_IP, 40003, IPPROTO_UDP, 40003, TMO_UDP } },
	  .want_flow = { { 40003, R1, 5000, IPPROTO_UDP, FL_NEW, true,
			   VM1_IP, 40003 } } },
	{ "nat out: TCP SYN to the default gateway, port kept", 41,
	  V1(TCP_(40004, RTR_IP, 443)), XL_OUT(40004), NAT_OUT_NEW,
	  .want_map = { { VM1_IP, 40004, IPPROTO_TCP, 40004,
			  TMO_TCP_TRANS } },
	  .want_flow = { { 40004, RTR_IP, 443, IPPROTO_TCP, FL_NEW, true,
			   VM1_IP, 40004 } } },
	{ "nat out: TCP with IPv4 options", 41,
	  V1(TCP_(40004, R2, 80), .opt = 2, .payload = 101), XL_OUT(40004),
	  NAT_OUT_NEW,
	  .want_map = { { VM1_IP, 40004, IPPROTO_TCP, 40004,
			  TMO_TCP_TRANS } } },
	{ "nat out: UDP port outside the range gets one in it", 41,
	  V1(UDP_(5353, R1, 53)), XL_OUT(PORT_OUT), NAT_OUT_NEW,
	  .want_map = { { VM1_IP, 5353, IPPROTO_UDP, PORT_OUT, TMO_UDP } },
	  .want_flow = { { PORT_OUT, R1, 53, IPPROTO_UDP, FL_NEW, true,
			   VM1_IP, 5353 } } },
	{ "nat out: UDP without checksum stays without", 41,
	  V1(UDP_(40006, R1, 5000), .no_csum = true), XL_OUT(40006),
	  NAT_OUT_NEW,
	  .want_map = { { VM1_IP, 40006, IPPROTO_UDP, 40006, TMO_UDP } } },
	{ "nat out: UDP checksum that becomes 0 is sent as 0xffff", 41,
	  V1(UDP_(40007, R1, 5000)), XL_OUT(40007), .zero_csum = true,
	  NAT_OUT_NEW },
	{ "nat out: UDP in a frame with Ethernet padding", 41,
	  V1(UDP_(40008, R1, 5000), .payload = 4, .pad = true), XL_OUT(40008),
	  NAT_OUT_NEW },
	{ "nat out: UDP payload of odd length", 41,
	  V1(UDP_(40002, R2, 5000), .payload = 33), XL_OUT(40002), NAT_OUT_NEW },
	{ "nat out: ICMP echo request, id translated", 41,
	  V1(ECHO_(0x4242, R1)), XL_OUT(PORT_OUT), NAT_OUT_NEW,
	  .want_map = { { VM1_IP, 0x4242, IPPROTO_ICMP, PORT_OUT,
			  TMO_ICMP } },
	  .want_flow = { { PORT_OUT, R1, 0, IPPROTO_ICMP, FL_NEW, true,
			   VM1_IP, 0x4242 } } },
	{ "nat out: second VM with the same inside port gets another", 42,
	  V2(UDP_(40003, R1, 5000)), XL_OUT(PORT_OUT), .not_port = 40003,
	  NAT_OUT_NEW, .pre = { { &P_V1_UDP_40003, 41, 1, TC_ACT_REDIRECT } },
	  .want_map = { { VM2_IP, 40003, IPPROTO_UDP, PORT_OUT, TMO_UDP },
			{ VM1_IP, 40003, IPPROTO_UDP, 40003 } } },
	{ "nat out: endpoint-independent mapping: same port to another destination",
	  41, V1(UDP_(5353, R2, 53)), XL_OUT(PORT_OUT), NAT_OUT_OLD,
	  .pre = { { &P_V1_UDP_5353, 41, 1, TC_ACT_REDIRECT } },
	  .want_map = { { VM1_IP, 5353, IPPROTO_UDP, PORT_OUT } },
	  .want_flow = { { PORT_OUT, R1, 53, IPPROTO_UDP, FL_NEW, false,
			   VM1_IP, 5353 },
			 { PORT_OUT, R2, 53, IPPROTO_UDP, FL_NEW, true,
			   VM1_IP, 5353 } } },
	{ "nat out: range exhausted: a new mapping is dropped", 41,
	  V1(UDP_(6000, R1, 5000)), NAT_OUT_DROP(NAT_EXHAUSTED),
	  .pre = { { &P_V1_FILL, 41, 10, TC_ACT_REDIRECT } },
	  .want_map = { { VM1_IP, 6000, IPPROTO_UDP, 0 } } },
	{ "nat out: one outside port left: every new mapping gets it", 42,
	  V2(UDP_(5000, R1, 5000)), XL_OUT(40009), NAT_OUT_NEW, .repeat = 64,
	  .pre = { { &P_V1_FILL, 41, 9, TC_ACT_REDIRECT } },
	  .want_map = { { VM2_IP, 5000, IPPROTO_UDP, 40009, TMO_UDP } } },
	{ "nat out: range exhausted: an existing mapping still translates", 41,
	  V1(UDP_(40005, R2, 53)), XL_OUT(40005), NAT_OUT_OLD,
	  .pre = { { &P_V1_FILL, 41, 10, TC_ACT_REDIRECT } },
	  .want_map = { { VM1_IP, 40005, IPPROTO_UDP, 40005 } } },
	{ "nat out: expired mapping is made anew", 41,
	  V1(UDP_(40003, R1, 5000)), XL_OUT(40003), NAT_OUT_NEW,
	  .map = { { VM1_IP, 40003, 40003, IPPROTO_UDP, AGE_EXPIRED } },
	  .want_map = { { VM1_IP, 40003, IPPROTO_UDP, 40003, TMO_UDP } } },
	{ "nat out: expired mapping's port goes to another VM", 42,
	  V2(UDP_(40003, R1, 5000)), XL_OUT(40003), NAT_OUT_NEW,
	  .map = { { VM1_IP, 40003, 40003, IPPROTO_UDP, AGE_EXPIRED } },
	  .want_map = { { VM2_IP, 40003, IPPROTO_UDP, 40003, TMO_UDP } } },
	{ "nat out: a forward's port in the range is never taken", 41,
	  V1(TCP_(40003, R1, 80)), XL_OUT(PORT_OUT), .not_port = 40003,
	  NAT_OUT_NEW,
	  .map = { { VM2_IP, 80, 40003, IPPROTO_TCP, AGE_STATIC } },
	  .want_map = { { VM1_IP, 40003, IPPROTO_TCP, PORT_OUT,
			  TMO_TCP_TRANS },
			{ VM2_IP, 80, IPPROTO_TCP, 40003, TMO_STATIC } } },
	{ "nat out: a port another VM holds is never taken", 41,
	  V1(UDP_(40003, R1, 5000)), XL_OUT(PORT_OUT), .not_port = 40003,
	  NAT_OUT_NEW,
	  .map = { { VM2_IP, 7000, 40003, IPPROTO_UDP, AGE_LIVE } },
	  .want_map = { { VM1_IP, 40003, IPPROTO_UDP, PORT_OUT, TMO_UDP },
			{ VM2_IP, 7000, IPPROTO_UDP, 40003, TMO_UDP } } },
	{ "nat out: the same port number of another protocol is its own", 41,
	  V1(UDP_(40003, R1, 5000)), XL_OUT(40003), NAT_OUT_NEW,
	  .map = { { VM2_IP, 7000, 40003, IPPROTO_TCP, AGE_LIVE } },
	  .want_map = { { VM1_IP, 40003, IPPROTO_UDP, 40003, TMO_UDP } } },
	{ "nat out: later fragment: source address translated", 41,
	  V1(UDP_(40003, R1, 5000), .payload = 600, .frag = 0x0021),
	  { .on = true, .saddr = OUT_IP }, NAT_OUT_FRAG },
	{ "nat out: reply of a forward leaves with the forward's port", 42,
	  V2(.proto = IPPROTO_TCP, .sport = 80, .daddr = R2, .dport = 55555,
	     .tcp_flags = TH_SYN | TH_ACK), XL_OUT(8080), NAT_OUT_OLD,
	  .map = { MAP_FWD },
	  .want_flow = { { 8080, R2, 55555, IPPROTO_TCP, FL_NEW, true,
			   VM2_IP, 80 } } },
	{ "nat out: hairpin to a forward on the outside address", 41,
	  V1(TCP_(40004, OUT_IP, 8080)),
	  { .on = true, .saddr = OUT_IP, .sport = 40004, .daddr = VM2_IP,
	    .dport = 80, .dst = M_V2, .src = GW_MAC },
	  XDP_VM, .tc_ret = TC_ACT_REDIRECT,
	  .tc_s = { RX, .nat_new = 1, .nat_out = 1, .nat_in = 1 },
	  .map = { MAP_FWD },
	  .want_map = { { VM1_IP, 40004, IPPROTO_TCP, 40004,
			  TMO_TCP_TRANS } } },

	/* Outbound: live flows, which XDP translates too (nat_xdp.h). */
	/* (made by the prelude just now: its times stay, see nat_flow_seen) */
	{ "nat out: UDP of a live flow", 41,
	  V1(UDP_(5353, R1, 53)), XL_OUT(PORT_OUT), NAT_OUT_FAST,
	  .pre = { { &P_V1_UDP_5353, 41, 1, TC_ACT_REDIRECT } },
	  .want_map = { { VM1_IP, 5353, IPPROTO_UDP, PORT_OUT } },
	  .want_flow = { { PORT_OUT, R1, 53, IPPROTO_UDP, FL_NEW, false,
			   VM1_IP, 5353 } } },
	{ "nat out: TCP ACK of a live flow", 41,
	  V1(TCP_(33000, R1, 80), .tcp_flags = TH_ACK), XL_OUT(40001),
	  NAT_OUT_FAST, .map = { MAP_TCP_33000 },
	  .flow = { FLOW_TCP_33000_EST }, .want_map = { WANT_MAP_TCP_33000_EST },
	  .want_flow = { WANT_FLOW_TCP_33000_EST } },
	{ "nat out: ICMP echo request of a live flow", 41,
	  V1(ECHO_(0x4242, R1)), XL_OUT(40002), NAT_OUT_FAST,
	  .map = { MAP_ECHO }, .flow = { FLOW_ECHO },
	  .want_flow = { { 40002, R1, 0, IPPROTO_ICMP, FL_NEW, true,
			   VM1_IP, 0x4242 } } },
	{ "nat out: UDP of a live flow without checksum stays without", 41,
	  V1(UDP_(5353, R1, 53), .no_csum = true), XL_OUT(40005),
	  NAT_OUT_FAST, .map = { MAP_UDP_5353 }, .flow = { FLOW_UDP_5353 } },
	{ "nat out: UDP of a live flow, checksum that becomes 0: 0xffff", 41,
	  V1(UDP_(5353, R1, 53)), XL_OUT(40005), .zero_csum = true,
	  NAT_OUT_FAST, .map = { MAP_UDP_5353 }, .flow = { FLOW_UDP_5353 } },
	{ "nat out: UDP of a live flow in a padded frame", 41,
	  V1(UDP_(5353, R1, 53), .payload = 4, .pad = true), XL_OUT(40005),
	  NAT_OUT_FAST, .map = { MAP_UDP_5353 }, .flow = { FLOW_UDP_5353 } },
	/* ... but not what changes state, or what XDP cannot finish. */
	{ "nat out: TCP FIN of a live flow: tc, closing", 41,
	  V1(TCP_(33000, R1, 80), .tcp_flags = TH_FIN | TH_ACK),
	  XL_OUT(40001), NAT_OUT_OLD, .map = { MAP_TCP_33000 },
	  .flow = { FLOW_TCP_33000_EST },
	  .want_flow = { { 40001, R1, 80, IPPROTO_TCP, FL_CLOSING, true,
			   VM1_IP, 33000 } } },
	{ "nat out: TCP SYN of a live flow: tc", 41,
	  V1(TCP_(33000, R1, 80)), XL_OUT(40001), NAT_OUT_OLD,
	  .map = { MAP_TCP_33000 }, .flow = { FLOW_TCP_33000 } },
	{ "nat out: UDP of a live flow with IPv4 options: tc", 41,
	  V1(UDP_(5353, R1, 53), .opt = 1), XL_OUT(40005), NAT_OUT_OLD,
	  .map = { MAP_UDP_5353 }, .flow = { FLOW_UDP_5353 } },
	{ "nat out: UDP of a live flow, first fragment: tc", 41,
	  V1(UDP_(5353, R1, 53), .payload = 600, .frag = 0x2000,
	     .frag_len = 256), XL_OUT(40005), NAT_OUT_OLD,
	  .map = { MAP_UDP_5353 }, .flow = { FLOW_UDP_5353 } },
	{ "nat out: UDP of a live flow, next hop unresolved: tc", 41,
	  V1(UDP_(5353, OTHER_IP, 53)), XL_OUT(40005), NAT_OUT_OLD,
	  .map = { MAP_UDP_5353 },
	  .flow = { { 40005, OTHER_IP, 53, IPPROTO_UDP, VM1_IP, 5353,
		      XV_NAT_NEW, AGE_LIVE } } },
	{ "nat out: UDP of an idle flow past its timeout: tc makes it anew", 41,
	  V1(UDP_(5353, R1, 53)), XL_OUT(40005), NAT_OUT_OLD,
	  .map = { MAP_UDP_5353 },
	  .flow = { { 40005, R1, 53, IPPROTO_UDP, VM1_IP, 5353, XV_NAT_NEW,
		      AGE_OLD } },
	  .want_flow = { { 40005, R1, 53, IPPROTO_UDP, FL_NEW, true,
			   VM1_IP, 5353 } } },

	/* Outbound: a VM's ICMP errors about what came in. */
	{ "nat out: VM's port unreachable for a reply to its mapping", 41,
	  V1(OERR_(R1, 3, 3, Q_IN_UDP)),
	  { .on = true, .saddr = OUT_IP, .q_daddr = OUT_IP, .q_dport = 40005 },
	  XDP_VM, .tc_ret = TC_ACT_REDIRECT, .mark_out = XV_MARK_FWD,
	  .tc_s = { RX, .nat_icmp_err = 1 }, .map = { MAP_UDP_5353 },
	  .flow = { FLOW_UDP_5353 } },
	{ "nat out: VM's ICMP error for a forwarded connection", 42,
	  V2(OERR_(R2, 3, 13, Q_IN_FWD)),
	  { .on = true, .saddr = OUT_IP, .q_daddr = OUT_IP, .q_dport = 8080 },
	  XDP_VM, .tc_ret = TC_ACT_REDIRECT, .mark_out = XV_MARK_FWD,
	  .tc_s = { RX, .nat_icmp_err = 1 }, .map = { MAP_FWD },
	  .flow = { { 8080, R2, 55555, IPPROTO_TCP, VM2_IP, 80,
		      XV_NAT_ESTABLISHED, AGE_LIVE } } },
	{ "nat out: VM's ICMP error about a flow past its timeout: dropped", 41,
	  V1(OERR_(R1, 3, 3, Q_IN_UDP)), NAT_OUT_DROP(NAT_UNSUPPORTED),
	  .map = { MAP_UDP_5353 },
	  .flow = { { 40005, R1, 53, IPPROTO_UDP, VM1_IP, 5353, XV_NAT_NEW,
		      AGE_OLD } } },
	{ "nat out: VM's ICMP error for no mapping: dropped", 41,
	  V1(OERR_(R1, 3, 3, Q_IN_UNMAPPED)), NAT_OUT_DROP(NAT_UNSUPPORTED),
	  .map = { MAP_UDP_5353 } },
	{ "nat out: VM's ICMP error quoting another VM's packet: dropped", 41,
	  V1(OERR_(R1, 3, 3, Q_IN_OTHER_VM)), NAT_OUT_DROP(NAT_UNSUPPORTED),
	  .map = { { VM2_IP, 5353, 40005, IPPROTO_UDP, AGE_LIVE } } },

	/* Outbound: what is not translated. */
	{ "nat out: to the gateway: bridged to the adapter", 41,
	  V1(UDP_(40003, GW_IP, 53)), TO_ADAPTER },
	{ "nat out: to another inside address: bridged to the adapter", 41,
	  V1(TCP_(40003, VM2_IP, 22)), TO_ADAPTER },
	{ "nat out: to the subnet, gateway MAC unknown: flooded", 41,
	  V1(UDP_(40003, GW_IP, 53)), XDP_VM, .tc_ret = TC_ACT_SHOT,
	  .clones = OUT(D42) | OUT(D43), .tc_s = { RX, .flood = 1 },
	  .fdb = { { NAT_NET, GW_MAC, 0 } } },
	{ "nat out: to the uplink's address, no forward: bridged to the host",
	  41, V1(TCP_(40003, OUT_IP, 22)), TO_ADAPTER, .map = { MAP_FWD } },
	{ "nat out: to an address of another local device: bridged to the host",
	  41, V1(UDP_(40003, LOC_IP, 53)), TO_ADAPTER },
	{ "nat out: routed out of another device: dropped", 41,
	  V1(UDP_(40003, LOC_NET_IP, 53)), NAT_OUT_DROP(NAT_NO_ROUTE) },
	{ "nat out: source outside the subnet: dropped", 41,
	  { .dst = GW_MAC, .src = M_V1, .saddr = FAR_IP,
	    UDP_(40003, R1, 5000) }, NAT_OUT_DROP(NAT_UNSUPPORTED) },
	{ "nat out: GRE: dropped", 41,
	  V1(.proto = IPPROTO_GRE, .daddr = R1, .payload = 20),
	  NAT_OUT_DROP(NAT_UNSUPPORTED) },
	{ "nat out: malformed: IHL beyond the frame", 41,
	  V1(UDP_(40003, R1, 5000), .payload = 4, .ihl = 15),
	  NAT_OUT_DROP(NAT_UNSUPPORTED) },
	{ "nat out: malformed: IHL below 5", 41,
	  V1(UDP_(40003, R1, 5000), .ihl = 4), NAT_OUT_DROP(NAT_UNSUPPORTED) },
	{ "nat out: malformed: total length beyond the frame", 41,
	  V1(UDP_(40003, R1, 5000), .long_tot = true),
	  NAT_OUT_DROP(NAT_UNSUPPORTED) },
	{ "nat out: malformed: UDP header cut short", 41,
	  V1(UDP_(40003, R1, 5000), .payload = 0, .cut = 4),
	  NAT_OUT_DROP(NAT_UNSUPPORTED) },
	{ "nat out: malformed: TCP header cut short", 41,
	  V1(TCP_(40003, R1, 80), .payload = 0, .cut = 8),
	  NAT_OUT_DROP(NAT_UNSUPPORTED) },
	{ "nat out: malformed: ICMP header cut short", 41,
	  V1(ECHO_(0x4242, R1), .payload = 0, .cut = 4),
	  NAT_OUT_DROP(NAT_UNSUPPORTED) },

	/* Inbound: replies. */
	{ "nat in: UDP reply to a mapping", 40, INB(IUDP_(R1, 53, 40005)),
	  XL_IN(VM1_IP, 5353, M_V1), NAT_IN_FAST,
	  .map = { MAP_UDP_5353 }, .flow = { FLOW_UDP_5353 },
	  .want_map = { { VM1_IP, 5353, IPPROTO_UDP, 40005, TMO_UDP } },
	  .want_flow = { { 40005, R1, 53, IPPROTO_UDP, FL_EST, true,
			   VM1_IP, 5353 } } },
	{ "nat in: TCP SYN-ACK to a mapping", 40, INB(ITCP_(R1, 80, 40001)),
	  XL_IN(VM1_IP, 33000, M_V1), NAT_IN_OK,
	  .map = { MAP_TCP_33000 }, .flow = { FLOW_TCP_33000 },
	  .want_map = { { VM1_IP, 33000, IPPROTO_TCP, 40001,
			  TMO_TCP_EST } },
	  .want_flow = { { 40001, R1, 80, IPPROTO_TCP, FL_EST, true,
			   VM1_IP, 33000 } } },
	{ "nat in: ICMP echo reply, id translated back", 40,
	  INB(IREPLY_(R1, 40002)), XL_IN_ECHO(VM1_IP, 0x4242, M_V1), NAT_IN_FAST,
	  .map = { MAP_ECHO }, .flow = { FLOW_ECHO },
	  .want_map = { { VM1_IP, 0x4242, IPPROTO_ICMP, 40002,
			  TMO_ICMP } },
	  .want_flow = { { 40002, R1, 0, IPPROTO_ICMP, FL_EST, true,
			   VM1_IP, 0x4242 } } },
	{ "nat in: TCP ACK of an established flow", 40,
	  INB(ITCP_(R1, 80, 40001), .tcp_flags = TH_ACK),
	  XL_IN(VM1_IP, 33000, M_V1), NAT_IN_FAST,
	  .map = { MAP_TCP_33000 },
	  .flow = { FLOW_TCP_33000_EST }, .want_map = { WANT_MAP_TCP_33000_EST },
	  .want_flow = { WANT_FLOW_TCP_33000_EST } },
	{ "nat in: TCP FIN: the flow is closing", 40,
	  INB(ITCP_(R1, 80, 40001), .tcp_flags = TH_FIN | TH_ACK),
	  XL_IN(VM1_IP, 33000, M_V1), NAT_IN_OK,
	  .map = { MAP_TCP_33000 },
	  .flow = { FLOW_TCP_33000_EST },
	  .want_flow = { { 40001, R1, 80, IPPROTO_TCP, FL_CLOSING, true,
			   VM1_IP, 33000 } } },
	{ "nat in: reply to a mapping the datapath made", 40,
	  INB(IUDP_(R1, 5000, 40003)), XL_IN(VM1_IP, 40003, M_V1), NAT_IN_FAST,
	  .pre = { { &P_V1_UDP_40003, 41, 1, TC_ACT_REDIRECT } },
	  .want_flow = { { 40003, R1, 5000, IPPROTO_UDP, FL_EST, false,
			   VM1_IP, 40003 } } },
	/* Translated, then out of the host adapter for the host to ARP. */
	{ "nat in: reply, no xv_neigh entry: resolved by the host", 40,
	  INB(IUDP_(R1, 53, 40005)), { .on = true, .daddr = VM1_IP,
				       .dport = 5353 },
	  XDP_UPL, .tc_ret = TC_ACT_REDIRECT, .mark_out = XV_MARK_NAT_IN,
	  .tc_s = { RX, .nat_in = 1 }, .tc_state = true,
	  .map = { MAP_UDP_5353 }, .flow = { FLOW_UDP_5353 },
	  .neigh_del = VM1_IP },
	{ "nat in: reply, VM MAC not in the FDB: dropped", 40,
	  INB(IUDP_(R1, 53, 40005)), NAT_IN_DROP(NAT_NO_ROUTE), .tc_state = true,
	  .map = { MAP_UDP_5353 }, .flow = { FLOW_UDP_5353 },
	  .fdb = { { NAT_NET, M_V1, 0 } } },
	{ "nat in: reply to a mapping of the range exhausted", 40,
	  INB(IUDP_(R1, 5000, 40009)), XL_IN(VM1_IP, 40009, M_V1), NAT_IN_FAST,
	  .pre = { { &P_V1_FILL, 41, 10, TC_ACT_REDIRECT } } },

	/* Inbound: malformed, to a mapping: never translated. */
	{ "nat in: malformed: IHL beyond the frame", 40,
	  INB(IUDP_(R1, 53, 40005), .payload = 4, .ihl = 15), NAT_IN_HOST,
	  .map = { MAP_UDP_5353 }, .flow = { FLOW_UDP_5353 } },
	{ "nat in: malformed: total length beyond the frame", 40,
	  INB(IUDP_(R1, 53, 40005), .long_tot = true), NAT_IN_HOST,
	  .map = { MAP_UDP_5353 }, .flow = { FLOW_UDP_5353 } },
	{ "nat in: malformed: UDP header cut short", 40,
	  INB(IUDP_(R1, 53, 40005), .payload = 0, .cut = 4), NAT_IN_HOST,
	  .map = { MAP_UDP_5353 }, .flow = { FLOW_UDP_5353 } },

	/* Inbound: the host's own traffic. */
	{ "nat in: unsolicited UDP: the host's", 40, INB(IUDP_(R1, 53, 40007)),
	  NAT_IN_HOST, .map = { MAP_UDP_5353 }, .flow = { FLOW_UDP_5353 } },
	{ "nat in: unsolicited TCP: the host's", 40, INB(ITCP_(R1, 5555, 22),
	  .tcp_flags = TH_SYN), NAT_IN_HOST },
	{ "nat in: ICMP echo request: the host's, even on a mapped id", 40,
	  INB(ECHO_(40002, OUT_IP), .saddr = R1), NAT_IN_HOST,
	  .map = { MAP_ECHO }, .flow = { FLOW_ECHO } },
	{ "nat in: to another address: untouched", 40,
	  INB(IUDP_(R1, 53, 40005), .daddr = OTHER_IP), NAT_IN_HOST,
	  .map = { MAP_UDP_5353 }, .flow = { FLOW_UDP_5353 } },

	/* Inbound: filtering. */
	{ "nat in: filtered: another remote address", 40,
	  INB(IUDP_(R2, 53, 40005)), NAT_IN_DROP(NAT_FILTERED),
	  .map = { MAP_UDP_5353 }, .flow = { FLOW_UDP_5353 } },
	{ "nat in: filtered: another remote port", 40,
	  INB(IUDP_(R1, 54, 40005)), NAT_IN_DROP(NAT_FILTERED),
	  .map = { MAP_UDP_5353 }, .flow = { FLOW_UDP_5353 } },
	{ "nat in: endpoint-independent filtering admits another remote", 40,
	  INB(IUDP_(R2, 53, 40005)), XL_IN(VM1_IP, 5353, M_V1), NAT_IN_OK,
	  .net_flags = XV_NET_NAT_EIF,
	  .map = { MAP_UDP_5353 }, .flow = { FLOW_UDP_5353 },
	  .want_flow = { { 40005, R2, 53, IPPROTO_UDP, FL_EST, true,
			   VM1_IP, 5353 } } },
	{ "nat in: forward: delivered with the real source", 40,
	  INB(ITCP_(R2, 55555, 8080), .tcp_flags = TH_SYN),
	  XL_IN(VM2_IP, 80, M_V2), NAT_IN_OK, .map = { MAP_FWD },
	  .want_map = { { VM2_IP, 80, IPPROTO_TCP, 8080, TMO_STATIC } },
	  .want_flow = { { 8080, R2, 55555, IPPROTO_TCP, FL_EST, true,
			   VM2_IP, 80 } } },
	/* Translated, then out of the host adapter for the host to ARP. */
	{ "nat in: forward, VM's MAC unknown: resolved by the host", 40,
	  INB(ITCP_(R2, 55555, 8080), .tcp_flags = TH_SYN),
	  { .on = true, .daddr = VM2_IP, .dport = 80 },
	  XDP_UPL, .tc_ret = TC_ACT_REDIRECT, .mark_out = XV_MARK_NAT_IN,
	  .tc_s = { RX, .nat_in = 1 }, .tc_state = true, .map = { MAP_FWD },
	  .neigh_del = VM2_IP },

	/* Inbound: ICMP errors about our mappings. */
	{ "nat in: ICMP port unreachable for a UDP mapping", 40,
	  INB(IERR_(R1, 3, 3, Q_UDP)), XL_IN_ERR(VM1_IP, 5353, M_V1),
	  XDP_UPL, .tc_ret = TC_ACT_REDIRECT,
	  .tc_s = { RX, .nat_in = 1, .nat_icmp_err = 1 },
	  .map = { MAP_UDP_5353 }, .flow = { FLOW_UDP_5353 } },
	{ "nat in: ICMP time exceeded for a UDP mapping", 40,
	  INB(IERR_(R1, 11, 0, Q_UDP_TTL1)), XL_IN_ERR(VM1_IP, 5353, M_V1),
	  XDP_UPL, .tc_ret = TC_ACT_REDIRECT,
	  .tc_s = { RX, .nat_in = 1, .nat_icmp_err = 1 },
	  .map = { MAP_UDP_5353 } },
	{ "nat in: ICMP port unreachable quoting 8 bytes of UDP", 40,
	  INB(IERR_(R1, 3, 3, Q_UDP), .quote_len = 28),
	  XL_IN_ERR(VM1_IP, 5353, M_V1), XDP_UPL, .tc_ret = TC_ACT_REDIRECT,
	  .tc_s = { RX, .nat_in = 1, .nat_icmp_err = 1 },
	  .map = { MAP_UDP_5353 } },
	{ "nat in: ICMP error quoting UDP without checksum", 40,
	  INB(IERR_(R1, 3, 3, Q_UDP_NOCSUM)), XL_IN_ERR(VM1_IP, 5353, M_V1),
	  XDP_UPL, .tc_ret = TC_ACT_REDIRECT,
	  .tc_s = { RX, .nat_in = 1, .nat_icmp_err = 1 },
	  .map = { MAP_UDP_5353 } },
	{ "nat in: ICMP host unreachable for a TCP mapping", 40,
	  INB(IERR_(R1, 3, 1, Q_TCP)), XL_IN_ERR(VM1_IP, 33000, M_V1),
	  XDP_UPL, .tc_ret = TC_ACT_REDIRECT,
	  .tc_s = { RX, .nat_in = 1, .nat_icmp_err = 1 },
	  .map = { MAP_TCP_33000 } },
	{ "nat in: ICMP error quoting 8 bytes of TCP", 40,
	  INB(IERR_(R1, 3, 1, Q_TCP), .quote_len = 28),
	  XL_IN_ERR(VM1_IP, 33000, M_V1), XDP_UPL, .tc_ret = TC_ACT_REDIRECT,
	  .tc_s = { RX, .nat_in = 1, .nat_icmp_err = 1 },
	  .map = { MAP_TCP_33000 } },
	{ "nat in: ICMP error for an echo mapping", 40,
	  INB(IERR_(R1, 3, 1, Q_ECHO)), XL_IN_ERR(VM1_IP, 0x4242, M_V1),
	  XDP_UPL, .tc_ret = TC_ACT_REDIRECT,
	  .tc_s = { RX, .nat_in = 1, .nat_icmp_err = 1 },
	  .map = { MAP_ECHO } },
	{ "nat in: ICMP error for no mapping: the host's", 40,
	  INB(IERR_(R1, 3, 3, Q_UDP_UNMAPPED)), NAT_IN_HOST,
	  .map = { MAP_UDP_5353 } },
	{ "nat in: ICMP error for an expired mapping: the host's", 40,
	  INB(IERR_(R1, 3, 3, Q_UDP)), NAT_IN_HOST,
	  .map = { { VM1_IP, 5353, 40005, IPPROTO_UDP, AGE_EXPIRED } } },

	/* Inbound: fragments. */
	{ "nat in: first fragment of an ICMP echo reply", 40, P_FRAG1,
	  XL_IN_ECHO(VM1_IP, 0x4242, M_V1), NAT_IN_FRAG,
	  .map = { MAP_ECHO }, .flow = { FLOW_ECHO },
	  .want_frag = { R1, 0x7777, IPPROTO_ICMP, VM1_IP } },
	{ "nat in: later fragment follows its first", 40,
	  INB(IREPLY_(R1, 40002), .payload = 600, .ipid = 0x7777,
	     .frag = 264 / 8), XL_IN(VM1_IP, 0, M_V1), NAT_IN_FRAG,
	  .map = { MAP_ECHO }, .flow = { FLOW_ECHO },
	  .pre = { { &P_FRAG1, 40, 1, TC_ACT_REDIRECT } } },
	{ "nat in: later fragment of an unknown datagram: the host's", 40,
	  INB(IREPLY_(R1, 40002), .payload = 600, .ipid = 0x7778,
	     .frag = 264 / 8), NAT_IN_HOST,
	  .map = { MAP_ECHO }, .flow = { FLOW_ECHO },
	  .pre = { { &P_FRAG1, 40, 1, TC_ACT_REDIRECT } } },
	{ "nat in: later fragment, same id from another source: the host's", 40,
	  INB(IREPLY_(R2, 40002), .payload = 600, .ipid = 0x7777,
	     .frag = 264 / 8), NAT_IN_HOST,
	  .map = { MAP_ECHO }, .flow = { FLOW_ECHO },
	  .pre = { { &P_FRAG1, 40, 1, TC_ACT_REDIRECT } } },
	{ "nat in: first fragment of a UDP reply", 40, P_UDP_FRAG1,
	  XL_IN(VM1_IP, 5353, M_V1), NAT_IN_FRAG,
	  .map = { MAP_UDP_5353 }, .flow = { FLOW_UDP_5353 },
	  .want_frag = { R1, 0x7779, IPPROTO_UDP, VM1_IP } },

	{ "nat in: later fragment of a UDP reply follows its first", 40,
	  INB(IUDP_(R1, 53, 40005), .payload = 1000, .ipid = 0x7779,
	     .frag = 512 / 8), XL_IN(VM1_IP, 0, M_V1), NAT_IN_FRAG,
	  .map = { MAP_UDP_5353 }, .flow = { FLOW_UDP_5353 },
	  .pre = { { &P_UDP_FRAG1, 40, 1, TC_ACT_REDIRECT } } },

	/* Timeouts. */
	{ "nat in: expired mapping is not used", 40, INB(IUDP_(R1, 53, 40005)),
	  NAT_IN_HOST,
	  .map = { { VM1_IP, 5353, 40005, IPPROTO_UDP, AGE_EXPIRED } },
	  .flow = { FLOW_UDP_5353 } },
	{ "nat in: flow past its timeout no longer admits", 40,
	  INB(IUDP_(R1, 53, 40005)), NAT_IN_DROP(NAT_FILTERED),
	  .map = { MAP_UDP_5353 },
	  .flow = { { 40005, R1, 53, IPPROTO_UDP, VM1_IP, 5353, XV_NAT_NEW,
		      AGE_OLD } } },

	/* Isolation of the network. */
	{ "nat isolation: IPv4 from the adapter with an outside source", 43,
	  { .dst = M_V1, .src = GW_MAC, .saddr = FAR_IP, .daddr = VM1_IP,
	    .proto = IPPROTO_UDP, .sport = 5000, .dport = 5000, .payload = 8 },
	  .xdp_ret = XDP_PASS, .tc_ret = TC_ACT_SHOT,
	  .xdp_s = { .xdp_pass = 1 }, .tc_s = { RX, DROP(ROUTED_IN) } },
	/* ... unless it is our own inbound NAT delivery (XDP cannot tell). */
	{ "nat isolation: our NAT delivery through the adapter", 43,
	  { .dst = M_V1, .src = GW_MAC, .saddr = FAR_IP, .daddr = VM1_IP,
	    .proto = IPPROTO_UDP, .sport = 5000, .dport = 5000, .payload = 8 },
	  .mark_in = XV_MARK_NAT_IN,
	  .xdp_ret = XDP_PASS, .tc_ret = TC_ACT_REDIRECT,
	  .xdp_s = { .xdp_pass = 1 }, .tc_s = { RX, .fwd_tc = 1 } },
	{ "nat isolation: IPv4 from the adapter with the gateway's source", 43,
	  { .dst = M_V1, .src = GW_MAC, .saddr = GW_IP, .daddr = VM1_IP,
	    .proto = IPPROTO_UDP, .sport = 53, .dport = 5000, .payload = 8 },
	  .xdp_ret = XDP_REDIRECT, .tc_ret = TC_ACT_REDIRECT,
	  .xdp_s = { RX, .fwd_xdp = 1 }, .tc_s = { RX, .fwd_tc = 1 } },
	{ "nat isolation: IPv6 from the adapter with a global source", 43,
	  { .dst = M_V1, .src = GW_MAC, .ethertype = ETH_P_IPV6,
	    .saddr6 = "2001:db8::1", .daddr6 = "fe80::a",
	    .proto = IPPROTO_UDP, .sport = 53, .dport = 5000, .payload = 8 },
	  .xdp_ret = XDP_PASS, .tc_ret = TC_ACT_SHOT,
	  .xdp_s = { .xdp_pass = 1 }, .tc_s = { RX, DROP(ROUTED_IN) } },
	{ "nat isolation: IPv6 link-local from the adapter passes", 43,
	  { .dst = M_V1, .src = GW_MAC, .ethertype = ETH_P_IPV6,
	    .saddr6 = "fe80::1", .daddr6 = "fe80::a",
	    .proto = IPPROTO_UDP, .sport = 53, .dport = 5000, .payload = 8 },
	  .xdp_ret = XDP_REDIRECT, .tc_ret = TC_ACT_REDIRECT,
	  .xdp_s = { RX, .fwd_xdp = 1 }, .tc_s = { RX, .fwd_tc = 1 } },
	{ "nat isolation: IPv6 from a VM to the gateway, global destination",
	  41, { .dst = GW_MAC, .src = M_V1, .ethertype = ETH_P_IPV6,
		.saddr6 = "fe80::a", .daddr6 = "2001:db8::5",
		.proto = IPPROTO_ICMPV6, .type = 128, .sport = 7, .payload = 16 },
	  .xdp_ret = XDP_DROP, .tc_ret = TC_ACT_SHOT,
	  .xdp_s = { RX, DROP(IPV6_OUT) }, .tc_s = { RX, DROP(IPV6_OUT) } },
	{ "nat isolation: IPv6 from a VM to the gateway, link-local passes", 41,
	  { .dst = GW_MAC, .src = M_V1, .ethertype = ETH_P_IPV6,
	    .saddr6 = "fe80::a", .daddr6 = "fe80::1",
	    .proto = IPPROTO_ICMPV6, .type = 128, .sport = 7, .payload = 16 },
	  TO_ADAPTER },
	{ "nat isolation: IPv6 multicast from a VM floods in the network", 41,
	  { .dst = V6_ALLNODES, .src = M_V1, .ethertype = ETH_P_IPV6,
	    .saddr6 = "fe80::a", .daddr6 = "ff02::1",
	    .proto = IPPROTO_ICMPV6, .type = 128, .sport = 7, .payload = 16 },
	  XDP_VM, .tc_ret = TC_ACT_SHOT, .clones = OUT(D42) | OUT(D43),
	  .tc_s = { RX, .flood = 1 } },
	{ "nat isolation: ARP broadcast from the adapter floods to the VMs", 43,
	  { .dst = BCAST, .src = GW_MAC, .ethertype = ETH_P_ARP,
	    .saddr = GW_IP, .daddr = VM1_IP },
	  .xdp_ret = XDP_PASS, .xdp_s = { .xdp_pass = 1 },
	  .tc_ret = TC_ACT_SHOT, .clones = OUT(D41) | OUT(D42),
	  .tc_s = { RX, .flood = 1 } },
};

#pragma GCC diagnostic pop

/* ------------------------------------------------------------------------ */
/* Building frames. */

static void put32(__u8 *p, __u32 v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static size_t npkt_ip4(__u8 *ip, const struct npkt *s);

/* The complete L4 datagram, checksum field zero; returns its length. */
static size_t npkt_l4(__u8 *l4, const struct npkt *s)
{
	size_t hlen = 8, i;

	switch (s->proto) {
	case IPPROTO_UDP:
		memset(l4, 0, 8);
		put16(l4, s->sport);
		put16(l4 + 2, s->dport);
		put16(l4 + 4, 8 + s->payload);
		break;
	case IPPROTO_TCP:
		hlen = 20;
		memset(l4, 0, hlen);
		put16(l4, s->sport);
		put16(l4 + 2, s->dport);
		put32(l4 + 4, 0x12345678);
		l4[13] = s->tcp_flags ? s->tcp_flags : TH_SYN;
		if (l4[13] & TH_ACK)
			put32(l4 + 8, 0x9abcdef0);
		l4[12] = 5 << 4;
		put16(l4 + 14, 64240);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		memset(l4, 0, 8);
		l4[0] = s->type;
		l4[1] = s->code;
		if (s->quote) {
			__u8 q[FRAME_MAX];
			size_t n = npkt_ip4(q, s->quote);

			if (s->quote_len && s->quote_len < n)
				n = s->quote_len;
			memcpy(l4 + 8, q, n);
			hlen += n;
		} else {
			put16(l4 + 4, s->sport);
			put16(l4 + 6, 1);
		}
		break;
	default:
		hlen = 4;
		memset(l4, 0, hlen);
		put16(l4 + 2, ETH_P_IP);
		break;
	}
	for (i = 0; i < s->payload; i++)
		l4[hlen + i] = (__u8)(i * 7 + 1);
	if (s->has_tweak && s->payload >= 2)
		put16(l4 + hlen + s->payload - 2, s->tweak);
	return hlen + s->payload;
}

static __u64 pseudo4(__u32 saddr, __u32 daddr, __u8 proto, size_t len)
{
	return (saddr >> 16) + (saddr & 0xffff) + (daddr >> 16) +
	       (daddr & 0xffff) + proto + len;
}

/* Fill in the L4 checksum of a complete datagram from scratch. */
static void l4_checksum(__u8 *l4, size_t len, const struct npkt *s,
			__u64 pseudo)
{
	int off = l4_check_off(s->proto);
	__u16 check;

	if (off < 0 || (s->proto == IPPROTO_UDP && s->no_csum))
		return;
	if (s->proto == IPPROTO_ICMP)
		pseudo = 0;
	check = ~fold16(sum16(pseudo, l4, len));
	if (s->proto == IPPROTO_UDP && !check)
		check = 0xffff;
	put16(l4 + off, check);
}

/* The IPv4 datagram (or fragment) of s; returns its length. */
static size_t npkt_ip4(__u8 *ip, const struct npkt *s)
{
	__u8 l4[FRAME_MAX];
	size_t l4len = npkt_l4(l4, s), hlen = 20 + 4 * s->opt, off, n;

	l4_checksum(l4, l4len, s, pseudo4(s->saddr, s->daddr, s->proto, l4len));
	off = (s->frag & 0x1fff) * 8;
	n = s->frag_len ? s->frag_len : l4len - off;
	memset(ip, 0, hlen);
	ip[0] = 0x40 | (s->ihl ? s->ihl : hlen / 4);
	put16(ip + 2, hlen + n + (s->long_tot ? 100 : 0));
	put16(ip + 4, s->ipid ? s->ipid : 0x1234);
	put16(ip + 6, s->frag ? s->frag : 0x4000);
	ip[8] = s->ttl ? s->ttl : 64;
	ip[9] = s->proto;
	put32(ip + 12, s->saddr);
	put32(ip + 16, s->daddr);
	memset(ip + 20, 1, hlen - 20);			/* NOP options */
	put16(ip + 10, ~fold16(sum16(0, ip, hlen)));
	memcpy(ip + hlen, l4 + off, n);
	return hlen + n;
}

static size_t npkt_ip6(__u8 *ip, const struct npkt *s)
{
	__u8 *l4 = ip + 40;
	size_t l4len = npkt_l4(l4, s);

	memset(ip, 0, 40);
	ip[0] = 0x60;
	put16(ip + 4, l4len);
	ip[6] = s->proto;
	ip[7] = 255;
	inet_pton(AF_INET6, s->saddr6, ip + 8);
	inet_pton(AF_INET6, s->daddr6, ip + 24);
	l4_checksum(l4, l4len, s, sum16(0, ip + 8, 32) + l4len + s->proto);
	return 40 + l4len;
}

static void npkt_frame(struct frame *f, const struct npkt *s)
{
	__u16 type = s->ethertype ? s->ethertype : ETH_P_IP;
	__u8 *p;

	memset(f, 0, sizeof(*f));
	p = put_eth(f, s->dst, s->src, type);
	switch (type) {
	case ETH_P_IPV6:
		f->len += npkt_ip6(p, s);
		break;
	case ETH_P_ARP:
		put16(p, 1);
		put16(p + 2, ETH_P_IP);
		p[4] = 6;
		p[5] = 4;
		put16(p + 6, 1);
		memcpy(p + 8, s->src, 6);
		put32(p + 14, s->saddr);
		put32(p + 24, s->daddr);
		f->len += 28;
		break;
	default:
		f->len += npkt_ip4(p, s);
		break;
	}
	if (s->pad && f->len < ETH_ZLEN)
		f->len = ETH_ZLEN;
	f->len -= s->cut;
}

/*
 * The payload tweak that makes the UDP checksum of the translated datagram
 * compute to 0 (which UDP sends as 0xffff).
 */
static __u16 zero_csum_tweak(const struct npkt *translated)
{
	struct npkt s = *translated;
	__u8 l4[FRAME_MAX];
	size_t len;

	s.has_tweak = true;
	s.tweak = 0;
	len = npkt_l4(l4, &s);
	return 0xffff - fold16(sum16(pseudo4(s.saddr, s.daddr, s.proto, len),
				     l4, len));
}

/* The expected frame: the input with the translation applied. */
/*
 * The frame a run must produce. XDP sends what it translated outbound to
 * the next hop itself, with the uplink's MAC and the router's; tc leaves
 * the MACs to bpf_redirect_neigh.
 */
static void nat_expected(const struct nat_fx *fx, const struct npkt *in,
			 __u16 got_port, bool xdp, struct frame *f)
{
	struct npkt e = *in, q;
	const struct xlate *x = &fx->out;

	if (x->saddr)
		e.saddr = x->saddr;
	if (x->daddr)
		e.daddr = x->daddr;
	if (x->sport)
		e.sport = x->sport == PORT_OUT ? got_port : x->sport;
	if (x->dport)
		e.dport = x->dport;
	if (x->dst)
		e.dst = x->dst;
	if (x->src)
		e.src = x->src;
	if (xdp && x->saddr) {
		e.dst = RTR_MAC;
		e.src = UPL_MAC;
	}
	if (in->quote) {
		q = *in->quote;
		if (x->q_saddr)
			q.saddr = x->q_saddr;
		if (x->q_daddr)
			q.daddr = x->q_daddr;
		if (x->q_sport)
			q.sport = x->q_sport;
		if (x->q_dport)
			q.dport = x->q_dport;
		e.quote = &q;
	}
	npkt_frame(f, &e);
}

/* ------------------------------------------------------------------------ */
/* Checking frames. */

static __u32 get32(const __u8 *p)
{
	return (__u32)p[0] << 24 | (__u32)p[1] << 16 | (__u32)p[2] << 8 | p[3];
}

static __u16 get16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

/*
 * Verify the checksums of an IPv4 datagram from scratch: its header, and
 * when it is whole (not a fragment, not cut by a quote) its L4 checksum;
 * the datagram quoted by an ICMP error likewise.
 */
static void verify_ip4(const __u8 *ip, size_t len, const char *pfx,
		       struct result *r)
{
	size_t hlen, tot, l4len;
	const __u8 *l4;
	__u16 check;
	int off;

	if (len < 20 || (ip[0] >> 4) != 4)
		return;
	hlen = (ip[0] & 15) * 4;
	tot = get16(ip + 2);
	if (hlen < 20 || hlen > len)
		return;
	if (fold16(sum16(0, ip, hlen)) != 0xffff)
		fail(r, "%sIPv4 header checksum %#06x does not verify", pfx,
		     get16(ip + 10));
	if (get16(ip + 6) & 0x3fff)
		return;		/* a fragment: compared with the expected one */
	if (tot > len || tot < hlen)
		return;		/* cut off (a quote): compared as well */
	l4 = ip + hlen;
	l4len = tot - hlen;
	off = l4_check_off(ip[9]);
	if (off < 0 || l4len < (size_t)off + 2)
		return;
	check = get16(l4 + off);
	if (ip[9] == IPPROTO_ICMP) {
		if (fold16(sum16(0, l4, l4len)) != 0xffff)
			fail(r, "%sICMP checksum %#06x does not verify", pfx,
			     check);
		if (l4len >= 28 && (l4[0] == 3 || l4[0] == 11 || l4[0] == 12))
			verify_ip4(l4 + 8, l4len - 8, "quoted ", r);
		return;
	}
	if (ip[9] == IPPROTO_UDP && !check)
		return;
	if (fold16(sum16(pseudo4(get32(ip + 12), get32(ip + 16), ip[9], l4len),
			 l4, l4len)) != 0xffff)
		fail(r, "%s%s checksum %#06x does not verify", pfx,
		     ip[9] == IPPROTO_UDP ? "UDP" : "TCP", check);
}

static void hexdump(const char *what, const __u8 *b, size_t len)
{
	size_t i;

	fprintf(stderr, "  %s (%zu bytes):", what, len);
	for (i = 0; i < len && i < 128; i++)
		fprintf(stderr, "%s%02x", i % 16 ? " " : "\n    ", b[i]);
	fprintf(stderr, "%s\n", len > 128 ? " ..." : "");
}

static void frame_compare(const struct frame *want, const __u8 *got,
			  __u32 got_len, const char *what, struct result *r)
{
	__u32 i;

	if (got_len == want->len && !memcmp(got, want->b, want->len))
		return;
	for (i = 0; i < got_len && i < want->len; i++)
		if (got[i] != want->b[i])
			break;
	fail(r, "frame: expected %s (%u bytes) got %u bytes, first difference at byte %u",
	     what, want->len, got_len, i);
}

/* ------------------------------------------------------------------------ */
/* State. */

static int fd_nat_port, fd_nat_fwd, fd_nat_flow, fd_nat_frag, fd_neigh;
static int fd_gc;

/* The collector's epoch during the fixtures, and one long gone. */
#define NAT_EPOCH	5
#define NAT_EPOCH_GONE	2


static __u64 nat_timeout(__u8 proto, __u8 state)
{
	switch (proto) {
	case IPPROTO_TCP:
		return state == XV_NAT_ESTABLISHED ? T_TCP_EST : T_TCP_TRANS;
	case IPPROTO_UDP:
		return T_UDP;
	default:
		return T_ICMP;
	}
}

static int map_clear(int fd, size_t ksz)
{
	__u8 key[64];

	while (!bpf_map_get_next_key(fd, NULL, key))
		if (bpf_map_delete_elem(fd, key))
			return -errno;
	(void)ksz;
	return 0;
}

static struct xv_net nat_net_def(__u32 flags)
{
	struct xv_net n = {
		.mode = XV_MODE_NAT, .uplink = 40, .nports = 3,
		.ports = { 41, 42, 43 }, .name = "nat",
		.subnet = htonl(NAT_SUBNET), .mask = htonl(0xffffff00),
		.gateway = htonl(GW_IP), .host_if = 143, .adapter = 43,
		.nat_lo = NAT_LO, .nat_hi = NAT_HI, .flags = flags,
	};

	memcpy(n.host_mac, GW_MAC, 6);
	return n;
}

static int neigh_write(__u32 addr, const __u8 *mac, __u64 seen)
{
	struct xv_neigh_key k = { .net = NAT_NET, .addr = htonl(addr) };
	struct xv_neigh v = { .seen_ns = seen };

	memcpy(v.mac, mac, 6);
	return bpf_map_update_elem(fd_neigh, &k, &v, BPF_ANY) ? -errno : 0;
}

static __u32 port_index(__u8 proto, __u16 port)
{
	return (__u32)xv_nat_port_index(proto, port);
}

static int nat_map_write(const struct nat_ment *e)
{
	__u32 key = port_index(e->proto, e->out_port);
	struct xv_nat_port w = { .mark = XV_NAT_MARK_STATIC };
	struct xv_nat_fwd_key fin = { .addr = htonl(OUT_IP),
				      .port = htons(e->out_port),
				      .proto = e->proto, .dir = XV_NAT_FWD_IN };
	struct xv_nat_fwd_key fout = { .addr = htonl(e->in_addr),
				       .port = htons(e->in_port),
				       .proto = e->proto,
				       .dir = XV_NAT_FWD_OUT };
	struct xv_nat_fwd vin = { .addr = htonl(e->in_addr),
				  .port = htons(e->in_port), .net = NAT_NET };
	struct xv_nat_fwd vout = { .addr = htonl(OUT_IP),
				   .port = htons(e->out_port), .net = NAT_NET };

	if (e->age != AGE_STATIC) {
		w.inside_addr = htonl(e->in_addr);
		w.inside_port = htons(e->in_port);
		w.net = NAT_NET;
		w.mark = e->age == AGE_EXPIRED ? NAT_EPOCH_GONE : NAT_EPOCH;
	} else if (bpf_map_update_elem(fd_nat_fwd, &fin, &vin, BPF_ANY) ||
		   bpf_map_update_elem(fd_nat_fwd, &fout, &vout, BPF_ANY)) {
		return -errno;
	}
	return bpf_map_update_elem(fd_nat_port, &key, &w, BPF_ANY) ? -errno : 0;
}

/* Every xv_nat_port word zero again: one batch write of the whole array. */
static int nat_ports_clear(void)
{
	static __u32 keys[XV_NAT_PORTS];
	static struct xv_nat_port zero[XV_NAT_PORTS];
	__u32 n = XV_NAT_PORTS;

	for (__u32 i = 0; i < n; i++)
		keys[i] = i;
	return bpf_map_update_batch(fd_nat_port, keys, zero, &n, NULL) ? -1 : 0;
}

static struct xv_nat_flow_key flow_key(__u32 in_addr, __u16 in_port,
				       __u32 remote, __u16 rport, __u8 proto)
{
	struct xv_nat_flow_key k = {
		.inside_addr = htonl(in_addr), .remote_addr = htonl(remote),
		.inside_port = htons(in_port),
		.remote_port = proto == IPPROTO_ICMP ? 0 : htons(rport),
		.proto = proto,
	};

	return k;
}

static int nat_flow_write(const struct nat_fent *e, __u64 now)
{
	struct xv_nat_flow_key k = flow_key(e->in_addr, e->in_port, e->remote,
					    e->rport, e->proto);
	struct xv_nat_flow v = {
		.outside_port = htons(e->out_port), .state = e->state,
	};

	v.seen_ns = e->age == AGE_OLD ?
		now - nat_timeout(e->proto, e->state) - SEC_NS :
		now - NAT_SEEN_AGE_NS;
	return bpf_map_update_elem(fd_nat_flow, &k, &v, BPF_ANY) ? -errno : 0;
}

static const struct fdb_ent nat_fdb_base[] = {
	{ NAT_NET, M_V1, 41, 0 }, { NAT_NET, M_V2, 42, 0 },
	{ NAT_NET, GW_MAC, 43, 0 },
};

/* Empty the fdb and every map the nat fixtures fill; -1 and errno if not. */
static int nat_maps_clear(void)
{
	return map_clear(fd_fdb, sizeof(struct xv_fdb_key)) ||
	       nat_ports_clear() ||
	       map_clear(fd_nat_fwd, sizeof(struct xv_nat_fwd_key)) ||
	       map_clear(fd_nat_flow, sizeof(struct xv_nat_flow_key)) ||
	       map_clear(fd_nat_frag, sizeof(struct xv_nat_frag_key)) ||
	       map_clear(fd_neigh, sizeof(struct xv_neigh_key)) ? -1 : 0;
}

static int nat_reset(const struct nat_fx *fx)
{
	struct xv_net n = nat_net_def(fx->net_flags);
	__u64 now = now_coarse();
	__u32 key = NAT_NET;
	size_t i;
	int err;

	if (nat_maps_clear())
		return -errno;
	if (bpf_map_update_elem(fd_net, &key, &n, BPF_ANY))
		return -errno;
	for (i = 0; i < sizeof(nat_fdb_base) / sizeof(nat_fdb_base[0]); i++) {
		const struct fdb_ent *e = &nat_fdb_base[i];
		bool gone = false;
		size_t j;

		for (j = 0; j < 2; j++)
			if (fx->fdb[j].mac && !fx->fdb[j].ifindex &&
			    !memcmp(fx->fdb[j].mac, e->mac, 6))
				gone = true;
		if (!gone && fdb_write(e, now - FRESH_AGE_NS))
			return -errno;
	}
	for (i = 0; i < 2; i++)
		if (fx->fdb[i].mac && fx->fdb[i].ifindex &&
		    fdb_write(&fx->fdb[i], now - FRESH_AGE_NS))
			return -errno;
	if ((fx->neigh_del != VM1_IP &&
	     (err = neigh_write(VM1_IP, M_V1, now - FRESH_AGE_NS))) ||
	    (fx->neigh_del != VM2_IP &&
	     (err = neigh_write(VM2_IP, M_V2, now - FRESH_AGE_NS))))
		return err;
	for (i = 0; i < 3 && fx->map[i].in_addr; i++)
		if ((err = nat_map_write(&fx->map[i])))
			return err;
	for (i = 0; i < 2 && fx->flow[i].in_addr; i++)
		if ((err = nat_flow_write(&fx->flow[i], now)))
			return err;
	return 0;
}

/* Every entry of a map, key and value, sorted: to compare before/after. */
struct snap {
	__u8 *buf;
	size_t n, esz;
};

static size_t snap_esz;

static int snap_cmp(const void *a, const void *b)
{
	return memcmp(a, b, snap_esz);
}

static int snap_take(int fd, size_t ksz, size_t vsz, struct snap *s)
{
	__u8 key[64], next[64];
	void *prev = NULL;
	__u8 *nb;

	s->buf = NULL;
	s->n = 0;
	s->esz = ksz + vsz;
	while (!bpf_map_get_next_key(fd, prev, next)) {
		nb = realloc(s->buf, (s->n + 1) * s->esz);
		if (!nb)
			return -ENOMEM;
		s->buf = nb;
		memcpy(s->buf + s->n * s->esz, next, ksz);
		if (!bpf_map_lookup_elem(fd, next, s->buf + s->n * s->esz + ksz))
			s->n++;
		memcpy(key, next, ksz);
		prev = key;
	}
	snap_esz = s->esz;
	if (s->n)
		qsort(s->buf, s->n, s->esz, snap_cmp);
	return 0;
}

/* The xv_nat_port words in use (index, word), read in one batch. */
static int snap_take_ports(struct snap *s)
{
	static __u32 keys[XV_NAT_PORTS];
	static struct xv_nat_port vals[XV_NAT_PORTS];
	__u32 n = XV_NAT_PORTS, batch;
	size_t esz = sizeof(__u32) + sizeof(struct xv_nat_port);

	s->n = 0;
	s->esz = esz;
	s->buf = NULL;
	if (bpf_map_lookup_batch(fd_nat_port, NULL, &batch, keys, vals, &n,
				 NULL) && errno != ENOENT)
		return -errno;
	for (__u32 i = 0; i < n; i++) {
		__u8 *nb;

		if (!memcmp(&vals[i], &(struct xv_nat_port){}, sizeof(vals[i])))
			continue;
		nb = realloc(s->buf, (s->n + 1) * esz);
		if (!nb)
			return -ENOMEM;
		s->buf = nb;
		memcpy(s->buf + s->n * esz, &keys[i], sizeof(__u32));
		memcpy(s->buf + s->n * esz + sizeof(__u32), &vals[i],
		       sizeof(vals[i]));
		s->n++;
	}
	return 0;
}

struct nat_snap {
	struct snap m[4];
};

static const char *const snap_names[4] = {
	"xv_nat_port", "xv_nat_fwd", "xv_nat_flow", "xv_nat_frag",
};

static void nat_snap_take(struct nat_snap *s)
{
	snap_take_ports(&s->m[0]);
	snap_take(fd_nat_fwd, sizeof(struct xv_nat_fwd_key),
		  sizeof(struct xv_nat_fwd), &s->m[1]);
	snap_take(fd_nat_flow, sizeof(struct xv_nat_flow_key),
		  sizeof(struct xv_nat_flow), &s->m[2]);
	snap_take(fd_nat_frag, sizeof(struct xv_nat_frag_key),
		  sizeof(struct xv_nat_frag), &s->m[3]);
}

static void nat_snap_free(struct nat_snap *s)
{
	int i;

	for (i = 0; i < 4; i++)
		free(s->m[i].buf);
}

static void nat_snap_check(const struct nat_snap *a, const struct nat_snap *b,
			   struct result *r)
{
	int i;

	for (i = 0; i < 4; i++)
		if (a->m[i].n != b->m[i].n ||
		    (a->m[i].n && memcmp(a->m[i].buf, b->m[i].buf,
					 a->m[i].n * a->m[i].esz)))
			fail(r, "%s: expected unchanged (%zu entries) got %zu entries%s",
			     snap_names[i], a->m[i].n, b->m[i].n,
			     a->m[i].n == b->m[i].n ? ", changed" : "");
}

static void ip_str(__u32 a, char *buf)
{
	sprintf(buf, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255,
		a & 255);
}

static void want_map_check(const struct nat_mwant *w, __u16 got_port,
			   struct result *r)
{
	__u16 port = w->out_port == PORT_OUT ? got_port : w->out_port;
	struct xv_nat_fwd_key fk = { .addr = htonl(w->in_addr),
				     .port = htons(w->in_port),
				     .proto = w->proto,
				     .dir = XV_NAT_FWD_OUT };
	struct xv_nat_port m = {}, mine = {
		.inside_addr = htonl(w->in_addr),
		.inside_port = htons(w->in_port), .net = NAT_NET,
		.mark = NAT_EPOCH,
	};
	struct xv_nat_fwd f;
	__u32 key;
	char a[16];

	ip_str(w->in_addr, a);
	if (w->tmo == TMO_STATIC) {
		key = port_index(w->proto, port);
		if (bpf_map_lookup_elem(fd_nat_port, &key, &m) ||
		    m.mark != XV_NAT_MARK_STATIC || m.inside_addr)
			fail(r, "forward %s:%u/%u: expected port %u reserved got mark %u",
			     a, w->in_port, w->proto, port, m.mark);
		if (bpf_map_lookup_elem(fd_nat_fwd, &fk, &f) ||
		    f.addr != htonl(OUT_IP) || ntohs(f.port) != port)
			fail(r, "forward %s:%u/%u: expected its xv_nat_fwd entry",
			     a, w->in_port, w->proto);
		return;
	}
	/* Which words name the endpoint: exactly the one expected, or none. */
	for (__u32 p = NAT_LO; p <= NAT_HI + 1; p++) {
		__u16 at = p <= NAT_HI ? p : w->in_port;

		key = port_index(w->proto, at);
		if (bpf_map_lookup_elem(fd_nat_port, &key, &m) ||
		    m.inside_addr != mine.inside_addr ||
		    m.inside_port != mine.inside_port)
			continue;
		if (at != port)
			fail(r, "mapping %s:%u/%u: expected %s%u got outside port %u",
			     a, w->in_port, w->proto,
			     port ? "outside port " : "none", port, at);
		else if (memcmp(&m, &mine, sizeof(m)))
			fail(r, "mapping %s:%u/%u -> %u: expected net %u mark %u got net %u mark %u",
			     a, w->in_port, w->proto, port, NAT_NET,
			     NAT_EPOCH, m.net, m.mark);
		return;
	}
	if (port)
		fail(r, "mapping %s:%u/%u: expected outside port %u got none",
		     a, w->in_port, w->proto, port);
}

static void want_flow_check(const struct nat_fwant *w, __u16 got_port,
			    __u64 t0, __u64 t1, struct result *r)
{
	__u16 port = w->out_port == PORT_OUT ? got_port : w->out_port;
	struct xv_nat_flow_key k = flow_key(w->in_addr, w->in_port, w->remote,
					    w->rport, w->proto);
	static const char *const st[] = { "new", "established", "closing" };
	struct xv_nat_flow f;
	char a[16];
	int want_state = w->st - FL_NEW;

	ip_str(w->remote, a);
	if (bpf_map_lookup_elem(fd_nat_flow, &k, &f)) {
		if (w->st != FL_ABSENT)
			fail(r, "flow 203.0.113.2:%u - %s:%u/%u: expected one got none",
			     port, a, w->rport, w->proto);
		return;
	}
	if (w->st == FL_ABSENT) {
		fail(r, "flow 203.0.113.2:%u - %s:%u/%u: expected none got one",
		     port, a, w->rport, w->proto);
		return;
	}
	if (f.outside_port != htons(port))
		fail(r, "flow 203.0.113.2:%u - %s:%u/%u: expected of inside %#x:%u, outside port %u got %u",
		     port, a, w->rport, w->proto, w->in_addr, w->in_port,
		     port, ntohs(f.outside_port));
	if (w->st != FL_ANY && f.state != want_state)
		fail(r, "flow 203.0.113.2:%u - %s:%u/%u: expected state %s got %u",
		     port, a, w->rport, w->proto, st[want_state], f.state);
	if (w->touched && (f.seen_ns < t0 || f.seen_ns > t1))
		fail(r, "flow 203.0.113.2:%u - %s:%u/%u: expected seen_ns in [%llu, %llu] got %llu",
		     port, a, w->rport, w->proto, (unsigned long long)t0,
		     (unsigned long long)t1, (unsigned long long)f.seen_ns);
}

static void want_frag_check(const struct nat_frwant *w, struct result *r)
{
	struct xv_nat_frag_key k = { .remote = htonl(w->remote),
				     .id = htons(w->ipid), .proto = w->proto };
	struct xv_nat_frag v;

	if (bpf_map_lookup_elem(fd_nat_frag, &k, &v))
		fail(r, "fragment record (%#x, id %#x): expected one got none",
		     w->remote, w->ipid);
	else if (v.inside_addr != htonl(w->in_addr) || v.net != NAT_NET)
		fail(r, "fragment record (%#x, id %#x): expected -> %#x net %u got -> %#x net %u",
		     w->remote, w->ipid, w->in_addr, NAT_NET,
		     ntohl(v.inside_addr), v.net);
}

/* ------------------------------------------------------------------------ */
/* Running. */

static int nat_test_run(enum run_kind kind, __u32 ifindex,
			const struct frame *f, struct frame *out, int *ret,
			__u32 *mark)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .repeat = 1);
	struct __sk_buff skb = {};
	struct xdp_md xdp = {};
	int prog_fd, err;

	memset(out, 0, sizeof(*out));
	opts.data_in = f->b;
	opts.data_size_in = f->len;
	opts.data_out = out->b;
	opts.data_size_out = sizeof(out->b);
	if (kind == RUN_XDP) {
		xdp.data_end = f->len;
		xdp.ingress_ifindex = ifindex;
		opts.ctx_in = &xdp;
		opts.ctx_size_in = sizeof(xdp);
		prog_fd = bpf_program__fd(skel->progs.xv_xdp_port);
	} else {
		skb.ifindex = ifindex;
		skb.mark = *mark;
		opts.ctx_in = &skb;
		opts.ctx_size_in = sizeof(skb);
		opts.ctx_out = &skb;
		opts.ctx_size_out = sizeof(skb);
		prog_fd = bpf_program__fd(skel->progs.xv_tc_ingress);
	}
	err = bpf_prog_test_run_opts(prog_fd, &opts);
	if (err)
		return -errno;
	out->len = opts.data_size_out;
	*ret = opts.retval;
	*mark = skb.mark;
	return 0;
}

/* Where the run put the translated source port (or echo id). */
static int out_port_of(const struct frame *out, __u8 proto, __u16 *port)
{
	size_t l4;

	if (out->len < ETH_HLEN + 20)
		return -1;
	l4 = ETH_HLEN + (out->b[ETH_HLEN] & 15) * 4;
	if (proto == IPPROTO_ICMP)
		l4 += 4;
	if (out->len < l4 + 2)
		return -1;
	*port = get16(out->b + l4);
	return 0;
}

static void nat_run_once(const struct nat_fx *fx, enum run_kind kind,
			 struct result *rp)
{
	struct xv_stats before[NSTAT_NETS], after[NSTAT_NETS];
	struct nat_snap s0 = {}, s1 = {};
	struct result r = *rp;
	struct frame f, out, want;
	struct npkt in = fx->in;
	__u16 got_port = 0;
	__u64 t0, t1;
	__u32 mark = 0;
	int ret, err, i, n, want_ret;
	bool fast = kind == RUN_XDP && fx->xdp_ret == XDP_REDIRECT;
	bool xlated = fx->out.on && (kind == RUN_TC || fast);
	bool kept = kind == RUN_XDP ? !fast : !fx->out.on && !fx->tc_state;

	if (fx->zero_csum) {
		struct npkt e = in;

		e.saddr = fx->out.saddr ? fx->out.saddr : e.saddr;
		e.sport = fx->out.sport ? fx->out.sport : e.sport;
		in.has_tweak = true;
		in.tweak = zero_csum_tweak(&e);
	}
	npkt_frame(&f, &in);
	err = nat_reset(fx);
	if (err) {
		fail(rp, "cannot prepare the maps: %s", strerror(-err));
		return;
	}
	for (i = 0; i < 2 && fx->pre[i].p; i++) {
		for (n = 0; n < fx->pre[i].n; n++) {
			struct npkt p = *fx->pre[i].p;
			struct frame pf, po;
			int pret;

			p.sport += n;
			npkt_frame(&pf, &p);
			mark = 0;
			err = nat_test_run(RUN_TC, fx->pre[i].ifindex, &pf, &po,
					   &pret, &mark);
			if (err)
				fail(&r, "prelude %d.%d: BPF_PROG_TEST_RUN: %s",
				     i, n, strerror(-err));
			else if (pret != fx->pre[i].ret)
				fail(&r, "prelude %d.%d: expected %s got %s", i,
				     n, tc_name(fx->pre[i].ret), tc_name(pret));
		}
	}
	if (kept)
		nat_snap_take(&s0);
	if (stats_read(before))
		fail(&r, "stats: cannot read: %s", strerror(errno));
	frames_drain(pkt_fd, NDEVS);

	t0 = now_coarse();
	mark = fx->mark_in;
	err = nat_test_run(kind, fx->ifindex, &f, &out, &ret, &mark);
	t1 = now_coarse();
	if (err) {
		fail(&r, "BPF_PROG_TEST_RUN: %s", strerror(-err));
		goto out;
	}

	if (kind == RUN_XDP) {
		want_ret = fx->xdp_ret;
		if (ret != want_ret)
			fail(&r, "verdict: expected %s got %s",
			     xdp_name(want_ret), xdp_name(ret));
	} else {
		want_ret = fx->tc_ret;
		if (ret != want_ret)
			fail(&r, "verdict: expected %s got %s",
			     tc_name(want_ret), tc_name(ret));
		if (mark != fx->mark_out)
			fail(&r, "mark: expected %#x got %#x", fx->mark_out,
			     mark);
	}

	if (xlated) {
		if (fx->out.sport == PORT_OUT) {
			if (out_port_of(&out, in.proto, &got_port))
				fail(&r, "frame: too short for a port");
			else if (got_port < NAT_LO || got_port > NAT_HI ||
				 got_port == fx->not_port)
				fail(&r, "outside port: expected in %u-%u%s got %u",
				     NAT_LO, NAT_HI,
				     fx->not_port ? " but not the taken one" : "",
				     got_port);
		}
		nat_expected(fx, &in, got_port, fast, &want);
		verify_ip4(out.b + ETH_HLEN, out.len - ETH_HLEN, "", &r);
		frame_compare(&want, out.b, out.len, "translated", &r);
	} else if (ret != (kind == RUN_XDP ? XDP_DROP : TC_ACT_SHOT) ||
		   ret != want_ret) {
		/* (what a dropped frame looked like does not matter) */
		frame_compare(&f, out.b, out.len, "unchanged", &r);
	}
	if (r.failed && out.len) {
		fprintf(stderr, "note unit: %s [%s]: frames\n", fx->what,
			kind_label[kind]);
		hexdump("in", f.b, f.len);
		if (xlated)
			hexdump("expected", want.b, want.len);
		hexdump("got", out.b, out.len);
	}

	clones_check(&f, kind == RUN_XDP ? 0 : fx->clones, &r);
	if (stats_read(after))
		fail(&r, "stats: cannot read: %s", strerror(errno));
	else
		stats_check(before, after, NAT_NET,
			    kind == RUN_XDP ? &fx->xdp_s : &fx->tc_s, f.len,
			    &r);
	if (kind == RUN_TC || fast) {
		for (i = 0; i < 3 && fx->want_map[i].in_addr; i++)
			want_map_check(&fx->want_map[i], got_port, &r);
		for (i = 0; i < 3 && fx->want_flow[i].st; i++)
			want_flow_check(&fx->want_flow[i], got_port, t0, t1,
					&r);
		if (fx->want_frag.in_addr)
			want_frag_check(&fx->want_frag, &r);
	}
	if (kept) {
		nat_snap_take(&s1);
		nat_snap_check(&s0, &s1, &r);
	}

out:
	*rp = r;
	nat_snap_free(&s0);
	nat_snap_free(&s1);
}

/* One result line; a repeated fixture fails at its first failing run. */
static void nat_run(const struct nat_fx *fx, enum run_kind kind)
{
	int n = fx->repeat ? fx->repeat : 1, i;
	struct result r = {};

	for (i = 0; i < n && !r.failed; i++)
		nat_run_once(fx, kind, &r);
	if (!r.failed)
		printf("PASS unit: %s [%s]\n", fx->what, kind_label[kind]);
	else if (n > 1)
		printf("FAIL unit: %s [%s]: run %d of %d: %s\n", fx->what,
		       kind_label[kind], i, n, r.msg);
	else
		printf("FAIL unit: %s [%s]: %s\n", fx->what, kind_label[kind],
		       r.msg);
}



/* ------------------------------------------------------------------------ */
/* The namespace's host side of network 3. */

static int nl_link_mac(__u32 ifindex, const __u8 *mac)
{
	char buf[512] = {};
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifm;

	nlh->nlmsg_type = RTM_NEWLINK;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = ifindex;
	mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
	return xv_nl_change(nlh);
}

static int nl_addr4(__u32 ifindex, __u32 addr, int prefix)
{
	char buf[512] = {};
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;
	__be32 a = htonl(addr);

	nlh->nlmsg_type = RTM_NEWADDR;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = prefix;
	ifa->ifa_index = ifindex;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	mnl_attr_put_u32(nlh, IFA_LOCAL, a);
	mnl_attr_put_u32(nlh, IFA_ADDRESS, a);
	return xv_nl_change(nlh);
}

static int nat_setup(void)
{
	static const struct {
		__u32 ifindex, net, flags;
		bool tx;
	} ports[] = {
		{ 40, 0, XV_PORT_NAT_UPLINK | XV_PORT_XDP_TARGET, true },
		{ 41, NAT_NET, XV_PORT_VM | XV_PORT_XDP_TARGET, true },
		{ 42, NAT_NET, XV_PORT_VM | XV_PORT_XDP_TARGET, true },
		{ 43, NAT_NET, XV_PORT_ADAPTER | XV_PORT_XDP_TARGET, true },
	};
	struct xv_cfg cfg = {
		.ageing_ns = AGEING_NS, .udp_ns = T_UDP,
		.tcp_est_ns = T_TCP_EST, .tcp_trans_ns = T_TCP_TRANS,
		.icmp_ns = T_ICMP,
	};
	struct xv_net n = nat_net_def(0);
	struct xv_gc gc = { .salt = 0x5eed, .epoch = NAT_EPOCH };
	__u32 key = 0;
	size_t i;
	int err;

	fd_nat_port = bpf_map__fd(skel->maps.xv_nat_port);
	fd_nat_fwd = bpf_map__fd(skel->maps.xv_nat_fwd);
	fd_gc = bpf_map__fd(skel->maps.xv_gc);
	fd_nat_flow = bpf_map__fd(skel->maps.xv_nat_flow);
	fd_nat_frag = bpf_map__fd(skel->maps.xv_nat_frag);
	fd_neigh = bpf_map__fd(skel->maps.xv_neigh);
	if (bpf_map__key_size(skel->maps.xv_nat_frag) !=
	    sizeof(struct xv_nat_frag_key) ||
	    bpf_map__value_size(skel->maps.xv_nat_frag) !=
	    sizeof(struct xv_nat_frag))
		return setup_fail("nat: xv_nat_frag layout", EINVAL);

	if ((err = nl_link_mac(143, GW_MAC)))
		return setup_fail("nat: gateway MAC on xvu143", err);
	if ((err = nl_link_mac(40, UPL_MAC)))
		return setup_fail("nat: MAC of xvu40", err);
	if ((err = nl_addr4(143, GW_IP, 24)))
		return setup_fail("nat: 192.168.100.1/24 on xvu143", err);
	if ((err = nl_addr4(40, OUT_IP, 24)))
		return setup_fail("nat: 203.0.113.2/24 on xvu40", err);
	if ((err = nl_addr4(44, LOC_IP, 24)))
		return setup_fail("nat: 198.18.0.1/24 on xvu44", err);
	if ((err = xvt_nl_neigh(40, RTR_IP, RTR_MAC)))
		return setup_fail("nat: neighbour 203.0.113.1", err);
	if ((err = xvt_nl_default_route(40, RTR_IP)))
		return setup_fail("nat: default route", err);
	if ((err = xvt_sysctl("/proc/sys/net/ipv4/conf/xvu143/forwarding", "1")))
		return setup_fail("nat: forwarding on xvu143", err);

	if (bpf_map_update_elem(fd_cfg, &key, &cfg, BPF_ANY))
		return setup_fail("nat: xv_cfg", errno);
	/* The collector does not run here: its epoch stays NAT_EPOCH. */
	if (bpf_map_update_elem(fd_gc, &key, &gc, BPF_ANY))
		return setup_fail("nat: xv_gc", errno);
	key = NAT_NET;
	if (bpf_map_update_elem(fd_net, &key, &n, BPF_ANY))
		return setup_fail("nat: xv_net", errno);
	for (i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		struct xv_port p = { .net = ports[i].net,
				     .flags = ports[i].flags };
		struct bpf_devmap_val tx = { .ifindex = ports[i].ifindex };

		snprintf(p.name, sizeof(p.name), "xvu%u", ports[i].ifindex);
		if (ports[i].flags & XV_PORT_NAT_UPLINK)
			p.addr = htonl(OUT_IP);
		if (port_put(ports[i].ifindex, &p))
			return setup_fail("nat: xv_port", errno);
		if (ports[i].tx && bpf_map_update_elem(fd_tx, &ports[i].ifindex,
						       &tx, BPF_ANY))
			return setup_fail("nat: xv_tx", errno);
	}
	return 0;
}

static int nat_main(void)
{
	size_t i;
	int ret = nat_setup();

	if (ret)
		return ret;
	for (i = 0; i < sizeof(nat_fixtures) / sizeof(nat_fixtures[0]); i++) {
		nat_run(&nat_fixtures[i], RUN_XDP);
		nat_run(&nat_fixtures[i], RUN_TC);
	}
	return 0;
}
