// SPDX-License-Identifier: GPL-2.0
/*
 * Host-only fixtures, included by unit_test.c after nat_fixtures.c (this
 * file reuses the frames, checks and state helpers of both): the isolation
 * rules of bpf/lib/isolate.h and the bridge decisions of bpf/lib/bridge.h
 * as a host-only network sees them, each fixture run once through XDP and
 * once through tc ingress, each from the same state.
 *
 *   network 4, mode hostonly: subnet 192.168.56.0/24, gateway .1 (HGW_MAC,
 *   the host side of the host adapter), no uplink
 *
 *     51  VM1 192.168.56.10 (HV1)     member, csum-verify (a tap), XDP target
 *     52  VM2 192.168.56.11 (HV2)     member, no csum-verify (a NIC port:
 *                                     XDP redirects without verifying),
 *                                     XDP target
 *     53  the host adapter's peer     member, XV_PORT_ADAPTER, XDP target
 *
 *   Beside it, as unit_test.c and nat_fixtures.c set them up: network 1
 *   (bridge, uplink 10 with host MAC HOST1_MAC, VMs 11-14), network 2
 *   (bridge, uplink 20, VM 21) and network 3 (nat, VMs 41 and 42, adapter
 *   43, uplink 40 with MAC UPL_MAC and no network of its own).
 *
 * Every run checks the verdict; the mark tc leaves (always none here: an
 * XV_MARK_FWD would be a redirect out of an uplink); the frame, which must
 * come out unchanged; the copies tc sends out of or into every device of
 * the namespace, all 17 of them, so that a leak to any other network shows;
 * the counters of networks 0-4; the FDB (a frame from a host-only port
 * teaches its source MAC to no other network); and the NAT maps, which
 * must stay as they were. A redirect's target is not observable in a test
 * run: the fixtures make the target known by the FDB and check that tc
 * marked no uplink redirect.
 */

#define HO_NET		4

#define HO_SUBNET	IP4A(192, 168, 56, 0)
#define HGW_IP		IP4A(192, 168, 56, 1)
#define HV1_IP		IP4A(192, 168, 56, 10)
#define HV2_IP		IP4A(192, 168, 56, 11)
#define HO_BCAST_IP	IP4A(192, 168, 56, 255)
#define MDNS_IP		IP4A(224, 0, 0, 251)

static const __u8 HGW_MAC[6] = { 0x02, 0, 0, 0, 0x04, 0x01 };
static const __u8 HV1[6] = { 0x02, 0, 0, 0, 0x04, 0x0a };	/* on 51 */
static const __u8 HV2[6] = { 0x02, 0, 0, 0, 0x04, 0x0b };	/* on 52 */
static const __u8 HV3[6] = { 0x02, 0, 0, 0, 0x04, 0x0c };	/* new on 51 */
static const __u8 MDNS_MAC[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb };
static const __u8 V6_SNM_B[6] = { 0x33, 0x33, 0xff, 0x00, 0x00, 0x0b };
static const __u8 V6_SNM_1[6] = { 0x33, 0x33, 0xff, 0x00, 0x00, 0x01 };

/*
 * Devices whose copies are watched: those of unit_test.c (D10..D44, with
 * its packet sockets), then the host-only ports. A copy sent out of device
 * d sets HOUT(d), one injected into its receive path HIN(d).
 */
enum { H51 = NDEVS, H52, H53, HNDEVS };

_Static_assert(HNDEVS <= 32, "two 32-bit halves of clone bits");

#define HOUT(d)		(1ull << (d))
#define HIN(d)		(1ull << ((d) + 32))
#define HO_PORTS	(HOUT(H51) | HOUT(H52) | HOUT(H53))
#define HO_FLOOD_FROM(d) (HO_PORTS & ~HOUT(d))

static const struct {
	__u32 ifindex, flags;
} ho_ports[] = {
	{ 51, XV_PORT_VM | XV_PORT_CSUM_VERIFY | XV_PORT_XDP_TARGET },
	{ 52, XV_PORT_VM | XV_PORT_XDP_TARGET },
	{ 53, XV_PORT_ADAPTER | XV_PORT_XDP_TARGET },
};

static const struct fdb_ent ho_fdb_base[] = {
	{ HO_NET, HV1, 51, 0 }, { HO_NET, HV2, 52, 0 },
	{ HO_NET, HGW_MAC, 53, 0 },
};

