// SPDX-License-Identifier: GPL-2.0
/*
 * Guard fixtures, included by unit_test.c after hostonly_fixtures.c (this
 * file reuses the frames, checks and state helpers of all three): what a
 * VM port may send (bpf/lib/guard.h) — its source MACs (spoofcheck, a
 * locked MAC, max_macs), its IPv4 and ARP sender addresses, DHCP server
 * messages, and its floods a second (flood_pps) — and that uplinks and host
 * adapters are never held to any of it.
 *
 * The networks are those the other fixture files set up:
 *
 *   network 1, bridge: uplink 10, VMs 11 (csum-verify, XDP target),
 *     12 (csum-verify), 13 (csum-verify, XDP target), 14 (XDP target flag,
 *     not in xv_tx); FDB base M_B on 12, M_C on 13, M_D on 14, M_L on 10
 *   network 3, nat: 192.168.100.0/24, gateway .1 (GW_MAC); VMs 41 (M_V1,
 *     .10) and 42 (M_V2, .11), adapter 43; all XDP targets
 *   network 4, hostonly: 192.168.56.0/24, gateway .1 (HGW_MAC); VMs 51
 *     (HV1, .10, csum-verify) and 52 (HV2, .11), adapter 53
 *
 * A fixture gives some ports guard settings in their xv_port entries (the
 * fields and flags the loader writes for VM ports, or, to show that only
 * VM ports are guarded, the same on an uplink or an adapter) and xv_lock
 * entries, then runs a sequence of frames, each with its expected verdict,
 * copies (tc), counter deltas of every network, FDB entries and guard state
 * (xv_guard: the rescan throttle full_ns, the flood window). Before a
 * frame, a step may change what time has done: age an FDB entry out, move
 * the port's rescan or flood window into the past. The whole sequence runs
 * once through XDP and once through tc ingress, each from the same state.
 *
 * Start state: the FDB bases of networks 1, 3 and 4; no xv_guard entries.
 * A guarded VM port holds its base MACs in its xv_guard slots, as if it had
 * learned them through the guard, unless the fixture makes it "silent" (a
 * VM that has not spoken yet: no FDB entry, no slot).
 *
 * The flood limit is tc's alone: XDP hands every flood to tc. Its fixtures
 * run through XDP too, to show that XDP passes them all and counts none.
 *
 * One result line per fixture and kind; a failing step stops the sequence
 * and names itself.
 */

/* Sources only the guard fixtures use. */
static const __u8 G1[6] = { 0x02, 0, 0, 0, 0x05, 0x01 };
static const __u8 G2[6] = { 0x02, 0, 0, 0, 0x05, 0x02 };
static const __u8 G3[6] = { 0x02, 0, 0, 0, 0x05, 0x03 };
static const __u8 G4[6] = { 0x02, 0, 0, 0, 0x05, 0x04 };
static const __u8 G5[6] = { 0x02, 0, 0, 0, 0x05, 0x05 };
static const __u8 G6[6] = { 0x02, 0, 0, 0, 0x05, 0x06 };
static const __u8 GL[6] = { 0x02, 0, 0, 0, 0x05, 0x1c };	/* locked */

#define VM1_ALT_IP	IP4A(192, 168, 100, 20)	/* free, nat subnet */
#define NAT_BCAST_IP	IP4A(192, 168, 100, 255)
#define HV_ALT_IP	IP4A(192, 168, 56, 20)
#define LAN_IP		IP4A(198, 18, 0, 9)	/* bridged: any */
#define LAN_IP2		IP4A(198, 18, 0, 10)
#define ALL_ONES	0xffffffffu

/* A port's guard settings (added to its base xv_port entry). */
struct g_port {
	__u32 ifindex;
	__u32 flags;		/* XV_PORT_SPOOFCHECK, XV_PORT_LOCK_MAC */
	__u16 max_macs;
	__u32 flood_pps;
	const __u8 *lock_mac;
	__u32 lock_addr;	/* host order */
	bool silent;		/* no FDB entry, no slot: not heard yet */
};

struct g_lock {
	__u32 net, addr, ifindex;	/* addr in host order */
};

/* What time has done before a frame. */
enum {
	CK_RESCAN_DUE = 1,	/* full_ns: a rescan interval ago and more */
	CK_RESCAN_NOT_DUE,	/* full_ns: now, a refusal just happened */
	CK_NEW_WINDOW,		/* flood_win_ns: two seconds ago */
};

struct g_clock {
	__u32 ifindex;
	__u8 what;		/* CK_* */
};

/* xv_guard of a port after a frame. */
enum {
	GF_ANY,
	GF_NONE,		/* no entry at all */
	GF_CLEAR,		/* full_ns 0: not throttled */
	GF_SET,			/* full_ns written by this frame */
	GF_KEPT,		/* full_ns as before this frame (non-zero) */
};

#define FLOODS(n)	((n) + 1)

struct g_gwant {
	__u32 ifindex;
	__u8 full;		/* GF_* */
	__u8 floods;		/* FLOODS(n): flood_count; 0: not checked */
	bool new_window;	/* flood_win_ns written by this frame */
	bool tc_only;		/* checked after tc runs only */
};

struct g_step {
	const char *what;
	__u32 ifindex;
	struct npkt in;
	__u8 tags;		/* VLAN tags (VID 0) before the payload */
	const __u8 *sha;	/* ARP sender MAC if not the frame's source */
	/* Before the frame. */
	struct fdb_ent fdb;	/* written (P_FRESH, P_AGED); port 0: gone */
	struct g_clock clock;
	/* After it. */
	int xdp_ret, tc_ret;
	__u32 mark_out;		/* tc: skb->mark after */
	__u64 clones;		/* tc: HOUT()/HIN() bits */
	struct xv_stats xdp_s, tc_s;	/* deltas of the port's network */
	struct fdb_ent post[3];
	struct g_gwant g[2];
	struct {
		__u32 addr;	/* nat network, host order */
		const __u8 *mac;
	} neigh;		/* xv_neigh entry expected */
};

struct g_fx {
	const char *what;
	unsigned int kinds;	/* K_XDP, K_TC; 0: both */
	struct g_port ports[3];
	struct g_lock locks[2];
	const struct g_step *steps;	/* ended by one with ifindex 0 */
};

/* Ports as the loader sets VM ports up (flood_pps, max_macs defaults). */
#define SPOOF		XV_PORT_SPOOFCHECK
#define LOCK_MAC	XV_PORT_LOCK_MAC
#define GP(i, f, m, n)	.ifindex = i, .flags = f, .max_macs = m, \
			.flood_pps = n
#define GP_SPOOF(i)	{ GP(i, SPOOF, 64, 10000) }
#define GP_SILENT(i)	{ GP(i, SPOOF, 64, 10000), .silent = true }
#define GP_LOCK(i, m, a) { GP(i, SPOOF | LOCK_MAC, 64, 10000), \
			  .lock_mac = m, .lock_addr = a }
#define GP_MACS(i, n)	{ GP(i, 0, n, 10000) }
#define GP_FLOOD(i, n)	{ GP(i, 0, 64, n) }

/* Verdicts and counters (in the port's network) per kind. */
#define G_FWD(...)	.xdp_ret = XDP_REDIRECT, .tc_ret = TC_ACT_REDIRECT, \
			.xdp_s = { RX, .fwd_xdp = 1, __VA_ARGS__ }, \
			.tc_s = { RX, .fwd_tc = 1, __VA_ARGS__ }
#define G_DROP(r)	.xdp_ret = XDP_DROP, .tc_ret = TC_ACT_SHOT, \
			.xdp_s = { RX, DROP(r) }, .tc_s = { RX, DROP(r) }
/* Flood in a nat or hostonly network: the adapter gets its copy. */
#define G_FLOOD(c, ...)	.xdp_ret = XDP_PASS, .tc_ret = TC_ACT_SHOT, \
			.clones = (c), \
			.xdp_s = { .xdp_pass = 1, __VA_ARGS__ }, \
			.tc_s = { RX, .flood = 1, __VA_ARGS__ }
/* Flood from a VM of network 1: the LAN and the host get copies. */
#define G_BFLOOD(d, ...) .xdp_ret = XDP_PASS, .tc_ret = TC_ACT_SHOT, \
			.clones = BR_FLOOD(d), \
			.xdp_s = { .xdp_pass = 1, __VA_ARGS__ }, \
			.tc_s = { RX, .flood = 1, .to_host = 1, __VA_ARGS__ }
/* Flood from the uplink of network 1: the VMs get copies, the host it. */
#define G_UPFLOOD(...)	.xdp_ret = XDP_PASS, .tc_ret = TC_ACT_OK, \
			.clones = BR_VMS, \
			.xdp_s = { .xdp_pass = 1, __VA_ARGS__ }, \
			.tc_s = { RX, .flood = 1, __VA_ARGS__ }
