// SPDX-License-Identifier: GPL-2.0
/*
 * The packet fuzzer's world: a private network namespace holding every
 * kind of port of every mode, the host stack's addresses and routes that
 * bpf_fib_lookup consults, and the datapath's maps filled as the loader
 * would fill them (tests/unit/unit_test.c and nat_fixtures.c do the same
 * for their fixtures). Device N's veth peer is N + 100; the host adapters
 * are the pairs 23/123, 33/133 and 43/143 (peer = the host side, host_if).
 *
 *   net 1 lan  bridge    uplink 10 (also the nat uplink of net 4), VMs 11 12
 *   net 2 nat  nat       uplink 20 (no member), VMs 21 22, adapter 23,
 *                        192.168.100.0/24 as 203.0.113.2, filtering APD
 *   net 3 lab  hostonly  VMs 31 32, adapter 33, 192.168.56.0/24
 *   net 4 nat2 nat       uplink 10 (shared), VM 41, adapter 43,
 *                        192.168.200.0/24 as 198.18.0.2, 8 ports, EIF
 *   net 5 dmz  bridge    uplink 50, VM 51
 *   60: a device that is no port
 *
 * Routes: 198.18.0.0/24 on 10, 203.0.113.0/24 on 20 (default route via
 * 203.0.113.1), 198.19.0.0/24 on 50, each subnet on its host_if;
 * forwarding on everywhere (the most the host could do).
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <linux/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "nl.h"
#include "pf.h"
#include "pf_nl.h"
#include "test_nl.h"
#include "xvnet_traced.skel.h"

#define IP4(a, b, c, d)	((__u32)(a) << 24 | (__u32)(b) << 16 | \
			 (__u32)(c) << 8 | (__u32)(d))
#define MAC(a, b)	{ 0x02, 0xf0, 0, 0, a, b }
#define SEC_NS		1000000000ULL

#define GW2		MAC(2, 1)	/* the host adapters (host_if) */
#define GW3		MAC(3, 1)
#define GW4		MAC(4, 1)

#define VM		XV_PORT_VM
#define UPL		XV_PORT_UPLINK
#define NATUPL		XV_PORT_NAT_UPLINK
#define ADP		XV_PORT_ADAPTER
#define TGT		XV_PORT_XDP_TARGET
#define CSUM		XV_PORT_CSUM_VERIFY

const struct pf_dev pf_devs[] = {
	{ 10, 1, UPL | NATUPL | TGT, true, MAC(1, 0), IP4(198, 18, 0, 2), 24, 0 },
	{ 11, 1, VM | CSUM | TGT, true, MAC(1, 0x11), 0, 0, 0 },
	{ 12, 1, VM | CSUM, false, MAC(1, 0x12), 0, 0, 0 },
	{ 20, 0, NATUPL, false, MAC(2, 0), IP4(203, 0, 113, 2), 24, 0 },
	{ 21, 2, VM | CSUM | TGT, true, MAC(2, 0x21), 0, 0, 0 },
	{ 22, 2, VM | CSUM, false, MAC(2, 0x22), 0, 0, 0 },
	{ 23, 2, ADP | CSUM | TGT, true, MAC(2, 0x23), 0, 0, 0 },
	{ 123, 0, 0, false, GW2, IP4(192, 168, 100, 1), 24, 2 },
	{ 31, 3, VM | CSUM | TGT, true, MAC(3, 0x31), 0, 0, 0 },
	{ 32, 3, VM | CSUM, false, MAC(3, 0x32), 0, 0, 0 },
	{ 33, 3, ADP | CSUM | TGT, true, MAC(3, 0x33), 0, 0, 0 },
	{ 133, 0, 0, false, GW3, IP4(192, 168, 56, 1), 24, 3 },
	{ 41, 4, VM | CSUM | TGT, true, MAC(4, 0x41), 0, 0, 0 },
	{ 43, 4, ADP | CSUM, false, MAC(4, 0x43), 0, 0, 0 },
	{ 143, 0, 0, false, GW4, IP4(192, 168, 200, 1), 24, 4 },
	{ 50, 5, UPL | TGT, true, MAC(5, 0), IP4(198, 19, 0, 2), 24, 0 },
	{ 51, 5, VM | CSUM | TGT, true, MAC(5, 0x51), 0, 0, 0 },
	{ 60, 0, 0, false, MAC(6, 0), 0, 0, 0 },
};
const size_t pf_ndevs = sizeof(pf_devs) / sizeof(pf_devs[0]);