struct ho_fx {
	const char *what;
	unsigned int kinds;	/* K_XDP, K_TC; 0: both */
	__u32 ifindex;
	struct npkt in;
	__u8 tags;		/* VLAN tags (VID 0) in front of the payload:
				 * 1: 802.1Q; 2: 802.1ad, 802.1Q; 3: and another
				 * 802.1Q */
	__u32 mark_in;		/* tc: skb->mark on entry */
	int xdp_ret, tc_ret;
	__u64 clones;		/* tc: HOUT()/HIN() bits */
	struct fdb_ent pre[2];	/* written over the base (stale entries) */
	struct fdb_ent post[3];	/* expected after the run */
	struct xv_stats xdp_s, tc_s;	/* counter deltas of the port's net */
};

/* Frames (addresses in host order). */
#define HUDP(d, s, sa, da)	.dst = d, .src = s, .saddr = sa, .daddr = da, \
				.proto = IPPROTO_UDP, .sport = 5000, \
				.dport = 53, .payload = 16
#define HTCP(d, s, sa, da)	.dst = d, .src = s, .saddr = sa, .daddr = da, \
				.proto = IPPROTO_TCP, .sport = 40000, \
				.dport = 22, .payload = 20
#define HECHO(d, s, sa, da)	.dst = d, .src = s, .saddr = sa, .daddr = da, \
				.proto = IPPROTO_ICMP, .type = 8, \
				.sport = 0x4242, .payload = 56
#define HARP(d, s, sa, da)	.dst = d, .src = s, .ethertype = ETH_P_ARP, \
				.saddr = sa, .daddr = da
#define H6(d, s, sa, da)	.dst = d, .src = s, .ethertype = ETH_P_IPV6, \
				.saddr6 = sa, .daddr6 = da, \
				.proto = IPPROTO_ICMPV6, .type = 128, \
				.sport = 7, .payload = 16

/* Verdicts and counters (in the port's network), per kind. */
#define HO_FWD		.xdp_ret = XDP_REDIRECT, .tc_ret = TC_ACT_REDIRECT, \
			.xdp_s = { RX, .fwd_xdp = 1 }, \
			.tc_s = { RX, .fwd_tc = 1 }
/* Known unicast XDP cannot verify (a VLAN tag): tc forwards it. */
#define HO_FWD_TC	.xdp_ret = XDP_PASS, .tc_ret = TC_ACT_REDIRECT, \
			.xdp_s = { .xdp_pass = 1, .csum_pass = 1 }, \
			.tc_s = { RX, .fwd_tc = 1 }
#define HO_FLOOD(d)	.xdp_ret = XDP_PASS, .tc_ret = TC_ACT_SHOT, \
			.clones = HO_FLOOD_FROM(d), \
			.xdp_s = { .xdp_pass = 1 }, \
			.tc_s = { RX, .flood = 1 }
#define HO_DROP(r)	.xdp_ret = XDP_DROP, .tc_ret = TC_ACT_SHOT, \
			.xdp_s = { RX, DROP(r) }, .tc_s = { RX, DROP(r) }
/* XDP hands routed-in frames to tc (it cannot see the NAT delivery mark). */
#define HO_ROUTED_IN	.xdp_ret = XDP_PASS, .tc_ret = TC_ACT_SHOT, \
			.xdp_s = { .xdp_pass = 1 }, \
			.tc_s = { RX, DROP(ROUTED_IN) }

/* Stale FDB entries of network 4 that point out of it. */
#define STALE(mac, port)	.pre = { { HO_NET, mac, port, 0 } }

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"