#define G_FLOOD_LIMITED	.xdp_ret = XDP_PASS, .tc_ret = TC_ACT_SHOT, \
			.xdp_s = { .xdp_pass = 1 }, \
			.tc_s = { RX, DROP(FLOOD_LIMIT) }

#define BR_VMS		(HOUT(D11) | HOUT(D12) | HOUT(D13) | HOUT(D14))
#define BR_FLOOD(d)	(((HOUT(D10) | BR_VMS) & ~HOUT(d)) | HIN(D10))
#define NAT_FLOOD(d)	((HOUT(D41) | HOUT(D42) | HOUT(D43)) & ~HOUT(d))

/* Frames (addresses in host order). */
#define GDHCP(d, s, sa, da, sp, dp) .dst = d, .src = s, .saddr = sa, \
				.daddr = da, .proto = IPPROTO_UDP, \
				.sport = sp, .dport = dp, .payload = 240
/* From VM1 (41) to VM2 (42), unicast: what the bridge forwards. */
#define V1_UDP(s, sa)	{ HUDP(M_V2, s, sa, VM2_IP) }
#define V1_ARP(d, sa, da) { HARP(d, M_V1, sa, da) }
/* From hostonly VM2 (52) to VM1 (51). */
#define H2_UDP(s, sa)	{ HUDP(HV1, s, sa, HV1_IP) }
/* From bridged VM 11 to M_C (13): ARP, which no checksum rule holds up. */
#define B11_ARP(s)	{ HARP(M_C, s, LAN_IP, LAN_IP2) }

#define FRESH_ON(net, mac, port)	{ net, mac, port, A_NEW }
#define STILL_ON(net, mac, port)	{ net, mac, port, A_ANY }
#define ABSENT(net, mac)		{ net, mac, 0, 0 }
#define AGED(net, mac, port)		{ net, mac, port, P_AGED }

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"

/* First steps shared by several fixtures. */
#define STEP_V1_FIRST							\
	{ "first MAC", 41, V1_UDP(M_V1, VM1_IP), G_FWD(LEARN),		\
	  .post = { FRESH_ON(NAT_NET, M_V1, 41) },			\
	  .g = { { 41, GF_CLEAR } } }
#define STEP_V1_SECOND_REFUSED						\
	{ "second MAC", 41, V1_UDP(G1, VM1_IP), G_DROP(SPOOF_MAC),	\
	  .post = { ABSENT(NAT_NET, G1), STILL_ON(NAT_NET, M_V1, 41) },	\
	  .g = { { 41, GF_SET } } }
/* Port 11 of network 1 fills its three slots. */
#define STEPS_FILL_11							\
	{ "1st MAC", 11, B11_ARP(G1), G_FWD(LEARN),			\
	  .post = { FRESH_ON(1, G1, 11) }, .g = { { 11, GF_CLEAR } } },	\
	{ "2nd MAC", 11, B11_ARP(G2), G_FWD(LEARN),			\
	  .post = { FRESH_ON(1, G2, 11) }, .g = { { 11, GF_CLEAR } } },	\
	{ "3rd MAC", 11, B11_ARP(G3), G_FWD(LEARN),			\
	  .post = { FRESH_ON(1, G3, 11) }, .g = { { 11, GF_CLEAR } } }
#define STEP_11_REFUSED(m)						\
	{ "one MAC too many", 11, B11_ARP(m), G_DROP(MAC_LIMIT),	\
	  .post = { ABSENT(1, m), STILL_ON(1, G1, 11) },		\
	  .g = { { 11, GF_SET } } }
/* Broadcasts from 11 with flood_pps = 3: three flooded, then refused. */
#define B11_BCAST	{ HARP(BCAST, M_A, LAN_IP, LAN_IP2) }
#define STEPS_FLOOD3_11							\
	{ "1st flood", 11, B11_BCAST, G_BFLOOD(D11, LEARN),		\
	  .g = { { 11, .floods = FLOODS(1), .new_window = true,	\
		   .tc_only = true } } },				\
	{ "2nd flood", 11, B11_BCAST, G_BFLOOD(D11),			\
	  .g = { { 11, .floods = FLOODS(2), .tc_only = true } } },	\
	{ "3rd flood", 11, B11_BCAST, G_BFLOOD(D11),			\
	  .g = { { 11, .floods = FLOODS(3), .tc_only = true } } },	\
	{ "4th flood", 11, B11_BCAST, G_FLOOD_LIMITED,			\
	  .g = { { 11, .floods = FLOODS(3), .tc_only = true } } }

