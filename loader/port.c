// SPDX-License-Identifier: GPL-2.0
/* See port.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "attach.h"
#include "common.h"
#include "guard.h"
#include "log.h"
#include "nl.h"
#include "port.h"

static __u32 port_role(const struct xv_plan_port *p)
{
	__u32 flags = 0;

	if (p->uplink)
		flags |= XV_PORT_UPLINK;
	if (p->nat_uplink)
		flags |= XV_PORT_NAT_UPLINK;
	if (p->adapter)
		flags |= XV_PORT_ADAPTER;
	if (!flags)
		flags = XV_PORT_VM;
	if (!p->link.physical)
		flags |= XV_PORT_CSUM_VERIFY;
	return flags;
}

static int set_port(const struct xv_port_attach *a, __u32 ifindex,
		    const struct xv_port *val)
{
	struct bpf_devmap_val tx = { .ifindex = ifindex };
	int err;

	err = xv_journal_map_update(a->j, a->st->port_fd, &ifindex,
				    sizeof(ifindex), val, sizeof(*val));
	xv_gen_bump(a->st);
	if (err || !(val->flags & XV_PORT_XDP_TARGET))
		return err;
	return xv_journal_map_update(a->j, a->st->tx_fd, &ifindex,
				     sizeof(ifindex), &tx, sizeof(tx));
}

int xv_port_attach(const struct xv_port_attach *a,
		   const struct xv_plan_port *pp, const struct xv_port *old)
{
	bool bridge_uplink = pp->uplink &&
		a->cfg->nets[pp->net_index].mode == XV_MODE_BRIDGE;
	__u32 ifindex = pp->link.ifindex;
	struct xv_port val = {};
	enum xv_xdp_mode mode = XV_XDP_NONE;
	bool created = false;
	int err;

	val.net = a->net;
	val.flags = port_role(pp);
	val.addr = pp->nat_uplink ? pp->addr : 0;
	if (val.flags & XV_PORT_VM)
		xv_guard_port(&a->cfg->nets[pp->net_index], pp->link.name, &val);
	/* What we did earlier and still own stays ours to undo on down. */
	if (old)
		val.flags |= old->flags & XV_PORT_OWN_CLSACT;
	if (old && bridge_uplink)
		val.flags |= old->flags & XV_PORT_SET_PROMISC;
	if (a->own_link)
		val.flags |= XV_PORT_OWN_LINK;
	snprintf(val.name, sizeof(val.name), "%s", pp->link.name);
	err = set_port(a, ifindex, &val);
	if (err)
		return err;

	err = xv_journal_tc(a->j, ifindex, BPF_TC_INGRESS,
			    a->prog_tc_in,
			    &created);
	if (err) {
		pr_warn("%s: cannot attach the tc ingress program: %s\n",
			pp->link.name, strerror(-err));
		return err;
	}
	val.flags |= XV_PORT_ATT_TC_IN | (created ? XV_PORT_OWN_CLSACT : 0);

	/*
	 * Egress: a bridged uplink hands the host's frames to the VMs; a nat
	 * uplink translates what the host itself routes out from inside.
	 */
	if (bridge_uplink || pp->nat_uplink) {
		err = xv_journal_tc(a->j, ifindex, BPF_TC_EGRESS,
				    a->prog_tc_out,
				    &created);
		if (err) {
			pr_warn("%s: cannot attach the tc egress program: %s\n",
				pp->link.name, strerror(-err));
			return err;
		}
		val.flags |= XV_PORT_ATT_TC_OUT | (created ? XV_PORT_OWN_CLSACT : 0);
	}
	if (bridge_uplink) {
		if (!(pp->link.flags & IFF_PROMISC)) {
			err = xv_journal_promisc(a->j, ifindex, true);
			if (err) {
				pr_warn("%s: cannot turn on promiscuous mode: %s\n",
					pp->link.name, strerror(-err));
				return err;
			}
			val.flags |= XV_PORT_SET_PROMISC;
		}
	}

	if (pp->xdp) {
		err = xv_journal_xdp(a->j, ifindex, pp->link.name,
				     a->prog_xdp,
				     pp->xdp_generic_ok, &mode);
		if (err && mode == XV_XDP_NONE && pp->xdp_fallback_tc) {
			pr_info("%s: native XDP not available, using tc only\n",
				pp->link.name);
		} else if (err) {
			return err;
		} else {
			val.flags |= XV_PORT_ATT_XDP |
				     (mode == XV_XDP_GENERIC ? XV_PORT_ATT_XDP_SKB : 0);
		}
	}
	/*
	 * XDP may redirect into a tap always, into other ports running native
	 * XDP; into the host adapter's peer only if its other end has NAPI.
	 */
	if (pp->tun || (mode == XV_XDP_NATIVE && (!pp->adapter || a->peer_napi)))
		val.flags |= XV_PORT_XDP_TARGET;
	return set_port(a, ifindex, &val);
}


/* The id of the running network called name, 0 if it is not up. */
static __u32 net_id_of(const struct xv_state *st, const char *name,
		       struct xv_net *net)
{
	for (__u32 id = 1; id < XV_MAX_NETS; id++)
		if (!xv_state_net(st, id, net) && net->mode &&
		    !strncmp(net->name, name, XV_NAME_LEN))
			return id;
	return 0;
}