static const struct ho_fx ho_fixtures[] = {
	/* Inside the network: VM to VM. */
	{ "hostonly: unicast UDP VM to VM", 0, 51,
	  { HUDP(HV2, HV1, HV1_IP, HV2_IP) }, HO_FWD,
	  .post = { { HO_NET, HV1, 51, A_KEPT_FRESH },
		    { HO_NET, HV2, 52, A_KEPT_FRESH } } },
	{ "hostonly: unicast TCP VM to VM, other way", 0, 52,
	  { HTCP(HV1, HV2, HV2_IP, HV1_IP) }, HO_FWD },
	{ "hostonly: unicast ARP reply VM to VM", 0, 52,
	  { HARP(HV1, HV2, HV2_IP, HV1_IP) }, HO_FWD },
	{ "hostonly: ARP broadcast floods to the VMs and the adapter only", 0,
	  51, { HARP(BCAST, HV1, HV1_IP, HV2_IP) }, HO_FLOOD(H51) },
	{ "hostonly: a new source is learned in the hostonly network only", 0,
	  51, { HARP(BCAST, HV3, HV1_IP, HV2_IP) }, HO_FLOOD(H51),
	  .xdp_s = { .xdp_pass = 1, LEARN },
	  .tc_s = { RX, .flood = 1, LEARN },
	  .post = { { HO_NET, HV3, 51, A_NEW } } },
	{ "hostonly: IPv4 limited broadcast (DHCP discover) floods", 0, 51,
	  { .dst = BCAST, .src = HV1, .saddr = 0, .daddr = 0xffffffff,
	    .proto = IPPROTO_UDP, .sport = 68, .dport = 67, .payload = 240 },
	  HO_FLOOD(H51) },
	{ "hostonly: IPv4 subnet broadcast floods", 0, 52,
	  { HUDP(BCAST, HV2, HV2_IP, HO_BCAST_IP) }, HO_FLOOD(H52) },
	{ "hostonly: IPv4 multicast floods", 0, 51,
	  { HUDP(MDNS_MAC, HV1, HV1_IP, MDNS_IP) }, HO_FLOOD(H51) },
	{ "hostonly: unknown unicast floods in the network only", 0, 51,
	  { HUDP(M_U, HV1, HV1_IP, HV2_IP) }, HO_FLOOD(H51),
	  .post = { { HO_NET, M_U, 0, 0 } } },
	{ "hostonly: destination behind the ingress port: same-port", 0, 51,
	  { HUDP(HV2, HV1, HV1_IP, HV2_IP) }, HO_DROP(SAME_PORT),
	  .pre = { { HO_NET, HV2, 51, 0 } } },

	/* VM and host adapter. */
	{ "hostonly: VM to the gateway is delivered to the adapter", 0, 51,
	  { HUDP(HGW_MAC, HV1, HV1_IP, HGW_IP) }, HO_FWD },
	{ "hostonly: ICMP echo VM to the gateway", 0, 52,
	  { HECHO(HGW_MAC, HV2, HV2_IP, HGW_IP) }, HO_FWD },
	{ "hostonly: another inside address via the gateway MAC", 0, 51,
	  { HTCP(HGW_MAC, HV1, HV1_IP, HV2_IP) }, HO_FWD },
	{ "hostonly: subnet broadcast to the gateway MAC", 0, 51,
	  { HUDP(HGW_MAC, HV1, HV1_IP, HO_BCAST_IP) }, HO_FWD },
	{ "hostonly: gateway's IPv4 to a VM is delivered", 0, 53,
	  { HUDP(HV1, HGW_MAC, HGW_IP, HV1_IP) }, HO_FWD },
	{ "hostonly: gateway's ARP broadcast floods to the VMs", 0, 53,
	  { HARP(BCAST, HGW_MAC, HGW_IP, HV1_IP) }, HO_FLOOD(H53) },
	{ "hostonly: gateway's IPv6 link-local to a VM is delivered", 0, 53,
	  { H6(HV1, HGW_MAC, "fe80::1", "fe80::a") }, HO_FWD },

	/* IPv4 from a VM beyond the subnet: never, whatever the MAC. */
	{ "hostonly leaving: UDP to an outside address via the gateway", 0,
	  51, { HUDP(HGW_MAC, HV1, HV1_IP, R1) }, HO_DROP(HOSTONLY_OUT) },
	{ "hostonly leaving: TCP to the host's uplink address", 0, 51,
	  { HTCP(HGW_MAC, HV1, HV1_IP, OUT_IP) }, HO_DROP(HOSTONLY_OUT) },
	{ "hostonly leaving: ICMP echo to an outside address", 0, 52,
	  { HECHO(HGW_MAC, HV2, HV2_IP, FAR_IP) }, HO_DROP(HOSTONLY_OUT) },
	{ "hostonly leaving: to a nat network's VM address via the gateway",
	  0, 51, { HUDP(HGW_MAC, HV1, HV1_IP, VM1_IP) },
	  HO_DROP(HOSTONLY_OUT) },
	{ "hostonly leaving: later fragment to an outside address", 0, 51,
	  { HUDP(HGW_MAC, HV1, HV1_IP, R1), .payload = 600, .frag = 0x0021 },
	  HO_DROP(HOSTONLY_OUT) },
	{ "hostonly leaving: IPv4 options, outside address", 0, 51,
	  { HUDP(HGW_MAC, HV1, HV1_IP, R1), .opt = 2 },
	  HO_DROP(HOSTONLY_OUT) },
	{ "hostonly leaving: another subnet's broadcast, broadcast MAC", 0, 51,
	  { HUDP(BCAST, HV1, HV1_IP, IP4A(10, 255, 255, 255)) },
	  HO_DROP(HOSTONLY_OUT) },
	{ "hostonly leaving: outside address, unknown unicast MAC", 0, 51,
	  { HUDP(M_U, HV1, HV1_IP, R1) }, HO_DROP(HOSTONLY_OUT) },
	{ "hostonly leaving: outside address, another VM's MAC", 0, 51,
	  { HUDP(HV2, HV1, HV1_IP, R1) }, HO_DROP(HOSTONLY_OUT) },
	{ "hostonly leaving: outside source and destination", 0, 51,
	  { HUDP(HGW_MAC, HV1, FAR_IP, R1) }, HO_DROP(HOSTONLY_OUT) },
	/* The host strips priority tags (VID 0) and routes what they carry. */
	{ "hostonly leaving: priority-tagged IPv4 to an outside address", 0,
	  51, { HUDP(HGW_MAC, HV1, HV1_IP, R1) }, .tags = 1,
	  HO_DROP(HOSTONLY_OUT) },
	{ "hostonly leaving: two priority tags, IPv4 to an outside address",
	  0, 52, { HUDP(HGW_MAC, HV2, HV2_IP, R1) }, .tags = 2,
	  HO_DROP(HOSTONLY_OUT) },
	{ "hostonly leaving: three priority tags to the gateway MAC", 0, 52,
	  { HUDP(HGW_MAC, HV2, HV2_IP, R1) }, .tags = 3,
	  HO_DROP(HOSTONLY_OUT) },
	{ "hostonly: priority-tagged IPv4 to the gateway is delivered", 0, 52,
	  { HUDP(HGW_MAC, HV2, HV2_IP, HGW_IP) }, .tags = 1, HO_FWD },
	{ "hostonly: two priority tags, IPv4 VM to VM (tc verifies)", 0, 51,
	  { HUDP(HV2, HV1, HV1_IP, HV2_IP) }, .tags = 2, HO_FWD_TC },

	/* IPv6 from a VM: inside the network only. */
	{ "hostonly ipv6: to a global address via the gateway", 0, 51,
	  { H6(HGW_MAC, HV1, "fe80::a", "2001:db8::5") },
	  HO_DROP(IPV6_OUT) },
	{ "hostonly ipv6: ULA source, global address via the gateway", 0, 52,
	  { H6(HGW_MAC, HV2, "fd00::b", "2001:db8::5") },
	  HO_DROP(IPV6_OUT) },
	{ "hostonly ipv6: to a ULA address via the gateway", 0, 51,
	  { H6(HGW_MAC, HV1, "fd00::a", "fd00::1") }, HO_DROP(IPV6_OUT) },
	{ "hostonly ipv6: priority-tagged, global address via the gateway", 0,
	  52, { H6(HGW_MAC, HV2, "fe80::b", "2001:db8::5") }, .tags = 1,
	  HO_DROP(IPV6_OUT) },
	{ "hostonly ipv6: link-local to the gateway is delivered", 0, 51,
	  { H6(HGW_MAC, HV1, "fe80::a", "fe80::1") }, HO_FWD },
	{ "hostonly ipv6: link-local VM to VM", 0, 51,
	  { H6(HV2, HV1, "fe80::a", "fe80::b") }, HO_FWD },
	{ "hostonly ipv6: ULA VM to VM", 0, 51,
	  { H6(HV2, HV1, "fd00::a", "fd00::b") }, HO_FWD },
	{ "hostonly ipv6: neighbour solicitation floods in the network", 0, 51,
	  { H6(V6_SNM_B, HV1, "fd00::a", "ff02::1:ff00:b"), .type = 135 },
	  HO_FLOOD(H51) },

	/* From the host adapter: the host's own traffic, nothing routed. */
	{ "hostonly routed-in: IPv4 from an outside source", 0, 53,
	  { HUDP(HV1, HGW_MAC, R1, HV1_IP) }, HO_ROUTED_IN },
	{ "hostonly routed-in: IPv4 from the host's uplink address", 0, 53,
	  { HTCP(HV2, HGW_MAC, OUT_IP, HV2_IP) }, HO_ROUTED_IN },
	{ "hostonly routed-in: IPv4 from a nat network's VM", 0, 53,
	  { HUDP(HV1, HGW_MAC, VM1_IP, HV1_IP) }, HO_ROUTED_IN },
	{ "hostonly routed-in: outside source, subnet broadcast", 0, 53,
	  { HUDP(BCAST, HGW_MAC, FAR_IP, HO_BCAST_IP) }, HO_ROUTED_IN },
	{ "hostonly routed-in: priority-tagged, outside source", 0, 53,
	  { HUDP(HV1, HGW_MAC, R1, HV1_IP) }, .tags = 1, HO_ROUTED_IN },
	{ "hostonly routed-in: the NAT delivery mark opens no hostonly adapter",
	  K_TC, 53, { HUDP(HV1, HGW_MAC, R1, HV1_IP) },
	  .mark_in = XV_MARK_NAT_IN, HO_ROUTED_IN },
	{ "hostonly routed-in: IPv6 from a global source", 0, 53,
	  { H6(HV1, HGW_MAC, "2001:db8::1", "fe80::a") }, HO_ROUTED_IN },
	{ "hostonly routed-in: IPv6 from a ULA source", 0, 53,
	  { H6(HV1, HGW_MAC, "fd00::1", "fd00::a") }, HO_ROUTED_IN },
	{ "hostonly: gateway's IPv4 from another inside address passes", 0, 53,
	  { HUDP(HV2, HGW_MAC, IP4A(192, 168, 56, 2), HV2_IP) }, HO_FWD },
	{ "hostonly: gateway's IPv6 duplicate address detection floods", 0,
	  53, { H6(V6_SNM_1, HGW_MAC, "::", "ff02::1:ff00:1"), .type = 135 },
	  HO_FLOOD(H53) },

	/* A VM forging the MAC of another network's station. */
	{ "hostonly forged: ARP to a nat VM's MAC stays in the network", 0, 51,
	  { HARP(M_V1, HV1, HV1_IP, HV2_IP) }, HO_FLOOD(H51),
	  .post = { { HO_NET, M_V1, 0, 0 },
		    { NAT_NET, M_V1, 41, A_KEPT_FRESH } } },
	{ "hostonly forged: nat VM's MAC and address", 0, 51,
	  { HUDP(M_V1, HV1, HV1_IP, VM1_IP) }, HO_DROP(HOSTONLY_OUT) },
	{ "hostonly forged: inside address to the nat gateway's MAC", 0, 52,
	  { HUDP(GW_MAC, HV2, HV2_IP, HV1_IP) }, HO_FLOOD(H52) },
	{ "hostonly forged: IPv6 link-local to a nat VM's MAC", 0, 51,
	  { H6(M_V1, HV1, "fe80::a", "fe80::310a") }, HO_FLOOD(H51) },
	{ "hostonly forged: ARP to the nat uplink's MAC", 0, 51,
	  { HARP(UPL_MAC, HV1, HV1_IP, HGW_IP) }, HO_FLOOD(H51) },
	{ "hostonly forged: outside address to the nat uplink's MAC", 0, 51,
	  { HUDP(UPL_MAC, HV1, HV1_IP, R1) }, HO_DROP(HOSTONLY_OUT) },
	{ "hostonly forged: ARP to the bridge's host MAC", 0, 51,
	  { HARP(HOST1_MAC, HV1, HV1_IP, HGW_IP) }, HO_FLOOD(H51) },
	{ "hostonly forged: outside address to the bridge's host MAC", 0, 52,
	  { HTCP(HOST1_MAC, HV2, HV2_IP, R1) }, HO_DROP(HOSTONLY_OUT) },
	{ "hostonly forged: IPv6 global to the bridge's host MAC", 0, 51,
	  { H6(HOST1_MAC, HV1, "fd00::a", "2001:db8::5") }, HO_FLOOD(H51) },
	{ "hostonly forged: inside address to a LAN host's MAC", 0, 51,
	  { HUDP(M_L, HV1, HV1_IP, HV2_IP) }, HO_FLOOD(H51),
	  .post = { { 1, M_L, 10, A_KEPT_FRESH }, { HO_NET, M_L, 0, 0 } } },
	{ "hostonly forged: a bridge VM's MAC", 0, 52,
	  { HARP(M_B, HV2, HV2_IP, HV1_IP) }, HO_FLOOD(H52) },

	/* Stale FDB entries of the network pointing out of it. */
	{ "hostonly stale entry: to a nat VM's port", 0, 51,
	  { HARP(M_Y, HV1, HV1_IP, HV2_IP) }, HO_DROP(CROSS_NET),
	  STALE(M_Y, 41) },
	{ "hostonly stale entry: to the nat adapter", 0, 51,
	  { HUDP(M_Y, HV1, HV1_IP, HGW_IP) }, HO_DROP(CROSS_NET),
	  STALE(M_Y, 43) },
	{ "hostonly stale entry: to the bridge uplink", 0, 52,
	  { HARP(M_Y, HV2, HV2_IP, HV1_IP) }, HO_DROP(CROSS_NET),
	  STALE(M_Y, 10) },
	{ "hostonly stale entry: to a bridge VM's port", 0, 51,
	  { H6(M_Y, HV1, "fe80::a", "fe80::b") }, HO_DROP(CROSS_NET),
	  STALE(M_Y, 11) },
	{ "hostonly stale entry: the gateway's MAC to the bridge uplink", 0,
	  51, { HUDP(HGW_MAC, HV1, HV1_IP, HGW_IP) }, HO_DROP(CROSS_NET),
	  STALE(HGW_MAC, 10) },
	{ "hostonly stale entry: to the nat uplink (no network) floods", 0, 51,
	  { HARP(M_Y, HV1, HV1_IP, HV2_IP) }, HO_FLOOD(H51), STALE(M_Y, 40) },
	{ "hostonly stale entry: to a device that is no port floods", 0, 52,
	  { HARP(M_Y, HV2, HV2_IP, HV1_IP) }, HO_FLOOD(H52), STALE(M_Y, 30) },

	/* Into the network from the others. */
	{ "hostonly from the bridge uplink: a VM's MAC is unknown there", 0,
	  10, { HARP(HV1, M_L, IP4A(198, 18, 0, 9), HV1_IP) },
	  .xdp_ret = XDP_PASS, .tc_ret = TC_ACT_OK,
	  .clones = HOUT(D11) | HOUT(D12) | HOUT(D13) | HOUT(D14),
	  .xdp_s = { .xdp_pass = 1 }, .tc_s = { RX, .flood = 1 },
	  .post = { { 1, HV1, 0, 0 } } },
	{ "hostonly from the bridge uplink: stale entry to a VM's port", 0, 10,
	  { HARP(HV1, M_L, IP4A(198, 18, 0, 9), HV1_IP) },
	  .pre = { { 1, HV1, 51, 0 } },
	  .xdp_ret = XDP_DROP, .tc_ret = TC_ACT_SHOT,
	  .xdp_s = { RX, DROP(CROSS_NET) }, .tc_s = { RX, DROP(CROSS_NET) } },
	{ "hostonly from a nat VM: a VM's MAC is unknown there", 0, 41,
	  { HARP(HV1, M_V1, VM1_IP, HV1_IP) },
	  .xdp_ret = XDP_PASS, .tc_ret = TC_ACT_SHOT,
	  .clones = HOUT(D42) | HOUT(D43),
	  .xdp_s = { .xdp_pass = 1 }, .tc_s = { RX, .flood = 1 },
	  .post = { { NAT_NET, HV1, 0, 0 } } },
	{ "hostonly from a nat VM: stale entry to the adapter's port", 0, 41,
	  { HUDP(HGW_MAC, M_V1, VM1_IP, HGW_IP) },
	  .pre = { { NAT_NET, HGW_MAC, 53, 0 } },
	  .xdp_ret = XDP_DROP, .tc_ret = TC_ACT_SHOT,
	  .xdp_s = { RX, DROP(CROSS_NET) }, .tc_s = { RX, DROP(CROSS_NET) } },
	{ "hostonly from the nat uplink: for a VM's address, the host's", 0,
	  40, { HUDP(HV1, RTR_MAC, R1, HV1_IP) },
	  .xdp_ret = XDP_PASS, .tc_ret = TC_ACT_OK },
	/* The tag rules in the nat network. */
	{ "nat isolation: three priority tags to the gateway MAC", 0, 41,
	  { HUDP(GW_MAC, M_V1, VM1_IP, R1) }, .tags = 3,
	  HO_DROP(NAT_UNSUPPORTED) },
	{ "nat isolation: priority-tagged IPv6 global via the gateway", 0, 42,
	  { H6(GW_MAC, M_V2, "fe80::b", "2001:db8::5") }, .tags = 1,
	  HO_DROP(IPV6_OUT) },
	{ "nat isolation: priority-tagged IPv4 to the gateway is bridged", 0,
	  42, { HUDP(GW_MAC, M_V2, VM2_IP, GW_IP) }, .tags = 1,
	  .xdp_ret = XDP_PASS, .tc_ret = TC_ACT_REDIRECT,
	  .xdp_s = { .xdp_pass = 1 }, .tc_s = { RX, .fwd_tc = 1 } },
};