static const struct g_fx g_fixtures[] = {
	/* Source MACs with spoofcheck. */
	{ "guard spoofcheck nat: first source MAC learned, a second one spoofed-mac while the first is fresh",
	  0, { GP_SILENT(41), GP_SPOOF(42) }, .steps = (const struct g_step[]){
		STEP_V1_FIRST,
		STEP_V1_SECOND_REFUSED,
		{ "first MAC again", 41, V1_UDP(M_V1, VM1_IP), G_FWD(),
		  .g = { { 41, GF_KEPT } } },
		{ "second MAC again (throttled)", 41, V1_UDP(G1, VM1_IP),
		  G_DROP(SPOOF_MAC), .post = { ABSENT(NAT_NET, G1) },
		  .g = { { 41, GF_KEPT } } },
		{ "second MAC, broadcast", 41,
		  { HARP(BCAST, G1, VM1_IP, VM2_IP) }, G_DROP(SPOOF_MAC),
		  .post = { ABSENT(NAT_NET, G1) } },
		{} } },
	{ "guard spoofcheck nat: a second MAC is accepted once the first has aged out",
	  0, { GP_SILENT(41), GP_SPOOF(42) }, .steps = (const struct g_step[]){
		STEP_V1_FIRST,
		{ "second MAC, first aged out", 41, V1_UDP(G1, VM1_IP),
		  .fdb = AGED(NAT_NET, M_V1, 41), G_FWD(LEARN),
		  .post = { FRESH_ON(NAT_NET, G1, 41),
			    { NAT_NET, M_V1, 41, A_KEPT_AGED } },
		  .g = { { 41, GF_CLEAR } } },
		{ "the first MAC is now the foreign one", 41,
		  V1_UDP(M_V1, VM1_IP), G_DROP(SPOOF_MAC),
		  .post = { { NAT_NET, M_V1, 41, A_KEPT_AGED } },
		  .g = { { 41, GF_SET } } },
		{} } },
	{ "guard spoofcheck nat: after a refusal, an aged-out first MAC frees the port at the next rescan only",
	  0, { GP_SILENT(41), GP_SPOOF(42) }, .steps = (const struct g_step[]){
		STEP_V1_FIRST,
		STEP_V1_SECOND_REFUSED,
		{ "second MAC, first aged, rescan not due", 41,
		  V1_UDP(G1, VM1_IP), .fdb = AGED(NAT_NET, M_V1, 41),
		  .clock = { 41, CK_RESCAN_NOT_DUE }, G_DROP(SPOOF_MAC),
		  .post = { ABSENT(NAT_NET, G1) }, .g = { { 41, GF_KEPT } } },
		{ "second MAC, rescan due", 41, V1_UDP(G1, VM1_IP),
		  .clock = { 41, CK_RESCAN_DUE }, G_FWD(LEARN),
		  .post = { FRESH_ON(NAT_NET, G1, 41) },
		  .g = { { 41, GF_CLEAR } } },
		{} } },
	{ "guard spoofcheck nat: the first MAC moving to another port frees the slot",
	  0, { GP_SILENT(41), GP_SILENT(42) }, .steps = (const struct g_step[]){
		{ "first MAC on 41", 41, V1_ARP(BCAST, VM1_IP, VM2_IP),
		  G_FLOOD(NAT_FLOOD(D41), LEARN),
		  .post = { FRESH_ON(NAT_NET, M_V1, 41) } },
		{ "from 42 while live on 41: another VM's", 42,
		  { HARP(BCAST, M_V1, VM1_IP, VM1_IP) }, G_DROP(SPOOF_MAC),
		  .post = { STILL_ON(NAT_NET, M_V1, 41) } },
		{ "the VM now on 42, its entry on 41 aged", 42,
		  { HARP(BCAST, M_V1, VM1_IP, VM1_IP) },
		  .fdb = AGED(NAT_NET, M_V1, 41),
		  G_FLOOD(NAT_FLOOD(D42), LEARN),
		  .post = { FRESH_ON(NAT_NET, M_V1, 42) } },
		{ "another MAC on 41", 41, { HARP(BCAST, G1, VM2_IP, VM1_IP) },
		  G_FLOOD(NAT_FLOOD(D41), LEARN),
		  .post = { FRESH_ON(NAT_NET, G1, 41),
			    STILL_ON(NAT_NET, M_V1, 42) },
		  .g = { { 41, GF_CLEAR } } },
		{ "the first MAC back on 41", 41,
		  V1_ARP(BCAST, VM1_IP, VM2_IP), G_DROP(SPOOF_MAC),
		  .post = { STILL_ON(NAT_NET, M_V1, 42) } },
		{} } },
	{ "hijack: a silent spoofcheck VM takes the gateway's MAC", 0,
	  { GP_SILENT(52), GP_SPOOF(51) }, .steps = (const struct g_step[]){
		{ "HGW_MAC from 52", 52, { HARP(BCAST, HGW_MAC, HV2_IP, HV1_IP) },
		  G_DROP(SPOOF_MAC), .post = { { HO_NET, HGW_MAC, 53, A_KEPT_FRESH } } },
		{} } },
	{ "guard spoofcheck nat: a VM that has spoken keeps its MAC, another is spoofed-mac",
	  0, { GP_SPOOF(41), GP_SPOOF(42) }, .steps = (const struct g_step[]){
		{ "another MAC", 41, V1_UDP(G1, VM1_IP), G_DROP(SPOOF_MAC),
		  .post = { ABSENT(NAT_NET, G1),
			    { NAT_NET, M_V1, 41, A_KEPT_FRESH } } },
		{ "another VM's MAC", 41, V1_UDP(M_V2, VM1_IP),
		  .xdp_ret = XDP_DROP, .tc_ret = TC_ACT_SHOT,
		  .xdp_s = { RX, DROP(SPOOF_MAC) },
		  .tc_s = { RX, DROP(SPOOF_MAC) },
		  .post = { { NAT_NET, M_V2, 42, A_KEPT_FRESH } } },
		{ "its own MAC", 41, V1_UDP(M_V1, VM1_IP), G_FWD() },
		{} } },
	/* A dropped frame leaves no trace: not even the MAC behind an address. */
	{ "guard spoofcheck nat: a spoofed-mac frame teaches xv_neigh nothing",
	  0, { GP_SPOOF(41), GP_SPOOF(42) }, .steps = (const struct g_step[]){
		{ "own address, another MAC", 41, V1_UDP(G1, VM1_IP),
		  G_DROP(SPOOF_MAC), .neigh = { VM1_IP, M_V1 } },
		{} } },
	{ "guard spoofcheck hostonly: first MAC learned, a second one spoofed-mac, accepted after ageing",
	  0, { GP_SILENT(52), GP_SPOOF(51) }, .steps = (const struct g_step[]){
		{ "first MAC", 52, H2_UDP(HV2, HV2_IP), G_FWD(LEARN),
		  .post = { FRESH_ON(HO_NET, HV2, 52) } },
		{ "second MAC", 52, H2_UDP(G2, HV2_IP), G_DROP(SPOOF_MAC),
		  .post = { ABSENT(HO_NET, G2) }, .g = { { 52, GF_SET } } },
		{ "second MAC, first aged out, rescan due", 52,
		  H2_UDP(G2, HV2_IP), .fdb = AGED(HO_NET, HV2, 52),
		  .clock = { 52, CK_RESCAN_DUE }, G_FWD(LEARN),
		  .post = { FRESH_ON(HO_NET, G2, 52) },
		  .g = { { 52, GF_CLEAR } } },
		{ "first MAC again", 52, H2_UDP(HV2, HV2_IP),
		  G_DROP(SPOOF_MAC), .g = { { 52, GF_SET } } },
		{} } },

	/* A locked MAC (lock = PORT MAC [IPV4]). */
	{ "guard lock: only the locked MAC, from the first frame on", 0,
	  { { GP(41, SPOOF | LOCK_MAC, 64, 10000), .lock_mac = GL,
	      .silent = true } },
	  .steps = (const struct g_step[]){
		{ "the VM's usual MAC", 41, V1_UDP(M_V1, VM1_IP),
		  G_DROP(SPOOF_MAC), .post = { ABSENT(NAT_NET, M_V1) } },
		{ "the locked MAC", 41, V1_UDP(GL, VM1_IP), G_FWD(LEARN),
		  .post = { FRESH_ON(NAT_NET, GL, 41) } },
		{ "another MAC", 41, V1_UDP(G1, VM1_IP), G_DROP(SPOOF_MAC),
		  .post = { ABSENT(NAT_NET, G1) } },
		{ "the locked MAC again", 41, V1_UDP(GL, VM1_IP), G_FWD() },
		{} } },
	{ "guard lock: a fresh FDB entry of another MAC on the port does not count",
	  0, { GP_LOCK(41, GL, 0) },
	  .steps = (const struct g_step[]){
		{ "the MAC the FDB has fresh", 41, V1_UDP(M_V1, VM1_IP),
		  G_DROP(SPOOF_MAC),
		  .post = { { NAT_NET, M_V1, 41, A_KEPT_FRESH } } },
		{ "the locked MAC", 41, V1_UDP(GL, VM1_IP), G_FWD(LEARN),
		  .post = { FRESH_ON(NAT_NET, GL, 41) } },
		{} } },
	{ "guard lock: a locked MAC in a bridge network without spoofcheck", 0,
	  { { GP(11, LOCK_MAC, 64, 10000), .lock_mac = GL } },
	  .steps = (const struct g_step[]){
		{ "another MAC", 11, B11_ARP(G1), G_DROP(SPOOF_MAC),
		  .post = { ABSENT(1, G1) } },
		{ "the locked MAC", 11, B11_ARP(GL), G_FWD(LEARN),
		  .post = { FRESH_ON(1, GL, 11) } },
		{ "the locked MAC, a forged ARP sender MAC", 11, B11_ARP(GL),
		  .sha = G1, G_FWD() },
		{} } },
	{ "guard lock: a locked address in a bridge network without spoofcheck",
	  0, { { GP(11, LOCK_MAC, 64, 10000), .lock_mac = GL,
	      .lock_addr = LAN_IP } },
	  .steps = (const struct g_step[]){
		{ "another address", 11, { HUDP(M_C, GL, LAN_IP2, LAN_IP) },
		  G_DROP(SPOOF_IP), .post = { ABSENT(1, GL) } },
		{ "ARP for another address", 11,
		  { HARP(M_C, GL, LAN_IP2, LAN_IP) }, G_DROP(SPOOF_ARP) },
		{ "ARP, forged sender MAC", 11,
		  { HARP(M_C, GL, LAN_IP, LAN_IP2) }, .sha = G1,
		  G_DROP(SPOOF_ARP) },
		{ "the locked address", 11, { HUDP(M_C, GL, LAN_IP, LAN_IP2) },
		  G_FWD(LEARN), .post = { FRESH_ON(1, GL, 11) } },
		{ "a DHCP server message (no spoofcheck)", 11,
		  { GDHCP(M_C, GL, LAN_IP, LAN_IP2, 67, 68) }, G_FWD() },
		{} } },

	/* IPv4 sources in nat and hostonly networks. */
	{ "guard spoofcheck nat ipv4: its own address", 0,
	  { GP_SPOOF(41), GP_SPOOF(42) }, .steps = (const struct g_step[]){
		{ "own address", 41, V1_UDP(M_V1, VM1_IP), G_FWD() }, {} } },
	{ "guard spoofcheck nat ipv4: another free address of the subnet", 0,
	  { GP_SPOOF(41), GP_SPOOF(42) }, .steps = (const struct g_step[]){
		{ ".20", 41, V1_UDP(M_V1, VM1_ALT_IP), G_FWD() }, {} } },
	{ "guard spoofcheck nat ipv4: outside the subnet, dropped before the MAC is learned",
	  0, { GP_SILENT(41), GP_SPOOF(42) }, .steps = (const struct g_step[]){
		{ "10.9.9.9", 41, V1_UDP(M_V1, FAR_IP), G_DROP(SPOOF_IP),
		  .post = { ABSENT(NAT_NET, M_V1) }, .g = { { 41, GF_NONE } } },
		{ "the uplink's address", 41, V1_UDP(M_V1, OUT_IP),
		  G_DROP(SPOOF_IP), .post = { ABSENT(NAT_NET, M_V1) } },
		{} } },
	{ "guard spoofcheck nat ipv4: the gateway's address", 0,
	  { GP_SPOOF(41), GP_SPOOF(42) }, .steps = (const struct g_step[]){
		{ ".1", 41, V1_UDP(M_V1, GW_IP), G_DROP(SPOOF_IP) }, {} } },
	{ "guard spoofcheck nat ipv4: the network address", 0,
	  { GP_SPOOF(41), GP_SPOOF(42) }, .steps = (const struct g_step[]){
		{ ".0", 41, V1_UDP(M_V1, NAT_SUBNET), G_DROP(SPOOF_IP) },
		{} } },
	{ "guard spoofcheck nat ipv4: the broadcast address", 0,
	  { GP_SPOOF(41), GP_SPOOF(42) }, .steps = (const struct g_step[]){
		{ ".255", 41, V1_UDP(M_V1, NAT_BCAST_IP), G_DROP(SPOOF_IP) },
		{} } },
	{ "guard spoofcheck nat ipv4: ICMP echo from another network's address",
	  0, { GP_SPOOF(41), GP_SPOOF(42) }, .steps = (const struct g_step[]){
		{ "echo", 41, { HECHO(M_V2, M_V1, HV1_IP, VM2_IP) },
		  G_DROP(SPOOF_IP) }, {} } },
	{ "guard spoofcheck nat ipv4: an address locked to another port", 0,
	  { GP_SPOOF(41), GP_SPOOF(42) }, { { NAT_NET, VM2_IP, 42 } },
	  .steps = (const struct g_step[]){
		{ "VM2's address from 41", 41, V1_UDP(M_V1, VM2_IP),
		  G_DROP(SPOOF_IP) },
		{ "VM2's address from 42", 42,
		  { HUDP(M_V1, M_V2, VM2_IP, VM1_IP) }, G_FWD() },
		{} } },
	{ "guard spoofcheck nat ipv4: a port with a locked address uses it only",
	  0, { GP_LOCK(41, M_V1, VM1_IP), GP_SPOOF(42) },
	  { { NAT_NET, VM1_IP, 41 } }, .steps = (const struct g_step[]){
		{ "the locked address", 41, V1_UDP(M_V1, VM1_IP), G_FWD() },
		{ "a free address", 41, V1_UDP(M_V1, VM1_ALT_IP),
		  G_DROP(SPOOF_IP) },
		{ "ARP for a free address", 41,
		  V1_ARP(BCAST, VM1_ALT_IP, VM2_IP), G_DROP(SPOOF_ARP) },
		{ "ARP probe", 41, V1_ARP(BCAST, 0, VM1_IP),
		  G_FLOOD(NAT_FLOOD(D41)) },
		{ "DHCP discover", 41,
		  { GDHCP(BCAST, M_V1, 0, ALL_ONES, 68, 67) },
		  G_FLOOD(NAT_FLOOD(D41)) },
		{ "DHCP request from the locked address", 41,
		  { GDHCP(GW_MAC, M_V1, VM1_IP, GW_IP, 68, 67) },
		  .xdp_ret = XDP_PASS, .tc_ret = TC_ACT_REDIRECT,
		  .xdp_s = { .xdp_pass = 1 }, .tc_s = { RX, .fwd_tc = 1 } },
		{} } },
	{ "guard spoofcheck nat ipv4: 0.0.0.0 only for a DHCP client's request",
	  0, { GP_SILENT(41), GP_SPOOF(42) }, .steps = (const struct g_step[]){
		{ "UDP 68 -> 67 (discover)", 41,
		  { GDHCP(BCAST, M_V1, 0, ALL_ONES, 68, 67) },
		  G_FLOOD(NAT_FLOOD(D41), LEARN),
		  .post = { FRESH_ON(NAT_NET, M_V1, 41) } },
		{ "UDP 68 -> 53", 41,
		  { GDHCP(BCAST, M_V1, 0, ALL_ONES, 68, 53) },
		  G_DROP(SPOOF_IP) },
		{ "UDP 5000 -> 67", 41,
		  { GDHCP(BCAST, M_V1, 0, ALL_ONES, 5000, 67) },
		  G_DROP(SPOOF_IP) },
		{ "UDP unicast 5000 -> 53", 41, V1_UDP(M_V1, 0),
		  G_DROP(SPOOF_IP) },
		{ "ICMP echo", 41, { HECHO(M_V2, M_V1, 0, VM2_IP) },
		  G_DROP(SPOOF_IP) },
		{ "TCP", 41, { HTCP(M_V2, M_V1, 0, VM2_IP) },
		  G_DROP(SPOOF_IP) },
		{ "UDP 68 -> 67, a later fragment", 41,
		  { GDHCP(BCAST, M_V1, 0, ALL_ONES, 68, 67), .frag = 0x0010 },
		  G_DROP(SPOOF_IP) },
		{} } },
	{ "guard spoofcheck nat: DHCP server messages from a VM are rogue-dhcp",
	  0, { GP_SPOOF(41), GP_SPOOF(42) }, .steps = (const struct g_step[]){
		{ "offer, UDP 67 -> 68 broadcast", 41,
		  { GDHCP(BCAST, M_V1, VM1_IP, ALL_ONES, 67, 68) },
		  G_DROP(ROGUE_DHCP) },
		{ "ack, unicast to VM2", 41,
		  { GDHCP(M_V2, M_V1, VM1_IP, VM2_IP, 67, 68) },
		  G_DROP(ROGUE_DHCP) },
		{ "source port 67 to any port", 41,
		  { GDHCP(M_V2, M_V1, VM1_IP, VM2_IP, 67, 5000) },
		  G_DROP(ROGUE_DHCP) },
		{ "offer from 0.0.0.0", 41,
		  { GDHCP(BCAST, M_V1, 0, ALL_ONES, 67, 68) },
		  G_DROP(ROGUE_DHCP) },
		{ "offer from the gateway's address", 41,
		  { GDHCP(BCAST, M_V1, GW_IP, ALL_ONES, 67, 68) },
		  G_DROP(ROGUE_DHCP) },
		{} } },
	{ "guard spoofcheck hostonly ipv4: own address, outside, gateway, locked, rogue DHCP",
	  0, { GP_SPOOF(52), GP_SPOOF(51) }, { { HO_NET, HV1_IP, 51 } },
	  .steps = (const struct g_step[]){
		{ "own address", 52, H2_UDP(HV2, HV2_IP), G_FWD() },
		{ "a free address", 52, H2_UDP(HV2, HV_ALT_IP), G_FWD() },
		{ "outside the subnet", 52, H2_UDP(HV2, VM1_IP),
		  G_DROP(SPOOF_IP) },
		{ "the gateway", 52, H2_UDP(HV2, HGW_IP), G_DROP(SPOOF_IP) },
		{ "the broadcast address", 52, H2_UDP(HV2, HO_BCAST_IP),
		  G_DROP(SPOOF_IP) },
		{ "VM1's locked address", 52, H2_UDP(HV2, HV1_IP),
		  G_DROP(SPOOF_IP) },
		{ "DHCP offer", 52,
		  { GDHCP(BCAST, HV2, HV2_IP, ALL_ONES, 67, 68) },
		  G_DROP(ROGUE_DHCP) },
		{ "DHCP discover", 52,
		  { GDHCP(BCAST, HV2, 0, ALL_ONES, 68, 67) },
		  G_FLOOD(HO_FLOOD_FROM(H52)) },
		{} } },
	{ "guard spoofcheck bridge: DHCP server messages are rogue-dhcp, any address otherwise",
	  0, { GP_SPOOF(11) }, .steps = (const struct g_step[]){
		{ "first MAC, any address", 11,
		  { HUDP(M_C, M_A, LAN_IP, LAN_IP2) }, G_FWD(LEARN),
		  .post = { FRESH_ON(1, M_A, 11) } },
		{ "an address of another network", 11,
		  { HUDP(M_C, M_A, R1, LAN_IP2) }, G_FWD() },
		{ "DHCP offer", 11,
		  { GDHCP(BCAST, M_A, LAN_IP, ALL_ONES, 67, 68) },
		  G_DROP(ROGUE_DHCP) },
		{ "DHCP ack, unicast", 11,
		  { GDHCP(M_C, M_A, LAN_IP, LAN_IP2, 67, 68) },
		  G_DROP(ROGUE_DHCP) },
		{ "DHCP discover", 11,
		  { GDHCP(BCAST, M_A, 0, ALL_ONES, 68, 67) }, G_BFLOOD(D11) },
		{ "0.0.0.0, not DHCP", 11, { HUDP(M_C, M_A, 0, LAN_IP2) },
		  G_DROP(SPOOF_IP) },
		{ "a second MAC", 11, { HUDP(M_C, G1, LAN_IP, LAN_IP2) },
		  G_DROP(SPOOF_MAC) },
		{} } },
	{ "guard bridge without spoofcheck: a DHCP server in a VM is let be",
	  0, { GP_MACS(11, 64) }, .steps = (const struct g_step[]){
		{ "DHCP offer", 11,
		  { GDHCP(BCAST, M_A, LAN_IP, ALL_ONES, 67, 68) },
		  G_BFLOOD(D11, LEARN) },
		{ "DHCP ack, unicast", 11,
		  { GDHCP(M_C, M_A, LAN_IP, LAN_IP2, 67, 68) }, G_FWD() },
		{ "0.0.0.0, not DHCP", 11, { HUDP(M_C, M_A, 0, LAN_IP2) },
		  G_FWD() },
		{ "ARP, forged sender MAC", 11, B11_ARP(M_A), .sha = G1,
		  G_FWD() },
		{} } },

	/* Behind VLAN tags. */
	{ "guard spoofcheck nat vlan: IPv4 behind priority tags is checked the same",
	  0, { GP_SPOOF(41), GP_SPOOF(42) }, .steps = (const struct g_step[]){
		{ "one tag, own address", 41, V1_UDP(M_V1, VM1_IP), .tags = 1,
		  G_FWD() },
		{ "one tag, outside the subnet", 41, V1_UDP(M_V1, FAR_IP),
		  .tags = 1, G_DROP(SPOOF_IP) },
		{ "two tags, the gateway", 41, V1_UDP(M_V1, GW_IP), .tags = 2,
		  G_DROP(SPOOF_IP) },
		{ "one tag, DHCP offer", 41,
		  { GDHCP(BCAST, M_V1, VM1_IP, ALL_ONES, 67, 68) }, .tags = 1,
		  G_DROP(ROGUE_DHCP) },
		{ "two tags, ARP claiming the gateway", 41,
		  V1_ARP(BCAST, GW_IP, VM2_IP), .tags = 2, G_DROP(SPOOF_ARP) },
		{ "one tag, ARP, forged sender MAC", 41,
		  V1_ARP(BCAST, VM1_IP, VM2_IP), .sha = M_V2, .tags = 1,
		  G_DROP(SPOOF_ARP) },
		{} } },
	/*
	 * Receivers strip any number of priority tags (see isolate.h): what
	 * hides behind more tags than the guard looks behind is not let by.
	 */
	{ "guard spoofcheck nat vlan: behind three tags, unchecked, dropped",
	  0, { GP_SPOOF(41), GP_SPOOF(42) }, .steps = (const struct g_step[]){
		{ "IPv4 from outside the subnet", 41, V1_UDP(M_V1, FAR_IP),
		  .tags = 3, G_DROP(SPOOF_IP) },
		{ "ARP claiming the gateway, broadcast", 41,
		  V1_ARP(BCAST, GW_IP, VM2_IP), .tags = 3, G_DROP(SPOOF_IP) },
		{} } },

	/* ARP. */
	{ "guard spoofcheck nat arp: sender MAC not the frame's source", 0,
	  { GP_SPOOF(41), GP_SPOOF(42) }, .steps = (const struct g_step[]){
		{ "request", 41, V1_ARP(BCAST, VM1_IP, VM2_IP), .sha = M_V2,
		  G_DROP(SPOOF_ARP) },
		{ "reply", 41, V1_ARP(M_V2, VM1_IP, VM2_IP), .sha = G1,
		  G_DROP(SPOOF_ARP) },
		{ "probe", 41, V1_ARP(BCAST, 0, VM1_IP), .sha = G1,
		  G_DROP(SPOOF_ARP) },
		{} } },
	{ "guard spoofcheck nat arp: sender address of the gateway", 0,
	  { GP_SPOOF(41), GP_SPOOF(42) }, .steps = (const struct g_step[]){
		{ "request", 41, V1_ARP(BCAST, GW_IP, VM2_IP),
		  G_DROP(SPOOF_ARP) },
		{ "reply to VM2", 41, V1_ARP(M_V2, GW_IP, VM2_IP),
		  G_DROP(SPOOF_ARP) },
		{ "gratuitous", 41, V1_ARP(BCAST, GW_IP, GW_IP),
		  G_DROP(SPOOF_ARP) },
		{} } },
	{ "guard spoofcheck nat arp: sender address outside, broadcast, or locked to another port",
	  0, { GP_SPOOF(41), GP_SPOOF(42) }, { { NAT_NET, VM2_IP, 42 } },
	  .steps = (const struct g_step[]){
		{ "outside the subnet", 41, V1_ARP(BCAST, FAR_IP, VM2_IP),
		  G_DROP(SPOOF_ARP) },
		{ "the broadcast address", 41,
		  V1_ARP(BCAST, NAT_BCAST_IP, VM2_IP), G_DROP(SPOOF_ARP) },
		{ "VM2's locked address", 41, V1_ARP(BCAST, VM2_IP, VM2_IP),
		  G_DROP(SPOOF_ARP) },
		{ "VM2's locked address from 42", 42,
		  { HARP(BCAST, M_V2, VM2_IP, VM2_IP) },
		  G_FLOOD(NAT_FLOOD(D42)) },
		{} } },
	{ "guard spoofcheck nat arp: a probe and a gratuitous ARP for its own address",
	  0, { GP_SILENT(41), GP_SPOOF(42) }, .steps = (const struct g_step[]){
		{ "probe (sender address 0)", 41, V1_ARP(BCAST, 0, VM1_IP),
		  G_FLOOD(NAT_FLOOD(D41), LEARN),
		  .post = { FRESH_ON(NAT_NET, M_V1, 41) } },
		{ "gratuitous", 41, V1_ARP(BCAST, VM1_IP, VM1_IP),
		  G_FLOOD(NAT_FLOOD(D41)) },
		{ "request for VM2", 41, V1_ARP(BCAST, VM1_IP, VM2_IP),
		  G_FLOOD(NAT_FLOOD(D41)) },
		{ "reply to VM2", 41, V1_ARP(M_V2, VM1_IP, VM2_IP), G_FWD() },
		{} } },
	{ "guard spoofcheck hostonly arp: forged sender MAC, the gateway, its own address",
	  0, { GP_SPOOF(52), GP_SPOOF(51) }, .steps = (const struct g_step[]){
		{ "forged sender MAC", 52, { HARP(BCAST, HV2, HV2_IP, HV1_IP) },
		  .sha = HV1, G_DROP(SPOOF_ARP) },
		{ "the gateway's address", 52,
		  { HARP(BCAST, HV2, HGW_IP, HV1_IP) }, G_DROP(SPOOF_ARP) },
		{ "outside the subnet", 52, { HARP(HV1, HV2, VM1_IP, HV1_IP) },
		  G_DROP(SPOOF_ARP) },
		{ "gratuitous for its own address", 52,
		  { HARP(BCAST, HV2, HV2_IP, HV2_IP) },
		  G_FLOOD(HO_FLOOD_FROM(H52)) },
		{} } },
	{ "guard spoofcheck bridge arp: forged sender MAC dropped, any sender address",
	  0, { GP_SPOOF(11) }, .steps = (const struct g_step[]){
		{ "forged sender MAC", 11, B11_ARP(M_A), .sha = M_B,
		  G_DROP(SPOOF_ARP), .post = { ABSENT(1, M_A) } },
		{ "any sender address", 11,
		  { HARP(BCAST, M_A, FAR_IP, LAN_IP2) },
		  G_BFLOOD(D11, LEARN), .post = { FRESH_ON(1, M_A, 11) } },
		{} } },

	/* max_macs without spoofcheck (network 1, max_macs = 3). */
	{ "guard mac-limit: three MACs learned, the fourth dropped, the three still pass",
	  0, { GP_MACS(11, 3) }, .steps = (const struct g_step[]){
		STEPS_FILL_11,
		STEP_11_REFUSED(G4),
		{ "1st MAC again", 11, B11_ARP(G1), G_FWD(),
		  .g = { { 11, GF_KEPT } } },
		{ "3rd MAC again", 11, B11_ARP(G3), G_FWD() },
		{ "4th MAC again (throttled)", 11, B11_ARP(G4),
		  G_DROP(MAC_LIMIT), .post = { ABSENT(1, G4) },
		  .g = { { 11, GF_KEPT } } },
		{} } },
	{ "guard mac-limit: a full port leaves the other ports alone", 0,
	  { GP_MACS(11, 3), GP_MACS(12, 3) }, .steps = (const struct g_step[]){
		STEPS_FILL_11,
		STEP_11_REFUSED(G4),
		{ "new MAC on 12 (also max_macs 3)", 12,
		  { HARP(M_C, G5, LAN_IP, LAN_IP2) }, G_FWD(LEARN),
		  .post = { FRESH_ON(1, G5, 12),
			    { 1, M_B, 12, A_KEPT_FRESH } },
		  .g = { { 12, GF_CLEAR }, { 11, GF_KEPT } } },
		{ "new MAC on 13 (no limit)", 13,
		  { HARP(BCAST, G6, LAN_IP, LAN_IP2) },
		  G_BFLOOD(D13, LEARN), .post = { FRESH_ON(1, G6, 13) },
		  .g = { { 13, GF_NONE } } },
		{ "11's MACs kept", 11, B11_ARP(G2), G_FWD(),
		  .post = { STILL_ON(1, G1, 11), STILL_ON(1, G2, 11),
			    STILL_ON(1, G3, 11) } },
		{} } },
	{ "guard mac-limit: a slot freed by ageing is taken at once when nothing was refused",
	  0, { GP_MACS(11, 3) }, .steps = (const struct g_step[]){
		STEPS_FILL_11,
		{ "4th MAC, 2nd aged out", 11, B11_ARP(G4),
		  .fdb = AGED(1, G2, 11), G_FWD(LEARN),
		  .post = { FRESH_ON(1, G4, 11) }, .g = { { 11, GF_CLEAR } } },
		{ "the aged 2nd MAC again", 11, B11_ARP(G2), G_DROP(MAC_LIMIT),
		  .post = { { 1, G2, 11, A_KEPT_AGED } },
		  .g = { { 11, GF_SET } } },
		{} } },
	{ "guard mac-limit: after a refusal, an aged-out slot is found at the next rescan (100 ms) only",
	  0, { GP_MACS(11, 3) }, .steps = (const struct g_step[]){
		STEPS_FILL_11,
		STEP_11_REFUSED(G4),
		{ "4th MAC, 2nd aged, rescan not due", 11, B11_ARP(G4),
		  .fdb = AGED(1, G2, 11), .clock = { 11, CK_RESCAN_NOT_DUE },
		  G_DROP(MAC_LIMIT), .post = { ABSENT(1, G4) },
		  .g = { { 11, GF_KEPT } } },
		{ "4th MAC, rescan due", 11, B11_ARP(G4),
		  .clock = { 11, CK_RESCAN_DUE }, G_FWD(LEARN),
		  .post = { FRESH_ON(1, G4, 11) }, .g = { { 11, GF_CLEAR } } },
		{ "5th MAC: full again", 11, B11_ARP(G5), G_DROP(MAC_LIMIT),
		  .post = { ABSENT(1, G5) }, .g = { { 11, GF_SET } } },
		{} } },
	{ "guard mac-limit: a rescan that finds the port still full refuses and restarts the interval",
	  0, { GP_MACS(11, 3) }, .steps = (const struct g_step[]){
		STEPS_FILL_11,
		STEP_11_REFUSED(G4),
		{ "5th MAC, rescan due, nothing aged", 11, B11_ARP(G5),
		  .clock = { 11, CK_RESCAN_DUE }, G_DROP(MAC_LIMIT),
		  .post = { ABSENT(1, G5) }, .g = { { 11, GF_SET } } },
		{ "5th MAC again", 11, B11_ARP(G5), G_DROP(MAC_LIMIT),
		  .g = { { 11, GF_KEPT } } },
		{} } },
	{ "guard mac-limit: a MAC that moved to another port frees its slot", 0,
	  { GP_MACS(11, 3) }, .steps = (const struct g_step[]){
		STEPS_FILL_11,
		{ "the 1st MAC on 13", 13, { HARP(BCAST, G1, LAN_IP, LAN_IP2) },
		  G_BFLOOD(D13, LEARN), .post = { FRESH_ON(1, G1, 13) } },
		{ "4th MAC on 11", 11, B11_ARP(G4), G_FWD(LEARN),
		  .post = { FRESH_ON(1, G4, 11), STILL_ON(1, G1, 13) },
		  .g = { { 11, GF_CLEAR } } },
		{ "the 1st MAC back on 11", 11, B11_ARP(G1), G_DROP(MAC_LIMIT),
		  .post = { STILL_ON(1, G1, 13) } },
		{} } },

	/* The flood limit (tc; XDP hands floods on). */
	{ "guard flood-limit: three floods a second, the fourth dropped and counted",
	  0, { GP_FLOOD(11, 3) }, .steps = (const struct g_step[]){
		STEPS_FLOOD3_11,
		{ "multicast", 11, { HARP(MCAST, M_A, LAN_IP, LAN_IP2) },
		  G_FLOOD_LIMITED,
		  .g = { { 11, .floods = FLOODS(3), .tc_only = true } } },
		{ "unknown unicast", 11, { HARP(M_U, M_A, LAN_IP, LAN_IP2) },
		  G_FLOOD_LIMITED },
		{ "known unicast is no flood", 11, B11_ARP(M_A), G_FWD(),
		  .g = { { 11, .floods = FLOODS(3), .tc_only = true } } },
		{ "to the host's MAC is no flood", 11,
		  { HARP(HOST1_MAC, M_A, LAN_IP, LAN_IP2) },
		  .xdp_ret = XDP_PASS, .tc_ret = TC_ACT_REDIRECT,
		  .mark_out = XV_MARK_HOST,
		  .xdp_s = { .xdp_pass = 1 }, .tc_s = { RX, .to_host = 1 } },
		{} } },
	{ "guard flood-limit: another port floods while one is limited", 0,
	  { GP_FLOOD(11, 3), GP_FLOOD(12, 3) },
	  .steps = (const struct g_step[]){
		STEPS_FLOOD3_11,
		{ "12 floods", 12, { HARP(BCAST, M_B, LAN_IP, LAN_IP2) },
		  G_BFLOOD(D12),
		  .g = { { 12, .floods = FLOODS(1), .new_window = true,
			   .tc_only = true },
			 { 11, .floods = FLOODS(3), .tc_only = true } } },
		{ "13 (no limit) floods", 13,
		  { HARP(BCAST, M_C, LAN_IP, LAN_IP2) }, G_BFLOOD(D13) },
		{ "11 still limited", 11, B11_BCAST, G_FLOOD_LIMITED },
		{} } },
	{ "guard flood-limit: a new second floods again", 0,
	  { GP_FLOOD(11, 3) }, .steps = (const struct g_step[]){
		STEPS_FLOOD3_11,
		{ "new window", 11, B11_BCAST, .clock = { 11, CK_NEW_WINDOW },
		  G_BFLOOD(D11),
		  .g = { { 11, .floods = FLOODS(1), .new_window = true,
			   .tc_only = true } } },
		{} } },
	{ "guard flood-limit: a nat VM", 0,
	  { { GP(41, SPOOF, 64, 2) }, GP_SPOOF(42) },
	  .steps = (const struct g_step[]){
		{ "1st flood", 41, V1_ARP(BCAST, VM1_IP, VM2_IP),
		  G_FLOOD(NAT_FLOOD(D41)) },
		{ "2nd flood", 41, V1_ARP(BCAST, VM1_IP, VM2_IP),
		  G_FLOOD(NAT_FLOOD(D41)) },
		{ "3rd flood", 41, V1_ARP(BCAST, VM1_IP, VM2_IP),
		  G_FLOOD_LIMITED },
		{ "DHCP discover", 41,
		  { GDHCP(BCAST, M_V1, 0, ALL_ONES, 68, 67) },
		  G_FLOOD_LIMITED },
		{ "42 floods", 42, { HARP(BCAST, M_V2, VM2_IP, VM1_IP) },
		  G_FLOOD(NAT_FLOOD(D42)) },
		{} } },

	/* Uplinks and host adapters: never guarded, even with fields set. */
	{ "guard: the bridge uplink is never guarded", 0,
	  { { GP(10, SPOOF | LOCK_MAC, 1, 1), .lock_mac = G1,
	      .lock_addr = LAN_IP }, GP_SPOOF(11) },
	  .steps = (const struct g_step[]){
		{ "LAN host, forged ARP sender MAC", 10,
		  { HARP(BCAST, M_L, FAR_IP, LAN_IP2) }, .sha = M_L2,
		  G_UPFLOOD(), .g = { { 10, GF_NONE } } },
		{ "another LAN host", 10, { HARP(BCAST, M_L2, R1, LAN_IP2) },
		  G_UPFLOOD(LEARN), .post = { FRESH_ON(1, M_L2, 10) } },
		{ "a third LAN host", 10, { HARP(BCAST, G2, R2, LAN_IP2) },
		  G_UPFLOOD(LEARN), .post = { FRESH_ON(1, G2, 10) } },
		{ "the LAN's DHCP server", 10,
		  { GDHCP(BCAST, M_L, LAN_IP2, ALL_ONES, 67, 68) },
		  G_UPFLOOD() },
		{ "from 0.0.0.0", 10, { HUDP(BCAST, M_L, 0, ALL_ONES) },
		  G_UPFLOOD(), .g = { { 10, GF_NONE } } },
		{} } },
	{ "guard: the nat adapter is never guarded", 0,
	  { { GP(43, SPOOF | LOCK_MAC, 1, 1), .lock_mac = G1,
	      .lock_addr = VM1_IP }, GP_SPOOF(41),
	    GP_SPOOF(42) }, { { NAT_NET, VM1_IP, 41 } },
	  .steps = (const struct g_step[]){
		{ "gratuitous ARP of the gateway", 43,
		  { HARP(BCAST, GW_MAC, GW_IP, GW_IP) },
		  G_FLOOD(NAT_FLOOD(D43)), .g = { { 43, GF_NONE } } },
		{ "DHCP offer", 43,
		  { GDHCP(M_V1, GW_MAC, GW_IP, VM1_IP, 67, 68) }, G_FWD() },
		{ "DHCP offer, broadcast", 43,
		  { GDHCP(BCAST, GW_MAC, GW_IP, ALL_ONES, 67, 68) },
		  G_FLOOD(NAT_FLOOD(D43)) },
		{ "another MAC, VM1's locked address", 43,
		  { HUDP(M_V1, G2, VM1_IP, VM1_IP) }, G_FWD(LEARN),
		  .post = { FRESH_ON(NAT_NET, G2, 43) },
		  .g = { { 43, GF_NONE } } },
		{} } },
	{ "guard: the hostonly adapter is never guarded", 0,
	  { { GP(53, SPOOF | LOCK_MAC, 1, 1), .lock_mac = G1,
	      .lock_addr = HV1_IP }, GP_SPOOF(51),
	    GP_SPOOF(52) }, .steps = (const struct g_step[]){
		{ "DHCP offer", 53,
		  { GDHCP(HV1, HGW_MAC, HGW_IP, HV1_IP, 67, 68) }, G_FWD() },
		{ "ARP of the gateway", 53,
		  { HARP(BCAST, HGW_MAC, HGW_IP, HV1_IP) },
		  G_FLOOD(HO_FLOOD_FROM(H53)) },
		{ "again: past its flood_pps", 53,
		  { HARP(BCAST, HGW_MAC, HGW_IP, HV2_IP) },
		  G_FLOOD(HO_FLOOD_FROM(H53)), .g = { { 53, GF_NONE } } },
		{} } },
};

