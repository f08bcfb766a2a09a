// SPDX-License-Identifier: GPL-2.0
/*
 * up and reload: make the running datapath match the config.
 *
 * Everything that can be checked is checked before anything changes (config,
 * interfaces, the verifier). Then every change goes through the journal, in
 * an order that never leaves a program without its map entries: maps first,
 * then attachments, then the program pins. A failure rolls the journal back.
 * Removals (ports and networks no longer configured) come last, once the new
 * state stands. Network ids are kept by name, so learned MACs survive, and
 * the NAT maps are pinned and reused, never cleared, so sessions survive.
 *
 * nat networks add three things: the host adapter (a veth pair created and
 * addressed here, journaled like everything else, its peer a member port),
 * the uplink as a translating port that is no member of the network, and
 * the port forwards: entries of xv_nat_fwd, both ways, and their outside
 * ports reserved in xv_nat_port.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "xvnet.skel.h"
#include "attach.h"
#include "bpffs.h"
#include "commands.h"
#include "common.h"
#include "config.h"
#include "dhcp.h"
#include "guard.h"
#include "journal.h"
#include "lock.h"
#include "log.h"
#include "nl.h"
#include "plan.h"
#include "port.h"
#include "state.h"

struct up_ctx {
	struct xv_config cfg;
	struct xv_plan plan;
	struct xv_state st;
	struct xvnet *skel;
	struct xv_journal *j;
	__u32 net_id[XV_MAX_NETS];	/* by config network index */
	struct xv_port_ent *old_ports;
	int nold_ports;
	struct xv_net old_nets[XV_MAX_NETS];	/* by id; mode 0 = unused */
	bool fresh;			/* nothing was pinned before */
	__u32 *seized;		/* xv_nat_port words forwards took from */
	int nseized;		/* dynamic mappings */
};

/* Keep each network's id across reloads (the FDB is keyed by it). */
static int assign_net_ids(struct up_ctx *c)
{
	bool used[XV_MAX_NETS] = { true };	/* id 0 means "none" */
	struct xv_net old;

	for (int n = 0; n < c->cfg.nnets; n++) {
		for (__u32 id = 1; !c->fresh && id < XV_MAX_NETS; id++) {
			if (xv_state_net(&c->st, id, &old) || !old.mode)
				continue;
			if (!strncmp(old.name, c->cfg.nets[n].name, XV_NAME_LEN)) {
				c->net_id[n] = id;
				used[id] = true;
			}
		}
	}
	for (int n = 0; n < c->cfg.nnets; n++) {
		__u32 id = 1;

		if (c->net_id[n])
			continue;
		while (id < XV_MAX_NETS && (used[id] ||
		       (!c->fresh && !xv_state_net(&c->st, id, &old) && old.mode)))
			id++;
		if (id >= XV_MAX_NETS)
			return -ENOSPC;
		c->net_id[n] = id;
		used[id] = true;
	}
	return 0;
}

static const struct xv_port *old_port(const struct up_ctx *c, __u32 ifindex)
{
	for (int i = 0; i < c->nold_ports; i++)
		if (c->old_ports[i].ifindex == ifindex)
			return &c->old_ports[i].val;
	return NULL;
}

static const struct xv_plan_adapter *adapter_of(const struct up_ctx *c, int n)
{
	for (int i = 0; i < c->plan.nadapters; i++)
		if (c->plan.adapters[i].net_index == n)
			return &c->plan.adapters[i];
	return NULL;
}

static __be32 prefix_mask(int prefix)
{
	return htonl(prefix ? ~0u << (32 - prefix) : 0);
}

static void build_net(const struct up_ctx *c, int n, struct xv_net *out)
{
	const struct xv_netcfg *nc = &c->cfg.nets[n];
	const struct xv_plan_adapter *a = adapter_of(c, n);
	const struct xv_plan_port *up = xv_plan_uplink(&c->plan, n);

	memset(out, 0, sizeof(*out));
	out->mode = nc->mode;
	snprintf(out->name, sizeof(out->name), "%s", nc->name);
	for (int i = 0; i < c->plan.nports; i++) {
		const struct xv_plan_port *p = &c->plan.ports[i];

		if (p->net_index != n)
			continue;
		if (p->uplink) {
			out->uplink = p->link.ifindex;
			memcpy(out->host_mac, p->link.mac, 6);
		}
		out->ports[out->nports++] = p->link.ifindex;
	}
	if (nc->mode == XV_MODE_NAT && up) {
		out->uplink = up->link.ifindex;	/* translated to, no member */
		out->nat_lo = nc->nat_port_lo;
		out->nat_hi = nc->nat_port_hi;
		out->max_sessions = nc->max_sessions;
		if (nc->nat_filter == XV_FILTER_EIM)
			out->flags |= XV_NET_NAT_EIF;
	}
	for (int i = 0; i < nc->nlocks; i++)
		if (nc->locks[i].addr)
			out->flags |= XV_NET_ADDR_LOCKS;
	if (a) {
		memcpy(out->host_mac, a->host.mac, 6);
		out->subnet = nc->subnet;
		out->mask = prefix_mask(nc->prefix);
		out->gateway = nc->gateway;
		out->host_if = a->host.ifindex;
		out->adapter = a->peer.ifindex;
	}
}