#pragma GCC diagnostic pop

/* ------------------------------------------------------------------------ */

static int ho_fd[HNDEVS];
static __u32 ho_ifx[HNDEVS];

static struct xv_net ho_net_def(void)
{
	struct xv_net n = {
		.mode = XV_MODE_HOSTONLY, .nports = 3, .ports = { 51, 52, 53 },
		.name = "lab", .subnet = htonl(HO_SUBNET),
		.mask = htonl(0xffffff00), .gateway = htonl(HGW_IP),
		.host_if = PEER_IFINDEX(53), .adapter = 53,
	};

	memcpy(n.host_mac, HGW_MAC, 6);
	return n;
}

/* The frame of fx: its npkt with VLAN tags put behind the MACs. */
static void ho_frame(struct frame *f, const struct ho_fx *fx)
{
	size_t n = fx->tags * 4;
	__u16 type;
	int i;

	npkt_frame(f, &fx->in);
	if (!n)
		return;
	type = get16(f->b + 12);
	memmove(f->b + 12 + n, f->b + 12, f->len - 12);
	for (i = 0; i < fx->tags; i++) {
		__u8 *t = f->b + 12 + 4 * i;

		put16(t, i == 0 && fx->tags > 1 ? ETH_P_8021AD : ETH_P_8021Q);
		put16(t + 2, 0);		/* PCP 0, DEI 0, VID 0 */
	}
	put16(f->b + 12 + n, type);
	f->len += n;
}