const struct pf_net pf_nets[PF_NETS] = {
	[1] = { .id = 1, .mode = XV_MODE_BRIDGE, .uplink = 10,
		.ports = { 10, 11, 12 }, .nports = 3 },
	[2] = { .id = 2, .mode = XV_MODE_NAT, .uplink = 20, .host_if = 123,
		.adapter = 23, .subnet = IP4(192, 168, 100, 0), .prefix = 24,
		.gateway = IP4(192, 168, 100, 1),
		.outside = IP4(203, 0, 113, 2), .nat_lo = 20000,
		.nat_hi = 20255, .ports = { 21, 22, 23 }, .nports = 3 },
	[3] = { .id = 3, .mode = XV_MODE_HOSTONLY, .host_if = 133,
		.adapter = 33, .subnet = IP4(192, 168, 56, 0), .prefix = 24,
		.gateway = IP4(192, 168, 56, 1), .ports = { 31, 32, 33 },
		.nports = 3 },
	[4] = { .id = 4, .mode = XV_MODE_NAT, .uplink = 10, .host_if = 143,
		.adapter = 43, .subnet = IP4(192, 168, 200, 0), .prefix = 24,
		.gateway = IP4(192, 168, 200, 1),
		.outside = IP4(198, 18, 0, 2), .nat_lo = 30000, .nat_hi = 30007,
		.flags = XV_NET_NAT_EIF, .ports = { 41, 43 }, .nports = 2 },
	[5] = { .id = 5, .mode = XV_MODE_BRIDGE, .uplink = 50,
		.ports = { 50, 51 }, .nports = 2 },
};

#define VMMAC(n, p)	{ 0x02, 0xf1, 0, 0, n, p }

const struct pf_vm pf_vms[] = {
	{ 11, 1, VMMAC(1, 0x11), IP4(198, 18, 0, 11) },
	{ 12, 1, VMMAC(1, 0x12), IP4(198, 18, 0, 12) },
	{ 21, 2, VMMAC(2, 0x21), IP4(192, 168, 100, 21) },
	{ 22, 2, VMMAC(2, 0x22), IP4(192, 168, 100, 22) },
	{ 31, 3, VMMAC(3, 0x31), IP4(192, 168, 56, 31) },
	{ 32, 3, VMMAC(3, 0x32), IP4(192, 168, 56, 32) },
	{ 41, 4, VMMAC(4, 0x41), IP4(192, 168, 200, 41) },
	{ 51, 5, VMMAC(5, 0x51), IP4(198, 19, 0, 51) },
};
const size_t pf_nvms = sizeof(pf_vms) / sizeof(pf_vms[0]);

const struct pf_map pf_maps[] = {
	{ 2, IPPROTO_UDP, IP4(192, 168, 100, 21), 5353, 20001,
	  IP4(198, 51, 100, 1), 53, PF_MAP_LIVE },
	{ 2, IPPROTO_TCP, IP4(192, 168, 100, 21), 33000, 20002,
	  IP4(198, 51, 100, 1), 80, PF_MAP_LIVE },
	{ 2, IPPROTO_ICMP, IP4(192, 168, 100, 22), 0x4242, 20003,
	  IP4(198, 51, 100, 2), 0, PF_MAP_LIVE_OLD },
	{ 2, IPPROTO_UDP, IP4(192, 168, 100, 21), 7777, 20004,
	  IP4(198, 51, 100, 3), 7, PF_MAP_EXPIRED },
	{ 2, IPPROTO_UDP, IP4(192, 168, 100, 22), 6000, 20005,
	  IP4(198, 51, 100, 3), 7, PF_MAP_DYING },
	{ 2, IPPROTO_TCP, IP4(192, 168, 100, 22), 80, 8080, 0, 0,
	  PF_MAP_STATIC },
	{ 2, IPPROTO_UDP, IP4(192, 168, 100, 99), 5000, 5000, 0, 0,
	  PF_MAP_STATIC },
	{ 4, IPPROTO_UDP, IP4(192, 168, 200, 41), 4000, 30001,
	  IP4(198, 18, 0, 1), 4000, PF_MAP_LIVE },
	{ 4, IPPROTO_TCP, IP4(192, 168, 200, 41), 22, 2222, 0, 0,
	  PF_MAP_STATIC },
};
const size_t pf_nmaps = sizeof(pf_maps) / sizeof(pf_maps[0]);