/*
 * The host adapter's MACs follow from the network name, so that the VMs'
 * ARP entry for the gateway stays right across down and up: locally
 * administered unicast, 0a:78:76 ("xv") host side, 0e:78:76 the peer,
 * then 24 bits of FNV-1a of the name.
 */
static void adapter_macs(const char *name, __u8 host[6], __u8 peer[6])
{
	__u32 h = 2166136261u;

	for (const char *c = name; *c; c++)
		h = (h ^ (__u8)*c) * 16777619u;
	host[0] = 0x0a;
	peer[0] = 0x0e;
	host[1] = peer[1] = 0x78;
	host[2] = peer[2] = 0x76;
	host[3] = peer[3] = h >> 16;
	host[4] = peer[4] = h >> 8;
	host[5] = peer[5] = h;
}

/*
 * The host adapter of network n: create the veth pair unless it is there
 * already, put the gateway address on the host side unless it has it,
 * bring both ends up, and make the peer a member port.
 */
static int make_adapter(struct up_ctx *c, struct xv_plan_adapter *a)
{
	const struct xv_netcfg *nc = &c->cfg.nets[a->net_index];
	struct xv_addr4 *addrs = NULL;
	bool have = false;
	int err, naddrs = 0;

	if (!a->exists) {
		__u8 hmac[6], pmac[6];

		adapter_macs(nc->name, hmac, pmac);
		err = xv_journal_veth(c->j, nc->host_if, nc->adapter, hmac, pmac);
		if (err) {
			pr_warn("%s: cannot create the host adapter of network %s (veth, peer %s): %s\n",
				nc->host_if, nc->name, nc->adapter, strerror(-err));
			return err;
		}
		a->created = true;
		err = xv_link_by_name(nc->adapter, &a->peer);
		if (!err)
			err = xv_link_no_ipv6_addr(a->peer.ifindex);
		if (err) {
			pr_warn("%s: cannot set up the host adapter's peer: %s\n",
				nc->adapter, strerror(-err));
			return err;
		}
	}
	err = xv_link_by_name(nc->host_if, &a->host);
	if (!err)
		err = xv_addr4_list(a->host.ifindex, &addrs, &naddrs);
	if (err) {
		pr_warn("%s: cannot read the host adapter: %s\n", nc->host_if,
			strerror(-err));
		return err;
	}
	for (int i = 0; i < naddrs; i++)
		have |= addrs[i].addr == nc->gateway &&
			addrs[i].prefix == nc->prefix;
	free(addrs);
	if (!have) {
		err = xv_journal_addr4(c->j, a->host.ifindex, nc->gateway,
				       nc->prefix);
		if (err) {
			char gw[INET_ADDRSTRLEN];

			inet_ntop(AF_INET, &nc->gateway, gw, sizeof(gw));
			pr_warn("%s: cannot add the gateway address %s/%d: %s\n",
				nc->host_if, gw, nc->prefix, strerror(-err));
			return err;
		}
	}
	if (!(a->host.flags & IFF_UP))
		err = xv_journal_link_up(c->j, a->host.ifindex);
	if (!err && !(a->peer.flags & IFF_UP))
		err = xv_journal_link_up(c->j, a->peer.ifindex);
	if (err) {
		pr_warn("%s: cannot bring the host adapter up: %s\n",
			nc->host_if, strerror(-err));
		return err;
	}
	/*
	 * bpf_fib_lookup() answers only for a device that forwards IPv4: the
	 * datapath routes the VMs' packets from the host side. The kernel
	 * itself never gets an outbound packet to route from there: the
	 * datapath translates it or drops it.
	 */
	if (nc->mode == XV_MODE_NAT) {
		err = xv_link_ipv4_forwarding(a->host.ifindex, true);
		if (err) {
			pr_warn("%s: cannot turn IPv4 forwarding on: %s\n",
				nc->host_if, strerror(-err));
			return err;
		}
	}
	/*
	 * GRO makes the host side NAPI-ready, so that XDP may redirect
	 * into the peer (a veth drops XDP frames towards a peer without).
	 */
	err = xv_ethtool_gro(nc->host_if, true);
	a->gro = !err;
	if (err)
		pr_info("%s: cannot turn GRO on (%s); XDP will not redirect to the host adapter\n",
			nc->host_if, strerror(-err));
	err = xv_link_by_index(a->host.ifindex, &a->host);
	if (!err)
		err = xv_link_by_index(a->peer.ifindex, &a->peer);
	if (!err)
		err = xv_plan_add_adapter(&c->cfg, &c->plan, a->net_index,
					  &a->peer);
	return err;
}