static int fdb_write_all(const struct fdb_ent *e, size_t n, __u64 seen)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (fdb_write(&e[i], seen))
			return -errno;
	return 0;
}

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * Each fixture of the array fxs through run() for the kinds it asks (K_XDP,
 * K_TC; 0: both), xdp first.
 */
#define RUN_ASKED_KINDS(fxs, run)					\
	do {								\
		size_t i_;						\
									\
		for (i_ = 0; i_ < NELEM(fxs); i_++) {			\
			unsigned int k_ = (fxs)[i_].kinds;		\
									\
			if (!k_ || (k_ & K_XDP))			\
				run(&(fxs)[i_], RUN_XDP);		\
			if (!k_ || (k_ & K_TC))				\
				run(&(fxs)[i_], RUN_TC);		\
		}							\
	} while (0)

static int ho_reset(const struct ho_fx *fx)
{
	struct xv_net n3 = nat_net_def(0), n4 = ho_net_def();
	__u64 now = now_coarse();
	__u32 key;
	size_t i;
	int err;

	if (nat_maps_clear())
		return -errno;
	key = NAT_NET;
	if (bpf_map_update_elem(fd_net, &key, &n3, BPF_ANY))
		return -errno;
	key = HO_NET;
	if (bpf_map_update_elem(fd_net, &key, &n4, BPF_ANY))
		return -errno;
	t_fresh = now - FRESH_AGE_NS;
	t_aged = now - 2 * AGEING_NS;
	if ((err = fdb_write_all(fdb_base, NELEM(fdb_base), t_fresh)) ||
	    (err = fdb_write_all(nat_fdb_base, NELEM(nat_fdb_base), t_fresh)) ||
	    (err = fdb_write_all(ho_fdb_base, NELEM(ho_fdb_base), t_fresh)))
		return err;
	for (i = 0; i < 2 && fx->pre[i].mac; i++)
		if (fdb_write(&fx->pre[i],
			      fx->pre[i].age == P_AGED ? t_aged : t_fresh))
			return -errno;
	return 0;
}