/*
 * The VM ports' guard, as loader/guard.c writes it: nat and hostonly
 * networks default to spoofcheck, but net 4 has it off (so that forged
 * sources reach its NAT); 22 is locked to its MAC and address; 12 is a
 * bridge port with spoofcheck and room for 4 MACs; 32 may flood 100 frames
 * a second; 51 has no limits at all.
 */
static const struct {
	__u32 ifindex, flags;
	__u16 max_macs;
	__u32 flood_pps, lock_addr;
} guards[] = {
	{ 11, 0, 64, 10000, 0 },
	{ 12, XV_PORT_SPOOFCHECK, 4, 10000, 0 },
	{ 21, XV_PORT_SPOOFCHECK, 64, 10000, 0 },
	{ 22, XV_PORT_SPOOFCHECK | XV_PORT_LOCK_MAC, 64, 10000,
	  IP4(192, 168, 100, 22) },
	{ 31, XV_PORT_SPOOFCHECK, 64, 10000, 0 },
	{ 32, XV_PORT_SPOOFCHECK, 64, 100, 0 },
	{ 41, 0, 64, 10000, 0 },
	{ 51, 0, 0, 0, 0 },
};

/* Routers and hosts on the uplinks' LANs: 10 (two), 20, 50. */
const __u8 pf_lan_macs[][6] = {
	{ 0x02, 0xf2, 0, 0, 1, 1 }, { 0x02, 0xf2, 0, 0, 1, 2 },
	{ 0x02, 0xf2, 0, 0, 2, 1 }, { 0x02, 0xf2, 0, 0, 5, 1 },
};
const size_t pf_nlan_macs = sizeof(pf_lan_macs) / sizeof(pf_lan_macs[0]);

const __u8 pf_forged_macs[][6] = {
	{ 0x02, 0xf3, 0, 0, 0, 1 }, { 0x02, 0xf3, 0, 0, 0, 2 },
	{ 0x02, 0xf3, 0, 0, 0, 3 }, { 0x02, 0xf3, 0, 0, 0, 4 },
	{ 0x02, 0xf3, 0, 0, 0, 5 }, { 0x02, 0xf3, 0, 0, 0, 6 },
	{ 0x02, 0xf3, 0, 0, 0, 7 },
};
const size_t pf_nforged = sizeof(pf_forged_macs) / sizeof(pf_forged_macs[0]);

static const __u8 gw2[6] = GW2, gw3[6] = GW3, gw4[6] = GW4;

/* Entries of the FDB before every round: (network, MAC, port). */
static const struct {
	__u32 net;
	const __u8 *mac;
	__u32 ifindex;
} fdb_base[] = {
	{ 1, pf_lan_macs[0], 10 }, { 1, pf_lan_macs[1], 10 },
	{ 5, pf_lan_macs[3], 50 },
	/* the host adapters' own MACs, learned on the adapter ports */
	{ 2, gw2, 23 }, { 3, gw3, 33 }, { 4, gw4, 43 },
	/* forged: each points out of its network, or at no port */
	{ 1, pf_forged_macs[0], 21 }, { 3, pf_forged_macs[1], 10 },
	{ 3, pf_forged_macs[2], 133 }, { 2, pf_forged_macs[3], 20 },
	{ 4, pf_forged_macs[4], 10 }, { 2, pf_forged_macs[5], 31 },
	{ 5, pf_forged_macs[6], 11 },
};

const __u32 pf_remotes[] = {
	IP4(198, 51, 100, 1), IP4(198, 51, 100, 2), IP4(198, 51, 100, 3),
	IP4(203, 0, 113, 1), IP4(203, 0, 113, 9), IP4(198, 18, 0, 1),
	IP4(198, 18, 0, 7), IP4(198, 19, 0, 1), IP4(198, 19, 0, 9),
	IP4(203, 0, 113, 200),
};
const size_t pf_nremotes = sizeof(pf_remotes) / sizeof(pf_remotes[0]);