/* xv_tx is pinned by hand: see its definition in bpf/lib/maps.h. */
static int reuse_tx_map(struct up_ctx *c, bool *reused)
{
	char path[4200];
	int fd, err;

	*reused = false;
	err = xv_pin_path(path, sizeof(path), c->cfg.pin_dir, XV_MAP_TX);
	if (err)
		return err;
	bpf_map__set_pin_path(c->skel->maps.xv_tx, NULL);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	err = bpf_map__reuse_fd(c->skel->maps.xv_tx, fd);
	close(fd);
	*reused = !err;
	return err;
}

/*
 * The flow table's size (nat_sessions) is fixed when the table is made: a
 * running one of another size is neither reused nor dropped with its
 * sessions, and the change waits for down and up.
 */
static int size_flow_table(struct up_ctx *c)
{
	int line = c->cfg.key_line[XV_KEY_NAT_SESSIONS];
	char path[4200];
	int fd, held;

	xv_pin_path(path, sizeof(path), c->cfg.pin_dir, XV_MAP_NAT_FLOW);
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		held = xv_map_capacity(fd);
		close(fd);
		if (held > 0 && (__u32)held != c->cfg.nat_sessions) {
			if (line)
				pr_warn("%s:%d: nat_sessions %u, but the running flow table holds %d: it takes effect after xvnet down and up (which end the sessions)\n",
					c->cfg.path, line, c->cfg.nat_sessions,
					held);
			else
				pr_warn("%s: nat_sessions %u (the default), but the running flow table holds %d: it takes effect after xvnet down and up (which end the sessions)\n",
					c->cfg.path, c->cfg.nat_sessions, held);
			return -XV_EUSAGE;
		}
	}
	return bpf_map__set_max_entries(c->skel->maps.xv_nat_flow,
					c->cfg.nat_sessions);
}

static int load_programs(struct up_ctx *c)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = c->cfg.pin_dir);
	char path[4200];
	bool reused;
	int err;

	c->skel = xvnet__open_opts(&opts);
	if (!c->skel) {
		err = -errno;
		pr_warn("cannot open the BPF object: %s\n", strerror(errno));
		return err;
	}
	err = size_flow_table(c);
	if (err)
		return err;
	err = reuse_tx_map(c, &reused);
	if (err) {
		pr_warn("cannot reuse the pinned %s: %s\n", XV_MAP_TX,
			strerror(-err));
		return err;
	}
	err = xvnet__load(c->skel);
	if (err) {
		pr_warn("the kernel refused the BPF programs or maps: %s (verifier log above; after an upgrade, run xvnet down first)\n",
			strerror(-err));
		return err;
	}
	if (!reused) {
		xv_pin_path(path, sizeof(path), c->cfg.pin_dir, XV_MAP_TX);
		err = bpf_map__pin(c->skel->maps.xv_tx, path);
		if (err) {
			pr_warn("cannot pin %s: %s\n", path, strerror(-err));
			return err;
		}
	}
	return 0;
}

static int write_globals(struct up_ctx *c)
{
	const __u64 sec = 1000000000ULL;
	struct xv_cfg val = {
		.ageing_ns = c->cfg.ageing * sec,
		.udp_ns = c->cfg.udp_timeout * sec,
		.tcp_est_ns = c->cfg.tcp_established_timeout * sec,
		.tcp_trans_ns = c->cfg.tcp_transitory_timeout * sec,
		.icmp_ns = c->cfg.icmp_timeout * sec,
	};
	__u32 zero = 0;
	int err;

	err = xv_netns_cookie(&val.netns_cookie);
	if (err)
		return err;
	err = xv_journal_map_update(c->j, c->st.cfg_fd, &zero, sizeof(zero),
				    &val, sizeof(val));
	for (int n = 0; n < c->cfg.nnets && !err; n++) {
		struct xv_net net;

		build_net(c, n, &net);
		err = xv_journal_map_update(c->j, c->st.net_fd, &c->net_id[n],
					    sizeof(__u32), &net, sizeof(net));
		if (!err && net.mode == XV_MODE_NAT) {
			struct xv_subnet_key key = {
				.prefixlen = c->cfg.nets[n].prefix,
				.addr = c->cfg.nets[n].subnet,
			};

			err = xv_journal_map_update(c->j,
				bpf_map__fd(c->skel->maps.xv_subnet), &key,
				sizeof(key), &c->net_id[n], sizeof(__u32));
		}
	}
	return err;
}