static void ho_clones_check(const struct frame *f, __u64 want,
			    struct result *r)
{
	unsigned int got[64] = {};
	int bit;

	frames_wait(ho_fd, HNDEVS, 32, f, got, want);
	for (bit = 0; bit < 64; bit++) {
		unsigned int exp = (want >> bit) & 1;

		if (got[bit] != exp)
			fail(r, "copies %s %u: expected %u got %u",
			     bit >= 32 ? "into" : "out of",
			     ho_ifx[bit % 32], exp, got[bit]);
	}
}

/* Network of a port, from the port table itself. */
static __u32 ho_net_of(__u32 ifindex)
{
	struct xv_port p;

	return bpf_map_lookup_elem(fd_port, &ifindex, &p) ? 0 : p.net;
}

/* A source seen on a host-only port is taught to no other network. */
static void ho_learned_nowhere_else(const __u8 *mac, struct result *r)
{
	__u32 net;
	char buf[18];

	for (net = 1; net < NSTAT_NETS; net++) {
		struct xv_fdb_key key = { .net = net };
		struct xv_fdb_val val;

		if (net == HO_NET)
			continue;
		memcpy(key.mac, mac, 6);
		if (!bpf_map_lookup_elem(fd_fdb, &key, &val))
			fail(r, "fdb (%u, %s): expected absent got port %u",
			     net, mac_str(mac, buf), val.ifindex);
	}
}