/* LAN routers the host's routes point at: (device, address, MAC). */
static const struct {
	__u32 ifindex, addr;
	const __u8 *mac;
} routers[] = {
	{ 10, IP4(198, 18, 0, 1), pf_lan_macs[0] },
	{ 20, IP4(203, 0, 113, 1), pf_lan_macs[2] },
	{ 50, IP4(198, 19, 0, 1), pf_lan_macs[3] },
};

const struct pf_dev *pf_dev(__u32 ifindex)
{
	size_t i;

	for (i = 0; i < pf_ndevs; i++)
		if (pf_devs[i].ifindex == ifindex)
			return &pf_devs[i];
	return NULL;
}

const struct pf_net *pf_net(__u32 id)
{
	return id < PF_NETS && pf_nets[id].mode ? &pf_nets[id] : NULL;
}

static __u32 mask_of(__u8 prefix)
{
	return prefix ? ~0u << (32 - prefix) : 0;
}

const struct pf_net *pf_nat_net_of(__u32 addr)
{
	int i;

	for (i = 1; i < PF_NETS; i++)
		if (pf_nets[i].mode == XV_MODE_NAT &&
		    (addr & mask_of(pf_nets[i].prefix)) == pf_nets[i].subnet)
			return &pf_nets[i];
	return NULL;
}

bool pf_host_addr(__u32 addr)
{
	size_t i;

	if ((addr >> 24) == 127 || addr == 0xffffffff)
		return true;
	for (i = 0; i < pf_ndevs; i++) {
		const struct pf_dev *d = &pf_devs[i];

		if (d->addr && (addr == d->addr ||
				addr == (d->addr | ~mask_of(d->prefix))))
			return true;
	}
	return false;
}

__u32 pf_route(__u32 daddr, __u32 *mtu)
{
	size_t i;

	*mtu = 1500;
	if (pf_host_addr(daddr) || (daddr >> 28) == 0xe)
		return 0;
	for (i = 0; i < pf_ndevs; i++) {
		const struct pf_dev *d = &pf_devs[i];

		if (d->addr && (daddr & mask_of(d->prefix)) ==
			       (d->addr & mask_of(d->prefix)))
			return d->ifindex;
	}
	return 20;	/* the default route */
}

bool pf_is_uplink(__u32 ifindex)
{
	const struct pf_dev *d = pf_dev(ifindex);
	int i;

	if (d && (d->flags & (XV_PORT_UPLINK | XV_PORT_NAT_UPLINK)))
		return true;
	for (i = 1; i < PF_NETS; i++)
		if (pf_nets[i].mode && pf_nets[i].uplink == ifindex)
			return true;
	return false;
}

/* ---- maps ------------------------------------------------------------------ */

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (__u64)ts.tv_sec * SEC_NS + (__u64)ts.tv_nsec;
}