/* Subnets of networks that are gone, or no longer nat, or moved. */
static void remove_stale_subnets(struct up_ctx *c)
{
	int fd = bpf_map__fd(c->skel->maps.xv_subnet);
	struct xv_subnet_key key, next, doomed[XV_MAX_NETS];
	void *prev = NULL;
	int ndoomed = 0;

	while (ndoomed < XV_MAX_NETS && !bpf_map_get_next_key(fd, prev, &next)) {
		bool keep = false;
		__u32 id;

		if (!bpf_map_lookup_elem(fd, &next, &id))
			for (int n = 0; n < c->cfg.nnets; n++)
				keep |= c->net_id[n] == id &&
					c->cfg.nets[n].mode == XV_MODE_NAT &&
					c->cfg.nets[n].prefix == next.prefixlen &&
					c->cfg.nets[n].subnet == next.addr;
		if (!keep)
			doomed[ndoomed++] = next;
		key = next;
		prev = &key;
	}
	while (ndoomed--)
		bpf_map_delete_elem(fd, &doomed[ndoomed]);
}

/* The host adapter's peer is ours to delete if we made it (now or before). */
static bool own_link(const struct up_ctx *c, const struct xv_plan_port *pp,
		     const struct xv_port *old)
{
	const struct xv_plan_adapter *a = adapter_of(c, pp->net_index);

	if (!pp->adapter || !a)
		return false;
	/*
	 * A pair with xvnet's names and no record is left over from an
	 * instance whose pins are gone: adopt it, down removes it.
	 */
	return a->created || !old || (old->flags & XV_PORT_OWN_LINK);
}

static int attach_port(struct up_ctx *c, const struct xv_plan_port *pp)
{
	const struct xv_port *old = old_port(c, pp->link.ifindex);
	const struct xv_plan_adapter *a = adapter_of(c, pp->net_index);
	struct xv_port_attach pa = {
		.j = c->j, .st = &c->st, .cfg = &c->cfg,
		.net = pp->net_index >= 0 ? c->net_id[pp->net_index] : 0,
		.prog_xdp = bpf_program__fd(c->skel->progs.xv_xdp_port),
		.prog_tc_in = bpf_program__fd(c->skel->progs.xv_tc_ingress),
		.prog_tc_out = bpf_program__fd(c->skel->progs.xv_tc_egress),
		.own_link = own_link(c, pp, old),
		.peer_napi = pp->adapter && a && a->gro,
	};

	return xv_port_attach(&pa, pp, old);
}

/*
 * The two xv_nat_fwd entries of forward f of network n: from outside
 * (uplink address, outside port) and from inside (VM address, VM port).
 */
static void forward_entries(const struct up_ctx *c, int n,
			    const struct xv_forward *f,
			    struct xv_nat_fwd_key *ik, struct xv_nat_fwd *iv,
			    struct xv_nat_fwd_key *ok, struct xv_nat_fwd *ov)
{
	const struct xv_plan_port *up = xv_plan_uplink(&c->plan, n);

	*ik = (struct xv_nat_fwd_key){ .addr = up->addr,
				       .port = htons(f->port),
				       .proto = f->proto,
				       .dir = XV_NAT_FWD_IN };
	*iv = (struct xv_nat_fwd){ .addr = f->addr, .port = htons(f->to_port),
				   .net = c->net_id[n] };
	*ok = (struct xv_nat_fwd_key){ .addr = f->addr,
				       .port = htons(f->to_port),
				       .proto = f->proto,
				       .dir = XV_NAT_FWD_OUT };
	*ov = (struct xv_nat_fwd){ .addr = up->addr, .port = htons(f->port),
				   .net = c->net_id[n] };
}

/*
 * Reserve forward f's outside port in xv_nat_port. A port a dynamic
 * mapping holds is taken from it: its flows end once up stands
 * (end_flows).
 */