static void ho_run(const struct ho_fx *fx, enum run_kind kind)
{
	struct xv_stats before[NSTAT_NETS], after[NSTAT_NETS];
	struct nat_snap s0 = {}, s1 = {};
	struct fixture post = {};
	struct result r = {};
	struct frame f, out;
	__u32 net = ho_net_of(fx->ifindex), mark = fx->mark_in;
	__u64 t0, t1;
	int ret, err, want;

	ho_frame(&f, fx);
	err = ho_reset(fx);
	if (err) {
		printf("FAIL unit: %s [%s]: cannot prepare the maps: %s\n",
		       fx->what, kind_label[kind], strerror(-err));
		return;
	}
	nat_snap_take(&s0);
	if (stats_read(before))
		fail(&r, "stats: cannot read: %s", strerror(errno));
	frames_drain(ho_fd, HNDEVS);

	t0 = now_coarse();
	err = nat_test_run(kind, fx->ifindex, &f, &out, &ret, &mark);
	t1 = now_coarse();
	if (err) {
		fail(&r, "BPF_PROG_TEST_RUN: %s", strerror(-err));
		goto out;
	}
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
		/* No mark of ours (a foreign one on entry may stay). */
		if (mark && mark != fx->mark_in)
			fail(&r, "mark: expected 0 got %#x", mark);
	}
	frame_compare(&f, out.b, out.len, "unchanged", &r);
	ho_clones_check(&f, kind == RUN_XDP ? 0 : fx->clones, &r);
	if (stats_read(after))
		fail(&r, "stats: cannot read: %s", strerror(errno));
	else
		stats_check(before, after, net,
			    kind == RUN_XDP ? &fx->xdp_s : &fx->tc_s, f.len,
			    &r);
	memcpy(post.post, fx->post, sizeof(post.post));
	fdb_check(&post, t0, t1, &r);
	if (net == HO_NET)
		ho_learned_nowhere_else(fx->in.src, &r);
	nat_snap_take(&s1);
	nat_snap_check(&s0, &s1, &r);