static int fill_static(struct xvnet_traced *skel)
{
	struct xv_cfg cfg = {
		.ageing_ns = 300 * SEC_NS, .udp_ns = 300 * SEC_NS,
		.tcp_est_ns = 7440 * SEC_NS, .tcp_trans_ns = 240 * SEC_NS,
		.icmp_ns = 60 * SEC_NS,
	};
	int fd_port = bpf_map__fd(skel->maps.xv_port);
	int fd_tx = bpf_map__fd(skel->maps.xv_tx);
	__u32 key = 0, i, j;

	if (bpf_map_update_elem(bpf_map__fd(skel->maps.xv_cfg), &key, &cfg, 0))
		return -errno;
	for (i = 1; i < PF_NETS; i++) {
		const struct pf_net *p = &pf_nets[i];
		const struct pf_dev *h = pf_dev(p->host_if);
		struct xv_net n = {
			.mode = p->mode, .uplink = p->uplink,
			.nports = (__u16)p->nports,
			.subnet = htonl(p->subnet),
			.mask = htonl(mask_of(p->prefix)),
			.gateway = htonl(p->gateway), .host_if = p->host_if,
			.adapter = p->adapter, .nat_lo = p->nat_lo,
			.nat_hi = p->nat_hi, .flags = p->flags,
		};

		snprintf(n.name, sizeof(n.name), "net%u", i);
		for (j = 0; j < p->nports; j++)
			n.ports[j] = p->ports[j];
		/* as the loader: a network with a locked address says so */
		for (j = 0; j < sizeof(guards) / sizeof(guards[0]); j++)
			if (guards[j].lock_addr && pf_dev(guards[j].ifindex) &&
			    pf_dev(guards[j].ifindex)->net == i)
				n.flags |= XV_NET_ADDR_LOCKS;
		/* bridge: the uplink's MAC; nat, hostonly: the adapter's */
		memcpy(n.host_mac, h ? h->mac : pf_dev(p->uplink)->mac, 6);
		if (bpf_map_update_elem(bpf_map__fd(skel->maps.xv_net), &i, &n, 0))
			return -errno;
		if (p->mode == XV_MODE_NAT) {
			struct xv_subnet_key sk = { .prefixlen = p->prefix,
						    .addr = htonl(p->subnet) };

			if (bpf_map_update_elem(bpf_map__fd(skel->maps.xv_subnet),
						&sk, &i, 0))
				return -errno;
		}
	}
	for (i = 0; i < pf_ndevs; i++) {
		const struct pf_dev *d = &pf_devs[i];
		struct xv_port p = { .net = d->net, .flags = d->flags };
		struct bpf_devmap_val tx = { .ifindex = d->ifindex };

		if (!d->flags)
			continue;
		snprintf(p.name, sizeof(p.name), "xf%u", d->ifindex);
		if (d->flags & XV_PORT_NAT_UPLINK)
			p.addr = htonl(d->addr);
		for (j = 0; j < sizeof(guards) / sizeof(guards[0]); j++) {
			const struct pf_vm *vm = &pf_vms[0];
			struct xv_lock_key lk = { .net = d->net,
						  .addr = htonl(guards[j].lock_addr) };

			if (guards[j].ifindex != d->ifindex)
				continue;
			p.flags |= guards[j].flags;
			p.max_macs = guards[j].max_macs;
			p.flood_pps = guards[j].flood_pps;
			p.lock_addr = lk.addr;
			while (vm->port != d->ifindex)
				vm++;
			memcpy(p.lock_mac, vm->mac, 6);
			if (lk.addr &&
			    bpf_map_update_elem(bpf_map__fd(skel->maps.xv_lock),
						&lk, &d->ifindex, 0))
				return -errno;
		}
		if (bpf_map_update_elem(fd_port, &d->ifindex, &p, 0))
			return -errno;
		if (d->tx && bpf_map_update_elem(fd_tx, &d->ifindex, &tx, 0))
			return -errno;
	}
	return 0;
}

static int map_clear(int fd)
{
	__u8 key[64];

	while (!bpf_map_get_next_key(fd, NULL, key))
		if (bpf_map_delete_elem(fd, key))
			return -errno;
	return 0;
}

static __u64 timeout_ns(__u8 proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return 7440 * SEC_NS;
	case IPPROTO_UDP:
		return 300 * SEC_NS;
	default:
		return 60 * SEC_NS;
	}
}

/*
 * The collector's state, as xv_gc_start leaves it (a fixed salt, so that a
 * seed replays), its timer never armed: the fuzzer's tables change only
 * by the runs it makes and by its resets.
 */
#define PF_EPOCH	7
#define PF_SALT		0x5eed5a17u