static int prog_pin(const char *pin_dir, const char *name)
{
	char path[4200];
	int fd;

	if (xv_pin_path(path, sizeof(path), pin_dir, name))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	if (fd < 0)
		pr_warn("%s: not pinned: %s\n", path, strerror(errno));
	return fd < 0 ? -errno : fd;
}

/* Interfaces a network uses that are no VM port of it. */
static bool reserved_name(const struct xv_config *cfg, const char *name)
{
	for (int i = 0; i < cfg->nnets; i++) {
		const struct xv_netcfg *n = &cfg->nets[i];

		if (!strcmp(n->uplink, name) || !strcmp(n->host_if, name) ||
		    !strcmp(n->adapter, name))
			return true;
	}
	return false;
}

static int add_locked(const struct xv_config *cfg, const struct xv_state *st,
		      int n, const struct xv_link *link)
{
	const struct xv_netcfg *nc = &cfg->nets[n];
	struct xv_port_attach a = { .st = st, .cfg = cfg, .prog_xdp = -1,
				    .prog_tc_in = -1, .prog_tc_out = -1 };
	struct xv_plan plan = {};
	struct xv_port cur;
	struct xv_net net;
	__u32 ifindex = link->ifindex;
	int err;

	a.net = net_id_of(st, nc->name, &net);
	if (!a.net) {
		pr_warn("network %s is not up (run xvnet up or reload)\n",
			nc->name);
		return -XV_EUSAGE;
	}
	if (!bpf_map_lookup_elem(st->port_fd, &ifindex, &cur)) {
		if (cur.net == a.net && (cur.flags & XV_PORT_VM)) {
			pr_info("%s: already a port of network %s\n",
				link->name, nc->name);
			return 0;
		}
		pr_warn("%s: already in use by xvnet (another network, or an uplink or host adapter)\n",
			link->name);
		return -XV_EUSAGE;
	}
	if (net.nports >= XV_MAX_PORTS) {
		pr_warn("network %s has %d member ports already; at most %d are supported\n",
			nc->name, net.nports, XV_MAX_PORTS);
		return -XV_EUSAGE;
	}
	err = xv_plan_single(cfg, n, link, &plan);
	if (err)
		return err;
	a.prog_xdp = prog_pin(cfg->pin_dir, "prog_xdp");
	a.prog_tc_in = prog_pin(cfg->pin_dir, "prog_tc_in");
	a.prog_tc_out = prog_pin(cfg->pin_dir, "prog_tc_out");
	a.j = xv_journal_new(cfg->pin_dir);
	err = a.prog_xdp < 0 ? a.prog_xdp : a.prog_tc_in < 0 ? a.prog_tc_in :
	      a.prog_tc_out < 0 ? a.prog_tc_out : !a.j ? -ENOMEM : 0;
	if (!err)
		err = xv_port_attach(&a, &plan.ports[0], NULL);
	if (!err) {
		net.ports[net.nports++] = ifindex;
		err = xv_journal_map_update(a.j, st->net_fd, &a.net,
					    sizeof(a.net), &net, sizeof(net));
	}
	if (err && a.j) {
		pr_warn("%s: cannot add it to network %s: %s; undone\n",
			link->name, nc->name, strerror(-err));
		xv_journal_rollback(a.j);
	}
	xv_gen_bump(st);	/* the port, and the network's member list */
	if (!err)
		pr_info("%s: port of network %s (%s)\n", link->name, nc->name,
			plan.ports[0].xdp ? "xdp and tc" : "tc");
	xv_journal_free(a.j);
	for (int *fd = &a.prog_xdp; fd <= &a.prog_tc_out; fd++)
		if (*fd >= 0)
			close(*fd);
	xv_plan_free(&plan);
	return err;
}

int xv_port_add(const struct xv_config *cfg, const char *net_name,
		const char *ifname)
{
	const struct xv_netcfg *nc = xv_config_find_net(cfg, net_name);
	struct xv_state st;
	struct xv_link link;
	int err;

	if (!nc) {
		pr_warn("no network named %s in %s\n", net_name, cfg->path);
		return -XV_EUSAGE;
	}
	if (reserved_name(cfg, ifname)) {
		pr_warn("%s is an uplink or host adapter in %s, not a VM port\n",
			ifname, cfg->path);
		return -XV_EUSAGE;
	}
	err = xv_link_by_name(ifname, &link);
	if (err) {
		pr_warn("%s: %s\n", ifname, err == -ENODEV ?
			"no such interface" : strerror(-err));
		return err == -ENODEV ? -XV_EUSAGE : err;
	}
	err = xv_state_open_running(cfg->pin_dir, &st);
	if (err)
		return err;
	err = add_locked(cfg, &st, nc - cfg->nets, &link);
	xv_state_close(&st);
	return err;
}

struct mac_set {
	__u8 (*macs)[6];
	int n;
};

