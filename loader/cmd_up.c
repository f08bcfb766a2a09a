// SPDX-License-Identifier: GPL-2.0
/*
 * up and reload: make the running datapath match the config.
 *
 * Everything that can be checked is checked before anything changes (config,
 * interfaces, the verifier). Then every change goes through the journal, in
 * an order that never leaves a program without its map entries: maps first,
 * then attachments, then the program pins. A failure rolls the journal back.
 * Removals (ports and networks no longer configured) come last, once the new
 * state stands. Network ids are kept by name, so learned MACs survive.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "xvnet.skel.h"
#include "attach.h"
#include "bpffs.h"
#include "commands.h"
#include "common.h"
#include "config.h"
#include "journal.h"
#include "log.h"
#include "nl.h"
#include "plan.h"
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
	bool fresh;			/* nothing was pinned before */
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

static void build_net(const struct up_ctx *c, int n, struct xv_net *out)
{
	const struct xv_netcfg *nc = &c->cfg.nets[n];

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
	struct xv_cfg val = { .ageing_ns = (__u64)c->cfg.ageing * 1000000000ULL };
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
	}
	return err;
}

static __u32 port_role(const struct xv_plan_port *p)
{
	__u32 flags = p->uplink ? XV_PORT_UPLINK : XV_PORT_VM;

	if (!p->link.physical)
		flags |= XV_PORT_CSUM_VERIFY;
	return flags;
}

static int set_port(struct up_ctx *c, __u32 ifindex, const struct xv_port *val)
{
	struct bpf_devmap_val tx = { .ifindex = ifindex };
	int err;

	err = xv_journal_map_update(c->j, c->st.port_fd, &ifindex,
				    sizeof(ifindex), val, sizeof(*val));
	if (err || !(val->flags & XV_PORT_XDP_TARGET))
		return err;
	return xv_journal_map_update(c->j, c->st.tx_fd, &ifindex,
				     sizeof(ifindex), &tx, sizeof(tx));
}

/* Attach one port; p->flags gains the ATT_* bits of what was done. */
static int attach_port(struct up_ctx *c, const struct xv_plan_port *pp)
{
	const struct xv_port *old = old_port(c, pp->link.ifindex);
	const struct xv_netcfg *nc = &c->cfg.nets[pp->net_index];
	__u32 ifindex = pp->link.ifindex;
	struct xv_port val = {};
	enum xv_xdp_mode mode = XV_XDP_NONE;
	bool created = false;
	int err;

	val.net = c->net_id[pp->net_index];
	val.flags = port_role(pp);
	/* What we did earlier and still own stays ours to undo on down. */
	if (old)
		val.flags |= old->flags & (XV_PORT_OWN_CLSACT | XV_PORT_SET_PROMISC);
	snprintf(val.name, sizeof(val.name), "%s", pp->link.name);
	err = set_port(c, ifindex, &val);
	if (err)
		return err;

	err = xv_journal_tc(c->j, ifindex, BPF_TC_INGRESS,
			    bpf_program__fd(c->skel->progs.xv_tc_ingress),
			    &created);
	if (err) {
		pr_warn("%s: cannot attach the tc ingress program: %s\n",
			pp->link.name, strerror(-err));
		return err;
	}
	val.flags |= XV_PORT_ATT_TC_IN | (created ? XV_PORT_OWN_CLSACT : 0);

	if (pp->uplink && nc->mode == XV_MODE_BRIDGE) {
		err = xv_journal_tc(c->j, ifindex, BPF_TC_EGRESS,
				    bpf_program__fd(c->skel->progs.xv_tc_egress),
				    &created);
		if (err) {
			pr_warn("%s: cannot attach the tc egress program: %s\n",
				pp->link.name, strerror(-err));
			return err;
		}
		val.flags |= XV_PORT_ATT_TC_OUT | (created ? XV_PORT_OWN_CLSACT : 0);
		if (!(pp->link.flags & 0x100 /* IFF_PROMISC */)) {
			err = xv_journal_promisc(c->j, ifindex, true);
			if (err) {
				pr_warn("%s: cannot turn on promiscuous mode: %s\n",
					pp->link.name, strerror(-err));
				return err;
			}
			val.flags |= XV_PORT_SET_PROMISC;
		}
	}

	if (pp->xdp) {
		err = xv_journal_xdp(c->j, ifindex, pp->link.name,
				     bpf_program__fd(c->skel->progs.xv_xdp_port),
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
	/* XDP may redirect into a tap always, into other ports running native XDP. */
	if (pp->tun || mode == XV_XDP_NATIVE)
		val.flags |= XV_PORT_XDP_TARGET;
	return set_port(c, ifindex, &val);
}

static bool planned(const struct up_ctx *c, __u32 ifindex)
{
	for (int i = 0; i < c->plan.nports; i++)
		if ((__u32)c->plan.ports[i].link.ifindex == ifindex)
			return true;
	return false;
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
		if (!(cur.flags & XV_PORT_XDP_TARGET))
			bpf_map_delete_elem(c->st.tx_fd, &e->ifindex);
		if (e->val.net != cur.net)
			xv_fdb_purge(&c->st, e->ifindex, 0);
	}
	for (__u32 id = 1; id < XV_MAX_NETS; id++) {
		bool kept = false;

		if (xv_state_net(&c->st, id, &net) || !net.mode)
			continue;
		for (int n = 0; n < c->cfg.nnets; n++)
			kept |= c->net_id[n] == id;
		if (kept)
			continue;
		memset(&net, 0, sizeof(net));
		bpf_map_update_elem(c->st.net_fd, &id, &net, BPF_ANY);
		xv_fdb_purge(&c->st, 0, id);
	}
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
	err = write_globals(c);
	for (int i = 0; i < c->plan.nports && !err; i++)
		err = attach_port(c, &c->plan.ports[i]);
	if (!err)
		err = xv_journal_pin(c->j, "prog_xdp",
				     bpf_program__fd(c->skel->progs.xv_xdp_port));
	if (!err)
		err = xv_journal_pin(c->j, "prog_tc_in",
				     bpf_program__fd(c->skel->progs.xv_tc_ingress));
	if (!err)
		err = xv_journal_pin(c->j, "prog_tc_out",
				     bpf_program__fd(c->skel->progs.xv_tc_egress));
	if (err) {
		pr_warn("rolling back: %s\n", strerror(-err));
		xv_journal_rollback(c->j);
		goto fail_fresh;
	}
	remove_stale(c);
	return 0;

fail_fresh:
	if (c->fresh)
		remove_fresh_pins(c);
	return err;
}

static int up_or_reload(struct xv_opts *o, bool reload)
{
	struct up_ctx c = {};
	int err;

	c.st.port_fd = -1;
	err = xv_config_load(o->config, &c.cfg);
	if (err)
		return -XV_EUSAGE;
	err = xv_config_check_host(&c.cfg);
	if (!err)
		err = xv_plan_build(&c.cfg, &c.plan);
	if (err)
		goto out;
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
	xv_journal_free(c.j);
	xv_state_close(&c.st);
	if (c.skel)
		xvnet__destroy(c.skel);
	free(c.old_ports);
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