out:
	nat_snap_free(&s0);
	nat_snap_free(&s1);
	if (r.failed)
		printf("FAIL unit: %s [%s]: %s\n", fx->what, kind_label[kind],
		       r.msg);
	else
		printf("PASS unit: %s [%s]\n", fx->what, kind_label[kind]);
}

static int ho_setup(void)
{
	struct xv_net n = ho_net_def();
	__u32 key = HO_NET;
	size_t i;
	int err, d;

	for (d = 0; d < HNDEVS; d++) {
		ho_fd[d] = d < NDEVS ? pkt_fd[d] : -1;
		ho_ifx[d] = d < NDEVS ? dev_ifindex[d] :
					ho_ports[d - H51].ifindex;
	}
	for (i = 0; i < NELEM(ho_ports); i++) {
		d = H51 + i;
		err = veth_create(ho_ifx[d]);
		if (err)
			return setup_fail("hostonly: create a veth pair", err);
		ho_fd[d] = pkt_open(ho_ifx[d]);
		if (ho_fd[d] < 0)
			return setup_fail("hostonly: packet socket", ho_fd[d]);
	}
	if (bpf_map_update_elem(fd_net, &key, &n, BPF_ANY))
		return setup_fail("hostonly: xv_net", errno);
	for (i = 0; i < NELEM(ho_ports); i++) {
		struct xv_port p = { .net = HO_NET,
				     .flags = ho_ports[i].flags };
		struct bpf_devmap_val tx = { .ifindex = ho_ports[i].ifindex };

		snprintf(p.name, sizeof(p.name), "xvu%u", ho_ports[i].ifindex);
		if (port_put(ho_ports[i].ifindex, &p))
			return setup_fail("hostonly: xv_port", errno);
		if (bpf_map_update_elem(fd_tx, &ho_ports[i].ifindex, &tx,
					BPF_ANY))
			return setup_fail("hostonly: xv_tx", errno);
	}
	return 0;
}

/* Close the packet sockets of 51-53 (those of 10-44 are unit_test.c's). */
static void ho_socks_close(void)
{
	int d;

	for (d = NDEVS; d < HNDEVS; d++)
		if (ho_fd[d] >= 0)
			close(ho_fd[d]);
}

static int hostonly_main(void)
{
	int ret = ho_setup();

	if (!ret)
		RUN_ASKED_KINDS(ho_fixtures, ho_run);
	ho_socks_close();
	return ret;
}