static int reserve_port(struct up_ctx *c, const struct xv_forward *f)
{
	const struct xv_nat_port fixed = { .mark = XV_NAT_MARK_STATIC };
	const struct xv_nat_port zero = {};
	int i = xv_nat_port_index(f->proto, f->port);
	struct xv_nat_port old;
	__u32 key, *grown;

	if (i < 0)
		return -EINVAL;
	key = i;
	if (bpf_map_lookup_elem(c->st.nat_port_fd, &key, &old))
		return -errno;
	if (old.mark == XV_NAT_MARK_STATIC)
		return 0;	/* reserved already (or by another network) */
	if (memcmp(&old, &zero, sizeof(old))) {
		grown = realloc(c->seized, (c->nseized + 1) * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		c->seized = grown;
		c->seized[c->nseized++] = key;
	}
	return xv_journal_map_update(c->j, c->st.nat_port_fd, &key,
				     sizeof(key), &fixed, sizeof(fixed));
}

/*
 * The forwards: both xv_nat_fwd entries, then the outside port's word, so
 * that the datapath finds the entries of every port it sees reserved.
 */
static int write_forwards(struct up_ctx *c)
{
	struct xv_nat_fwd_key ik, ok;
	struct xv_nat_fwd iv, ov;
	int err = 0;

	for (int n = 0; n < c->cfg.nnets && !err; n++) {
		const struct xv_netcfg *nc = &c->cfg.nets[n];

		if (nc->mode != XV_MODE_NAT || !xv_plan_uplink(&c->plan, n))
			continue;
		for (int i = 0; i < nc->nforwards && !err; i++) {
			const char *map = XV_MAP_NAT_FWD;

			forward_entries(c, n, &nc->forwards[i], &ik, &iv, &ok,
					&ov);
			err = xv_journal_map_update(c->j, c->st.nat_fwd_fd, &ik,
						    sizeof(ik), &iv,
						    sizeof(iv));
			if (!err)
				err = xv_journal_map_update(c->j,
							    c->st.nat_fwd_fd,
							    &ok, sizeof(ok),
							    &ov, sizeof(ov));
			if (!err) {
				map = XV_MAP_NAT_PORT;
				err = reserve_port(c, &nc->forwards[i]);
			}
			if (err)
				pr_warn("%s:%d: cannot write the forward to %s: %s\n",
					c->cfg.path, nc->forwards[i].line,
					map, strerror(-err));
		}
	}
	return err;
}

/*
 * End the flows for which doomed(c, key, flow, arg) says so, but those of
 * a forward that stands (their endpoint's forward, on its port): no
 * session goes on leaving from an outside port that is no longer its
 * own, where replies would reach someone else. Their time is set far past
 * every timeout rather than the flows deleted: the datapath treats them
 * as expired, and the collector removes them with their addresses' counts
 * (max_sessions), which a deletion here would leave too high.
 */
static void end_flows(struct up_ctx *c,
		      bool (*doomed)(const struct up_ctx *c,
				     const struct xv_nat_flow_key *k,
				     const struct xv_nat_flow *f,
				     const void *arg),
		      const void *arg, const char *why)
{
	struct xv_nat_flow_key key, *ended;
	struct xv_nat_fwd_key fk;
	struct xv_nat_flow f;
	struct xv_nat_fwd fv;
	struct timespec ts;
	void *prev = NULL;
	int n = 0, max;
	__u64 dead;

	max = xv_map_capacity(c->st.nat_flow_fd);
	if (max <= 0)
		return;
	ended = calloc(max, sizeof(*ended));
	if (!ended)
		return;
	/* Collect first: rewriting an entry while walking may restart it. */
	while (n < max && !bpf_map_get_next_key(c->st.nat_flow_fd, prev,
						&ended[n])) {
		key = ended[n];
		prev = &key;
		if (bpf_map_lookup_elem(c->st.nat_flow_fd, &key, &f) ||
		    !doomed(c, &key, &f, arg))
			continue;
		fk = (struct xv_nat_fwd_key){ .addr = key.inside_addr,
					      .port = key.inside_port,
					      .proto = key.proto,
					      .dir = XV_NAT_FWD_OUT };
		if (!bpf_map_lookup_elem(c->st.nat_fwd_fd, &fk, &fv) &&
		    fv.port == f.outside_port)
			continue;
		n++;
	}
	/* 2^63 ns ahead: now - seen_ns, unsigned, is past every timeout. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	dead = (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec + (1ULL << 63);
	for (int i = 0; i < n; i++) {
		if (bpf_map_lookup_elem(c->st.nat_flow_fd, &ended[i], &f))
			continue;
		f.seen_ns = dead;
		bpf_map_update_elem(c->st.nat_flow_fd, &ended[i], &f,
				    BPF_EXIST);
	}
	if (n)
		pr_debug("%d NAT flow(s) ended: %s\n", n, why);
	free(ended);
}

/* A flow on an outside port a forward took from a dynamic mapping. */
static bool flow_seized(const struct up_ctx *c,
			const struct xv_nat_flow_key *k,
			const struct xv_nat_flow *f, const void *arg)
{
	int i = xv_nat_port_index(k->proto, ntohs(f->outside_port));

	for (int j = 0; i >= 0 && j < c->nseized; j++)
		if (c->seized[j] == (__u32)i)
			return true;
	return false;
}

/* Removed forwards: their entries from inside (VM endpoint -> port). */
struct gone_fwds {
	const struct xv_nat_fwd_key *key;
	const struct xv_nat_fwd *val;
	int n;
};

/* A flow of a removed forward: its VM endpoint, on its outside port. */
static bool flow_of_gone_fwd(const struct up_ctx *c,
			     const struct xv_nat_flow_key *k,
			     const struct xv_nat_flow *f, const void *arg)
{
	const struct gone_fwds *g = arg;

	for (int i = 0; i < g->n; i++)
		if (g->key[i].dir == XV_NAT_FWD_OUT &&
		    g->key[i].addr == k->inside_addr &&
		    g->key[i].port == k->inside_port &&
		    g->key[i].proto == k->proto &&
		    g->val[i].port == f->outside_port)
			return true;
	return false;
}

/* Is this xv_nat_fwd entry one the config has (key and value)? */
static bool forward_configured(const struct up_ctx *c,
			       const struct xv_nat_fwd_key *key,
			       const struct xv_nat_fwd *v)
{
	struct xv_nat_fwd_key ik, ok;
	struct xv_nat_fwd iv, ov;

	for (int n = 0; n < c->cfg.nnets; n++) {
		const struct xv_netcfg *nc = &c->cfg.nets[n];

		if (nc->mode != XV_MODE_NAT || !xv_plan_uplink(&c->plan, n))
			continue;
		for (int i = 0; i < nc->nforwards; i++) {
			const struct xv_nat_fwd *want;

			forward_entries(c, n, &nc->forwards[i], &ik, &iv, &ok,
					&ov);
			want = key->dir == XV_NAT_FWD_IN ? &iv : &ov;
			if (!memcmp(key, key->dir == XV_NAT_FWD_IN ? &ik : &ok,
				    sizeof(*key)) &&
			    v->addr == want->addr && v->port == want->port &&
			    v->net == want->net)
				return true;
		}
	}
	return false;
}

/* A reserved port that no forward has (left): free again. */
static bool unreserved(__u32 index, const struct xv_nat_port *w,
		       const void *arg)
{
	return w->mark == XV_NAT_MARK_STATIC && !((const bool *)arg)[index];
}

/*
 * Forwards the config no longer has (and the flows that used them), and
 * the reservations of the outside ports that no forward (of any network)
 * has any more; dynamic sessions stay.
 */
static void remove_stale_forwards(struct up_ctx *c)
{
	int fd = c->st.nat_fwd_fd, n = 0, max, i;
	struct xv_nat_fwd_key key, next, *doomed;
	struct xv_nat_fwd val, *vals;
	struct gone_fwds gone;
	void *prev = NULL;
	bool *reserved;

	max = fd >= 0 ? xv_map_capacity(fd) : -ENOENT;
	if (max <= 0)
		return;
	doomed = calloc(max, sizeof(*doomed));
	vals = calloc(max, sizeof(*vals));
	reserved = calloc(XV_NAT_PORTS, sizeof(*reserved));
	if (!doomed || !vals || !reserved)
		goto out;
	while (n < max && !bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (!bpf_map_lookup_elem(fd, &key, &val) &&
		    !forward_configured(c, &key, &val)) {
			doomed[n] = key;
			vals[n++] = val;
		}
	}
	for (i = 0; i < n; i++)
		bpf_map_delete_elem(fd, &doomed[i]);
	if (n) {
		gone = (struct gone_fwds){ .key = doomed, .val = vals, .n = n };
		end_flows(c, flow_of_gone_fwd, &gone,
			  "their forwards are gone");
	}
	prev = NULL;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		i = xv_nat_port_index(key.proto, ntohs(key.port));
		if (key.dir == XV_NAT_FWD_IN && i >= 0)
			reserved[i] = true;
	}
	xv_nat_ports_free(&c->st, unreserved, reserved);
out:
	free(reserved);
	free(vals);
	free(doomed);
}

static bool planned(const struct up_ctx *c, __u32 ifindex)
{
	for (int i = 0; i < c->plan.nports; i++)
		if ((__u32)c->plan.ports[i].link.ifindex == ifindex)
			return true;
	return false;
}

static int mask_prefix(__be32 mask)
{
	return __builtin_popcount(ntohl(mask));
}

/*
 * A network kept by name whose settings changed: the old gateway address
 * leaves a reused host adapter, and sessions of an old subnet (or of a
 * network that is no longer nat) go.
 */
static void stale_net_parts(struct up_ctx *c, int n, const struct xv_net *old)
{
	const struct xv_netcfg *nc = &c->cfg.nets[n];
	const struct xv_plan_adapter *a = adapter_of(c, n);
	__be32 mask = prefix_mask(nc->prefix);

	if (a && old->host_if == (__u32)a->host.ifindex && old->gateway &&
	    (old->gateway != nc->gateway || old->mask != mask))
		xv_addr4_del(a->host.ifindex, old->gateway,
			     mask_prefix(old->mask));
	if (old->mode == XV_MODE_NAT &&
	    (nc->mode != XV_MODE_NAT || old->subnet != nc->subnet ||
	     old->mask != mask))
		xv_nat_purge_net(&c->st, c->net_id[n], old->subnet, old->mask);
}

/* After the new state stands: drop what the config no longer has. */
static void remove_stale(struct up_ctx *c)
{
	struct xv_net net;

	for (int i = 0; i < c->nold_ports; i++) {
		struct xv_port_ent *e = &c->old_ports[i];
		struct xv_port cur;

		if (!planned(c, e->ifindex)) {
			pr_info("%s: no longer configured, detaching\n", e->val.name);
			xv_port_teardown(&c->st, e->ifindex, &e->val);
			continue;
		}
		/* Still a port: XDP no longer wanted, or no longer a target. */
		if (bpf_map_lookup_elem(c->st.port_fd, &e->ifindex, &cur))
			continue;
		if ((e->val.flags & XV_PORT_ATT_XDP) && !(cur.flags & XV_PORT_ATT_XDP))
			xv_xdp_detach(c->st.pin_dir, e->ifindex);
		if ((e->val.flags & XV_PORT_ATT_TC_OUT) && !(cur.flags & XV_PORT_ATT_TC_OUT))
			xv_tc_detach(e->ifindex, BPF_TC_EGRESS);
		if ((e->val.flags & XV_PORT_SET_PROMISC) && !(cur.flags & XV_PORT_SET_PROMISC))
			xv_link_set_promisc(e->ifindex, false);
		if (!(cur.flags & XV_PORT_XDP_TARGET))
			bpf_map_delete_elem(c->st.tx_fd, &e->ifindex);
		if (e->val.net != cur.net)
			xv_fdb_purge(&c->st, e->ifindex, 0);
	}
	for (__u32 id = 1; id < XV_MAX_NETS; id++) {
		const struct xv_net *old = &c->old_nets[id];
		int kept = -1;

		if (!old->mode)
			continue;
		for (int n = 0; n < c->cfg.nnets; n++)
			if (c->net_id[n] == id)
				kept = n;
		if (kept >= 0) {
			stale_net_parts(c, kept, old);
			continue;
		}
		memset(&net, 0, sizeof(net));
		bpf_map_update_elem(c->st.net_fd, &id, &net, BPF_ANY);
		xv_fdb_purge(&c->st, 0, id);
		if (old->mode == XV_MODE_NAT)
			xv_nat_purge_net(&c->st, id, old->subnet, old->mask);
	}
	remove_stale_forwards(c);
	xv_guard_remove_stale_locks(c->st.lock_fd, &c->cfg, &c->plan, c->net_id);
}

/*
 * Arm the NAT collector (bpf/lib/gc.h) with this load's programs: a timer
 * in the pinned xv_gc map that outlives us. Re-arming after a reload only
 * moves it to the new program.
 */
static int start_collector(struct up_ctx *c)
{
	unsigned char frame[64] = { [12] = 0x08 };
	LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = frame,
		    .data_size_in = sizeof(frame));
	int err;

	err = bpf_prog_test_run_opts(bpf_program__fd(c->skel->progs.xv_gc_start),
				     &run);
	if (err) {
		err = -errno;
		pr_warn("cannot start the NAT collector: %s\n", strerror(errno));
		return err;
	}
	if (run.retval) {
		pr_warn("cannot start the NAT collector: the timer helpers said %d\n",
			(int)run.retval);
		return -EINVAL;
	}
	return 0;
}