#pragma GCC diagnostic pop

/* ------------------------------------------------------------------------ */

static int fd_guard, fd_lock;

/* Ports whose entries fixtures change, as the other files left them. */
static const __u32 g_port_ids[] = {
	10, 11, 12, 13, 14, 41, 42, 43, 51, 52, 53,
};
static struct xv_port g_base[NELEM(g_port_ids)];

static __u64 g_mac_pack(const __u8 *m)
{
	return (__u64)m[0] << 40 | (__u64)m[1] << 32 | (__u64)m[2] << 24 |
	       (__u64)m[3] << 16 | (__u64)m[4] << 8 | m[5];
}

static const struct xv_port *g_base_of(__u32 ifindex)
{
	size_t i;

	for (i = 0; i < NELEM(g_port_ids); i++)
		if (g_port_ids[i] == ifindex)
			return &g_base[i];
	return NULL;
}

static const struct g_port *g_port_of(const struct g_fx *fx, __u32 ifindex)
{
	size_t i;

	for (i = 0; i < NELEM(fx->ports); i++)
		if (fx->ports[i].ifindex && fx->ports[i].ifindex == ifindex)
			return &fx->ports[i];
	return NULL;
}

static int g_ports_restore(void)
{
	size_t i;

	for (i = 0; i < NELEM(g_port_ids); i++)
		if (port_put(g_port_ids[i], &g_base[i]))
			return -errno;
	return 0;
}