static bool neigh_of_macs(const void *key, const void *val, const void *arg)
{
	const struct xv_neigh *nb = val;
	const struct mac_set *set = arg;

	for (int i = 0; i < set->n; i++)
		if (!memcmp(nb->mac, set->macs[i], 6))
			return true;
	return false;
}

/* Inside addresses of one network, those of the VMs behind a port. */
struct addr_set {
	__u32 net;
	__be32 *addrs;
	int n;
};

static bool addr_listed(const struct addr_set *set, __be32 addr)
{
	for (int i = 0; i < set->n; i++)
		if (set->addrs[i] == addr)
			return true;
	return false;
}

static bool flow_of_addrs(const void *key, const void *val, const void *arg)
{
	const struct xv_nat_flow_key *k = key;

	return addr_listed(arg, k->inside_addr);
}

static bool count_of_addrs(const void *key, const void *val, const void *arg)
{
	return addr_listed(arg, *(const __be32 *)key);
}

static bool port_of_addrs(__u32 index, const struct xv_nat_port *w,
			  const void *arg)
{
	const struct addr_set *set = arg;

	return w->mark != XV_NAT_MARK_STATIC && w->net == set->net &&
	       addr_listed(set, w->inside_addr);
}

/* The addresses xv_neigh has behind one of set's MACs in network net. */
static void addrs_of_macs(const struct xv_state *st, __u32 net,
			  const struct mac_set *macs, struct addr_set *set)
{
	struct xv_neigh_key key, next;
	struct xv_neigh nb;
	void *prev = NULL;
	int max;

	set->net = net;
	set->n = 0;
	set->addrs = NULL;
	max = st->neigh_fd >= 0 ? xv_map_capacity(st->neigh_fd) : 0;
	if (max <= 0)
		return;
	set->addrs = calloc(max, sizeof(*set->addrs));
	while (set->addrs && set->n < max &&
	       !bpf_map_get_next_key(st->neigh_fd, prev, &next)) {
		key = next;
		prev = &key;
		if (key.net == net &&
		    !bpf_map_lookup_elem(st->neigh_fd, &key, &nb) &&
		    neigh_of_macs(&key, &nb, macs) &&
		    !addr_listed(set, key.addr))
			set->addrs[set->n++] = key.addr;
	}
}

/* The MACs the FDB has on ifindex. */
static void macs_on(const struct xv_state *st, __u32 ifindex,
		    struct mac_set *set)
{
	struct xv_fdb_key key, next;
	struct xv_fdb_val val;
	void *prev = NULL;

	set->n = 0;
	set->macs = calloc(XV_MAX_MACS, 6);
	while (set->macs && set->n < XV_MAX_MACS &&
	       !bpf_map_get_next_key(st->fdb_fd, prev, &next)) {
		if (!bpf_map_lookup_elem(st->fdb_fd, &next, &val) &&
		    val.ifindex == ifindex)
			memcpy(set->macs[set->n++], next.mac, 6);
		key = next;
		prev = &key;
	}
}

int xv_port_forget(const struct xv_state *st, __u32 ifindex)
{
	struct addr_set addrs;
	struct mac_set set;
	struct xv_port p;
	struct xv_link link;
	struct xv_net net;
	int k = 0;

	if (bpf_map_lookup_elem(st->port_fd, &ifindex, &p))
		return -ENOENT;
	if (!(p.flags & XV_PORT_VM))
		return -EINVAL;
	if (!xv_state_net(st, p.net, &net) && net.mode) {
		for (int i = 0; i < net.nports && i < XV_MAX_PORTS; i++)
			if (net.ports[i] != ifindex)
				net.ports[k++] = net.ports[i];
		net.nports = k;
		bpf_map_update_elem(st->net_fd, &p.net, &net, BPF_ANY);
	}
	/*
	 * The VMs behind it are gone: so are their NAT sessions (flows, the
	 * counts of their addresses, then the ports the flows held).
	 * Forwards to them stay: they are the config's.
	 */
	macs_on(st, ifindex, &set);
	if (set.n && st->neigh_fd >= 0) {
		addrs_of_macs(st, p.net, &set, &addrs);
		if (addrs.n) {
			xv_map_purge(st->nat_flow_fd,
				     sizeof(struct xv_nat_flow_key),
				     sizeof(struct xv_nat_flow),
				     flow_of_addrs, &addrs);
			xv_map_purge(st->nat_count_fd, sizeof(__be32),
				     sizeof(__u32), count_of_addrs, &addrs);
			if (p.net && p.net < XV_MAX_NETS)
				xv_nat_ports_free(st, port_of_addrs, &addrs);
		}
		free(addrs.addrs);
		xv_map_purge(st->neigh_fd, sizeof(struct xv_neigh_key),
			     sizeof(struct xv_neigh), neigh_of_macs, &set);
	}
	free(set.macs);
	/* Gone with its interface: only the XDP link's pin is left to undo. */
	if (xv_link_by_index(ifindex, &link) == -ENODEV)
		p.flags &= ~(XV_PORT_ATT_TC_IN | XV_PORT_ATT_TC_OUT |
			     XV_PORT_OWN_CLSACT | XV_PORT_SET_PROMISC);
	xv_port_teardown(st, ifindex, &p);
	return 0;
}