static void remove_fresh_pins(struct up_ctx *c)
{
	char path[4200];

	if (c->skel)
		bpf_object__unpin_maps(c->skel->obj, NULL);
	if (!xv_pin_path(path, sizeof(path), c->cfg.pin_dir, XV_MAP_TX))
		unlink(path);
	rmdir(c->cfg.pin_dir);
}

static int apply(struct up_ctx *c)
{
	int err;

	err = xv_state_open(c->cfg.pin_dir, &c->st);
	if (!err) {
		err = xv_state_check_netns(&c->st);
		if (!err)
			err = xv_state_ports(&c->st, &c->old_ports, &c->nold_ports);
		for (__u32 id = 1; id < XV_MAX_NETS && !err; id++)
			xv_state_net(&c->st, id, &c->old_nets[id]);
		if (!err)
			err = assign_net_ids(c);
		xv_state_close(&c->st);
		if (err)
			return err;
	} else {
		c->fresh = true;
		err = assign_net_ids(c);
		if (err)
			return err;
	}

	err = load_programs(c);
	if (err)
		goto fail_fresh;
	err = xv_state_open(c->cfg.pin_dir, &c->st);
	if (err) {
		pr_warn("%s: maps not pinned after load: %s\n", c->cfg.pin_dir,
			strerror(-err));
		goto fail_fresh;
	}
	c->j = xv_journal_new(c->cfg.pin_dir);
	if (!c->j) {
		err = -ENOMEM;
		goto fail_fresh;
	}
	if (c->st.nat_port_fd < 0 || c->st.nat_fwd_fd < 0 ||
	    c->st.nat_flow_fd < 0 || c->st.neigh_fd < 0 ||
	    c->st.guard_fd < 0 || c->st.lock_fd < 0) {
		pr_warn("%s: the NAT and guard maps are not pinned after load\n",
			c->cfg.pin_dir);
		err = -ENOENT;
		goto fail_fresh;
	}
	err = 0;
	for (int i = 0; i < c->plan.nadapters && !err; i++)
		err = make_adapter(c, &c->plan.adapters[i]);
	if (!err)
		err = write_globals(c);
	for (int i = 0; i < c->plan.nports && !err; i++)
		err = attach_port(c, &c->plan.ports[i]);
	if (!err)
		err = write_forwards(c);
	if (!err)
		err = xv_guard_write_locks(c->j, c->st.lock_fd, &c->cfg, &c->plan,
					   c->net_id);
	if (!err)
		err = xv_journal_pin(c->j, "prog_xdp",
				     bpf_program__fd(c->skel->progs.xv_xdp_port));
	if (!err)
		err = xv_journal_pin(c->j, "prog_tc_in",
				     bpf_program__fd(c->skel->progs.xv_tc_ingress));
	if (!err)
		err = xv_journal_pin(c->j, "prog_tc_out",
				     bpf_program__fd(c->skel->progs.xv_tc_egress));
	if (!err)
		err = start_collector(c);
	/* Last: the host adapters have their addresses by now. */
	if (!err)
		err = xv_dhcp_apply(c->j, &c->cfg);
	if (err) {
		pr_warn("rolling back: %s\n", strerror(-err));
		xv_journal_rollback(c->j);
		xv_gen_bump(&c->st);
		goto fail_fresh;
	}
	if (c->nseized)
		end_flows(c, flow_seized, NULL, "forwards took their ports");
	remove_stale(c);
	remove_stale_subnets(c);
	xv_dhcp_remove_stale(&c->cfg);
	/* Networks and locks changed too: no copy made before them serves. */
	xv_gen_bump(&c->st);
	return 0;

fail_fresh:
	if (c->fresh)
		remove_fresh_pins(c);
	return err;
}