/* The base FDB entries, without those of silent ports. */
static int g_fdb_base(const struct g_fx *fx, const struct fdb_ent *e,
		      size_t n)
{
	const struct g_port *gp;
	size_t i;

	for (i = 0; i < n; i++) {
		gp = g_port_of(fx, e[i].ifindex);
		if (gp && gp->silent)
			continue;
		if (fdb_write(&e[i], t_fresh))
			return -errno;
	}
	return 0;
}

/* A guarded port that has spoken holds its base MACs in slots. */
static int g_seed(const struct g_port *gp, const struct xv_port *base)
{
	const struct fdb_ent *bases[] = { fdb_base, nat_fdb_base, ho_fdb_base };
	const size_t nbases[] = { NELEM(fdb_base), NELEM(nat_fdb_base),
				  NELEM(ho_fdb_base) };
	struct xv_guard g = {};
	size_t b, i, k = 0;

	if (!(base->flags & XV_PORT_VM) || gp->silent ||
	    !((gp->flags & SPOOF) || gp->max_macs))
		return 0;
	for (b = 0; b < NELEM(bases); b++)
		for (i = 0; i < nbases[b]; i++)
			if (bases[b][i].ifindex == gp->ifindex)
				g.macs[k++] = g_mac_pack(bases[b][i].mac);
	if (!k)
		return 0;
	return bpf_map_update_elem(fd_guard, &gp->ifindex, &g, BPF_ANY) ?
	       -errno : 0;
}