static int write_map(struct xvnet_traced *skel, const struct pf_map *e,
		     __u64 now)
{
	const struct pf_net *n = &pf_nets[e->net];
	__u32 key = (__u32)xv_nat_port_index(e->proto, e->out_port);
	struct xv_nat_port w = { .inside_addr = htonl(e->in_ip),
				 .inside_port = htons(e->in_port),
				 .net = (__u8)e->net, .mark = PF_EPOCH };
	struct xv_nat_flow_key fk = {
		.inside_addr = htonl(e->in_ip), .remote_addr = htonl(e->remote),
		.inside_port = htons(e->in_port), .proto = e->proto,
		.remote_port = e->proto == IPPROTO_ICMP ? 0 : htons(e->rport),
	};
	struct xv_nat_flow f = { .outside_port = htons(e->out_port),
				 .state = XV_NAT_ESTABLISHED,
				 .seen_ns = now - SEC_NS / 10 };

	switch (e->kind) {
	case PF_MAP_STATIC: {
		struct xv_nat_fwd_key in = { .addr = htonl(n->outside),
					     .port = htons(e->out_port),
					     .proto = e->proto,
					     .dir = XV_NAT_FWD_IN };
		struct xv_nat_fwd_key out = { .addr = htonl(e->in_ip),
					      .port = htons(e->in_port),
					      .proto = e->proto,
					      .dir = XV_NAT_FWD_OUT };
		struct xv_nat_fwd to_vm = { .addr = out.addr, .port = out.port,
					    .net = e->net };
		struct xv_nat_fwd to_out = { .addr = in.addr, .port = in.port,
					     .net = e->net };
		int fd = bpf_map__fd(skel->maps.xv_nat_fwd);

		w = (struct xv_nat_port){ .mark = XV_NAT_MARK_STATIC };
		if (bpf_map_update_elem(fd, &in, &to_vm, 0) ||
		    bpf_map_update_elem(fd, &out, &to_out, 0))
			return -errno;
		break;
	}
	case PF_MAP_LIVE_OLD:
		w.mark = PF_EPOCH - 1;
		break;
	case PF_MAP_DYING:
		f.seen_ns = now - timeout_ns(e->proto) - 2 * SEC_NS;
		break;
	case PF_MAP_EXPIRED:
		f.seen_ns = now - timeout_ns(e->proto) - 2 * SEC_NS;
		w.mark = PF_EPOCH - 2;
		break;
	}
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.xv_nat_port), &key, &w,
				0))
		return -errno;
	if (e->remote &&
	    bpf_map_update_elem(bpf_map__fd(skel->maps.xv_nat_flow), &fk, &f, 0))
		return -errno;
	return 0;
}

/*
 * Every port the datapath may have claimed free again: it claims only
 * ports of a nat network's range (nat_map_get), so those, of every
 * protocol, are zeroed (an array has nothing to delete); the words of
 * pf_maps are written again after.
 */
static int ports_clear(struct xvnet_traced *skel)
{
	int fd = bpf_map__fd(skel->maps.xv_nat_port);
	static const __u8 protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP };
	struct xv_nat_port zero = {};
	__u32 i, p, key;

	for (i = 1; i < PF_NETS; i++) {
		if (pf_nets[i].mode != XV_MODE_NAT)
			continue;
		for (p = 0; p < sizeof(protos); p++)
			for (key = (__u32)xv_nat_port_index(protos[p],
							    pf_nets[i].nat_lo);
			     key <= (__u32)xv_nat_port_index(protos[p],
							     pf_nets[i].nat_hi);
			     key++)
				if (bpf_map_update_elem(fd, &key, &zero, 0))
					return -errno;
	}
	return 0;
}

int pf_topo_reset(struct xvnet_traced *skel)
{
	__u64 now = now_ns(), fresh = now - SEC_NS / 10;
	int fd_fdb = bpf_map__fd(skel->maps.xv_fdb);
	int fd_neigh = bpf_map__fd(skel->maps.xv_neigh);
	struct xv_gc gc = { .salt = PF_SALT, .epoch = PF_EPOCH };
	__u32 zero = 0;
	size_t i;
	int err;

	if ((err = map_clear(fd_fdb)) ||
	    (err = map_clear(bpf_map__fd(skel->maps.xv_nat_flow))) ||
	    (err = map_clear(bpf_map__fd(skel->maps.xv_nat_fwd))) ||
	    (err = map_clear(bpf_map__fd(skel->maps.xv_nat_count))) ||
	    (err = ports_clear(skel)) ||
	    (err = map_clear(bpf_map__fd(skel->maps.xv_nat_frag))) ||
	    (err = map_clear(bpf_map__fd(skel->maps.xv_guard))) ||
	    (err = map_clear(fd_neigh)))
		return err;
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.xv_gc), &zero, &gc, 0))
		return -errno;
	for (i = 0; i < sizeof(fdb_base) / sizeof(fdb_base[0]); i++) {
		struct xv_fdb_key k = { .net = fdb_base[i].net };
		struct xv_fdb_val v = { .ifindex = fdb_base[i].ifindex,
					.seen_ns = fresh };

		memcpy(k.mac, fdb_base[i].mac, 6);
		if (bpf_map_update_elem(fd_fdb, &k, &v, 0))
			return -errno;
	}
	for (i = 0; i < pf_nvms; i++) {
		const struct pf_vm *vm = &pf_vms[i];
		struct xv_fdb_key k = { .net = vm->net };
		struct xv_fdb_val v = { .ifindex = vm->port, .seen_ns = fresh };
		struct xv_neigh_key nk = { .net = vm->net,
					   .addr = htonl(vm->ip) };
		struct xv_neigh nv = { .seen_ns = fresh };

		memcpy(k.mac, vm->mac, 6);
		memcpy(nv.mac, vm->mac, 6);
		if (bpf_map_update_elem(fd_fdb, &k, &v, 0))
			return -errno;
		if (pf_nets[vm->net].mode == XV_MODE_NAT &&
		    bpf_map_update_elem(fd_neigh, &nk, &nv, 0))
			return -errno;
	}
	for (i = 0; i < pf_nmaps; i++)
		if ((err = write_map(skel, &pf_maps[i], now)))
			return err;
	return 0;
}