static int up_or_reload(struct xv_opts *o, bool reload)
{
	struct up_ctx c = {};
	struct stat sb;
	int err, lock;

	c.st.port_fd = -1;
	c.st.gen_fd = -1;
	err = xv_config_load(o->config, &c.cfg);
	if (err)
		return -XV_EUSAGE;
	/* Before looking at anything: what we see must still hold when we act. */
	lock = xv_lock_take(c.cfg.pin_dir);
	if (lock < 0) {
		xv_config_free(&c.cfg);
		return lock;
	}
	err = xv_config_check_host(&c.cfg);
	if (!err)
		err = xv_dhcp_check_host(&c.cfg);
	if (!err)
		err = xv_plan_build(&c.cfg, &c.plan);
	if (err)
		goto out;
	xv_plan_warn_forwards(&c.cfg, &c.plan);
	if (reload && xv_state_open(c.cfg.pin_dir, &c.st)) {
		pr_warn("%s: xvnet is not up; nothing to reload\n", c.cfg.pin_dir);
		err = -XV_EUSAGE;
		goto out;
	}
	xv_state_close(&c.st);
	err = xv_bpffs_prepare(c.cfg.pin_dir);
	if (err)
		goto out;
	err = apply(&c);
	if (!err)
		pr_info("xvnet %s: %d network(s), %d port(s)\n",
			reload ? "reloaded" : "up", c.cfg.nnets, c.plan.nports);
out:
	/* A failed up where nothing runs leaves nothing, its run directory too. */
	xv_lock_release(lock, c.cfg.pin_dir, err && stat(c.cfg.pin_dir, &sb));
	xv_journal_free(c.j);
	xv_state_close(&c.st);
	if (c.skel)
		xvnet__destroy(c.skel);
	free(c.old_ports);
	free(c.seized);
	xv_plan_free(&c.plan);
	xv_config_free(&c.cfg);
	return err;
}

int xv_cmd_up(struct xv_opts *o)
{
	return up_or_reload(o, false);
}

int xv_cmd_reload(struct xv_opts *o)
{
	return up_or_reload(o, true);
}