static int g_reset(const struct g_fx *fx)
{
	struct xv_net n3 = nat_net_def(0), n4 = ho_net_def();
	__u64 now = now_coarse();
	__u32 key;
	size_t i;
	int err;

	if (map_clear(fd_fdb, sizeof(struct xv_fdb_key)) ||
	    map_clear(fd_guard, sizeof(__u32)) ||
	    map_clear(fd_lock, sizeof(struct xv_lock_key)) ||
	    nat_ports_clear() ||
	    map_clear(fd_nat_fwd, sizeof(struct xv_nat_fwd_key)) ||
	    map_clear(fd_nat_flow, sizeof(struct xv_nat_flow_key)) ||
	    map_clear(fd_nat_frag, sizeof(struct xv_nat_frag_key)) ||
	    map_clear(fd_neigh, sizeof(struct xv_neigh_key)))
		return -errno;
	/* as the loader: a network with a locked address says so */
	for (i = 0; i < NELEM(fx->locks) && fx->locks[i].ifindex; i++) {
		if (fx->locks[i].net == NAT_NET)
			n3.flags |= XV_NET_ADDR_LOCKS;
		if (fx->locks[i].net == HO_NET)
			n4.flags |= XV_NET_ADDR_LOCKS;
	}
	key = NAT_NET;
	if (bpf_map_update_elem(fd_net, &key, &n3, BPF_ANY))
		return -errno;
	key = HO_NET;
	if (bpf_map_update_elem(fd_net, &key, &n4, BPF_ANY))
		return -errno;
	if ((err = g_ports_restore()))
		return err;
	for (i = 0; i < NELEM(fx->ports) && fx->ports[i].ifindex; i++) {
		const struct g_port *gp = &fx->ports[i];
		struct xv_port p;

		if (!g_base_of(gp->ifindex))
			return -EINVAL;
		p = *g_base_of(gp->ifindex);
		p.flags |= gp->flags;
		p.max_macs = gp->max_macs;
		p.flood_pps = gp->flood_pps;
		if (gp->lock_mac)
			memcpy(p.lock_mac, gp->lock_mac, 6);
		p.lock_addr = htonl(gp->lock_addr);
		if (port_put(gp->ifindex, &p))
			return -errno;
	}
	t_fresh = now - FRESH_AGE_NS;
	t_aged = now - 2 * AGEING_NS;
	if ((err = g_fdb_base(fx, fdb_base, NELEM(fdb_base))) ||
	    (err = g_fdb_base(fx, nat_fdb_base, NELEM(nat_fdb_base))) ||
	    (err = g_fdb_base(fx, ho_fdb_base, NELEM(ho_fdb_base))))
		return err;
	for (i = 0; i < NELEM(fx->ports) && fx->ports[i].ifindex; i++) {
		err = g_seed(&fx->ports[i], g_base_of(fx->ports[i].ifindex));
		if (err)
			return err;
	}
	for (i = 0; i < NELEM(fx->locks) && fx->locks[i].ifindex; i++) {
		struct xv_lock_key k = { .net = fx->locks[i].net,
					 .addr = htonl(fx->locks[i].addr) };

		if (bpf_map_update_elem(fd_lock, &k, &fx->locks[i].ifindex,
					BPF_ANY))
			return -errno;
	}
	if ((err = neigh_write(VM1_IP, M_V1, t_fresh)) ||
	    (err = neigh_write(VM2_IP, M_V2, t_fresh)))
		return err;
	return 0;
}