/* ---- the namespace ----------------------------------------------------------- */

static int setup_fail(const char *what, int err)
{
	fprintf(stderr, "packet_fuzz: setup: %s: %s\n", what,
		strerror(err < 0 ? -err : err));
	return err < 0 ? err : -err;
}

static int make_devices(void)
{
	static const __u8 idle[6] = { 0x02, 0xfe, 0, 0, 0, 0 };
	__u8 peer_mac[6];
	size_t i;
	int err;

	for (i = 0; i < pf_ndevs; i++) {
		const struct pf_dev *d = &pf_devs[i], *peer;

		if (d->ifindex >= 100)
			continue;	/* made as a peer */
		peer = pf_dev(d->ifindex + 100);
		memcpy(peer_mac, peer ? peer->mac : idle, 6);
		if (!peer)
			peer_mac[5] = (__u8)d->ifindex;
		err = pf_nl_veth(d->ifindex, d->ifindex + 100, d->mac, peer_mac);
		if (err)
			return setup_fail("veth pair", err);
	}
	for (i = 0; i < pf_ndevs; i++) {
		const struct pf_dev *d = &pf_devs[i];

		if (d->addr && (err = xv_addr4_add((int)d->ifindex,
						   htonl(d->addr), d->prefix)))
			return setup_fail("address", err);
	}
	for (i = 0; i < sizeof(routers) / sizeof(routers[0]); i++)
		if ((err = xvt_nl_neigh(routers[i].ifindex, routers[i].addr,
					routers[i].mac)))
			return setup_fail("neighbour", err);
	if ((err = xvt_nl_default_route(20, IP4(203, 0, 113, 1))))
		return setup_fail("default route", err);
	return 0;
}

static int print_libbpf(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level != LIBBPF_WARN)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int pf_topo_setup(struct xvnet_traced **out)
{
	struct xvnet_traced *skel;
	struct bpf_map *map;
	int err;

	if (unshare(CLONE_NEWNET))
		return setup_fail("unshare(CLONE_NEWNET)", errno);
	xvt_sysctl("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
	xvt_sysctl("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
	if ((err = xvt_sysctl("/proc/sys/net/ipv4/conf/all/forwarding", "1")) ||
	    (err = xvt_sysctl("/proc/sys/net/ipv4/conf/default/forwarding", "1")))
		return setup_fail("forwarding", err);
	err = make_devices();
	if (err)
		return err;

	libbpf_set_print(print_libbpf);
	skel = xvnet_traced__open();
	if (!skel)
		return setup_fail("open the skeleton", errno);
	bpf_object__for_each_map(map, skel->obj)
		if ((err = bpf_map__set_pin_path(map, NULL)))
			return setup_fail("unpin a map", err);
	if ((err = xvnet_traced__load(skel)))
		return setup_fail("load the traced datapath", err);
	*out = skel;
	if ((err = fill_static(skel)))
		return setup_fail("fill the maps", err);
	if ((err = pf_topo_reset(skel)))
		return setup_fail("reset the maps", err);
	return 0;
}