/* What time has done before a step: rewrite the port's xv_guard entry. */
static int g_clock(const struct g_clock *c)
{
	__u64 now = now_coarse();
	struct xv_guard g;

	if (!c->ifindex)
		return 0;
	if (bpf_map_lookup_elem(fd_guard, &c->ifindex, &g))
		return -errno;
	switch (c->what) {
	case CK_RESCAN_DUE:
		g.full_ns = now - XV_GUARD_RESCAN_NS - 1000000;
		break;
	case CK_RESCAN_NOT_DUE:
		g.full_ns = now;
		break;
	case CK_NEW_WINDOW:
		g.flood_win_ns = now - 2 * SEC_NS;
		break;
	}
	return bpf_map_update_elem(fd_guard, &c->ifindex, &g, BPF_EXIST) ?
	       -errno : 0;
}

static int g_step_prepare(const struct g_step *st)
{
	struct xv_fdb_key key = { .net = st->fdb.net };

	if (st->fdb.mac && st->fdb.ifindex &&
	    fdb_write(&st->fdb, st->fdb.age == P_AGED ? t_aged : t_fresh))
		return -errno;
	if (st->fdb.mac && !st->fdb.ifindex) {
		memcpy(key.mac, st->fdb.mac, 6);
		if (bpf_map_delete_elem(fd_fdb, &key) && errno != ENOENT)
			return -errno;
		if (gen_bump())
			return -errno;
	}
	return g_clock(&st->clock);
}

static void g_frame(struct frame *f, const struct g_step *st)
{
	struct ho_fx hf = { .in = st->in, .tags = st->tags };

	ho_frame(f, &hf);
	if (st->sha)	/* the ARP sender MAC, behind the tags */
		memcpy(f->b + ETH_HLEN + 4 * st->tags + 8, st->sha, 6);
}

static void g_guard_check(const struct g_gwant *w, const struct xv_guard *pre,
			  bool had, __u64 t0, __u64 t1, enum run_kind kind,
			  struct result *r)
{
	struct xv_guard g;
	bool found;

	if (!w->ifindex || (w->tc_only && kind != RUN_TC))
		return;
	found = !bpf_map_lookup_elem(fd_guard, &w->ifindex, &g);
	if (w->full == GF_NONE) {
		if (found)
			fail(r, "xv_guard %u: expected no entry got one",
			     w->ifindex);
		return;
	}
	if (!found) {
		if (w->full != GF_ANY || w->floods)
			fail(r, "xv_guard %u: expected an entry got none",
			     w->ifindex);
		return;
	}
	switch (w->full) {
	case GF_CLEAR:
		if (g.full_ns)
			fail(r, "xv_guard %u: expected full_ns 0 got %llu",
			     w->ifindex, (unsigned long long)g.full_ns);
		break;
	case GF_SET:
		if (g.full_ns < t0 || g.full_ns > t1)
			fail(r, "xv_guard %u: expected full_ns written by the run in [%llu, %llu] got %llu",
			     w->ifindex, (unsigned long long)t0,
			     (unsigned long long)t1,
			     (unsigned long long)g.full_ns);
		break;
	case GF_KEPT:
		if (!had || !pre->full_ns || g.full_ns != pre->full_ns)
			fail(r, "xv_guard %u: expected full_ns kept at %llu got %llu",
			     w->ifindex,
			     had ? (unsigned long long)pre->full_ns : 0ULL,
			     (unsigned long long)g.full_ns);
		break;
	}
	if (w->floods && g.flood_count != (__u32)(w->floods - 1))
		fail(r, "xv_guard %u: expected flood_count %d got %u",
		     w->ifindex, w->floods - 1, g.flood_count);
	if (w->new_window && (g.flood_win_ns < t0 || g.flood_win_ns > t1))
		fail(r, "xv_guard %u: expected a flood window opened by the run in [%llu, %llu] got %llu",
		     w->ifindex, (unsigned long long)t0,
		     (unsigned long long)t1,
		     (unsigned long long)g.flood_win_ns);
}

static void g_neigh_check(const struct g_step *st, struct result *r)
{
	struct xv_neigh_key k = { .net = NAT_NET,
				  .addr = htonl(st->neigh.addr) };
	struct xv_neigh n;
	char want[18], got[18];

	if (!st->neigh.mac)
		return;
	if (bpf_map_lookup_elem(fd_neigh, &k, &n)) {
		fail(r, "xv_neigh %u.%u.%u.%u: expected %s got absent",
		     st->neigh.addr >> 24, (st->neigh.addr >> 16) & 0xff,
		     (st->neigh.addr >> 8) & 0xff, st->neigh.addr & 0xff,
		     mac_str(st->neigh.mac, want));
		return;
	}
	if (memcmp(n.mac, st->neigh.mac, 6))
		fail(r, "xv_neigh %u.%u.%u.%u: expected %s got %s",
		     st->neigh.addr >> 24, (st->neigh.addr >> 16) & 0xff,
		     (st->neigh.addr >> 8) & 0xff, st->neigh.addr & 0xff,
		     mac_str(st->neigh.mac, want), mac_str(n.mac, got));
}

/* One frame of a sequence; its failures go to r. */
static void g_step_run(const struct g_step *st, enum run_kind kind,
		       struct result *r)
{
	struct xv_stats before[NSTAT_NETS], after[NSTAT_NETS];
	struct xv_guard pre[2];
	bool had[2] = {};
	struct fixture post = {};
	struct frame f, out;
	__u32 net = ho_net_of(st->ifindex), mark = 0;
	__u64 t0, t1;
	int ret, err, want, i;

	err = g_step_prepare(st);
	if (err) {
		fail(r, "cannot prepare: %s", strerror(-err));
		return;
	}
	for (i = 0; i < 2; i++)
		had[i] = st->g[i].ifindex &&
			 !bpf_map_lookup_elem(fd_guard, &st->g[i].ifindex,
					      &pre[i]);
	g_frame(&f, st);
	if (stats_read(before)) {
		fail(r, "stats: cannot read: %s", strerror(errno));
		return;
	}
	frames_drain(ho_fd, HNDEVS);

	t0 = now_coarse();
	err = nat_test_run(kind, st->ifindex, &f, &out, &ret, &mark);
	t1 = now_coarse();
	if (err) {
		fail(r, "BPF_PROG_TEST_RUN: %s", strerror(-err));
		return;
	}
	if (kind == RUN_XDP) {
		want = st->xdp_ret;
		if (ret != want)
			fail(r, "verdict: expected %s got %s", xdp_name(want),
			     xdp_name(ret));
	} else {
		want = st->tc_ret;
		if (ret != want)
			fail(r, "verdict: expected %s got %s", tc_name(want),
			     tc_name(ret));
		if (mark != st->mark_out)
			fail(r, "mark: expected %#x got %#x", st->mark_out,
			     mark);
	}
	frame_compare(&f, out.b, out.len, "unchanged", r);
	ho_clones_check(&f, kind == RUN_XDP ? 0 : st->clones, r);
	if (stats_read(after))
		fail(r, "stats: cannot read: %s", strerror(errno));
	else
		stats_check(before, after, net,
			    kind == RUN_XDP ? &st->xdp_s : &st->tc_s, f.len, r);
	memcpy(post.post, st->post, sizeof(post.post));
	fdb_check(&post, t0, t1, r);
	for (i = 0; i < 2; i++)
		g_guard_check(&st->g[i], &pre[i], had[i], t0, t1, kind, r);
	g_neigh_check(st, r);
}

static void g_run(const struct g_fx *fx, enum run_kind kind)
{
	struct result r = {};
	int err, i;

	err = g_reset(fx);
	if (err) {
		printf("FAIL unit: %s [%s]: cannot prepare the maps: %s\n",
		       fx->what, kind_label[kind], strerror(-err));
		return;
	}
	for (i = 0; fx->steps[i].ifindex; i++) {
		const struct g_step *st = &fx->steps[i];
		struct result sr = {};

		g_step_run(st, kind, &sr);
		if (sr.failed) {
			fail(&r, "step %d (%s, from %u): %s", i + 1, st->what,
			     st->ifindex, sr.msg);
			break;
		}
	}
	if (r.failed)
		printf("FAIL unit: %s [%s]: %s\n", fx->what, kind_label[kind],
		       r.msg);
	else
		printf("PASS unit: %s [%s]\n", fx->what, kind_label[kind]);
}

static int g_setup(void)
{
	size_t i;
	int d;

	fd_guard = bpf_map__fd(skel->maps.xv_guard);
	fd_lock = bpf_map__fd(skel->maps.xv_lock);
	if (bpf_map__value_size(skel->maps.xv_guard) !=
	    sizeof(struct xv_guard) ||
	    bpf_map__key_size(skel->maps.xv_lock) != sizeof(struct xv_lock_key))
		return setup_fail("guard: xv_guard, xv_lock layout", EINVAL);
	for (i = 0; i < NELEM(g_port_ids); i++)
		if (bpf_map_lookup_elem(fd_port, &g_port_ids[i], &g_base[i]))
			return setup_fail("guard: xv_port", errno);
	/* hostonly_main closed its sockets on 51-53: open them again. */
	for (d = NDEVS; d < HNDEVS; d++) {
		ho_fd[d] = pkt_open(ho_ifx[d]);
		if (ho_fd[d] < 0)
			return setup_fail("guard: packet socket", -ho_fd[d]);
	}
	return 0;
}

static int guard_main(void)
{
	int ret = g_setup();

	if (!ret)
		RUN_ASKED_KINDS(g_fixtures, g_run);
	if (!ret && g_ports_restore())
		ret = setup_fail("guard: restore xv_port", errno);
	ho_socks_close();
	return ret;
}
