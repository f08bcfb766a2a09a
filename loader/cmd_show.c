// SPDX-License-Identifier: GPL-2.0
/*
 * status, fdb and nat: read the pinned maps and ask the kernel what is
 * attached.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "attach.h"
#include "commands.h"
#include "config.h"
#include "dhcp.h"
#include "json.h"
#include "log.h"
#include "nl.h"
#include "state.h"

#define stat_names xv_stats_names

/* The attach kind the kernel really runs on a port right now. */
static const char *attach_kind(const struct xv_state *st, __u32 ifindex,
			       const struct xv_port *p)
{
	__u32 id = 0;

	if (p->flags & XV_PORT_ATT_XDP) {
		switch (xv_xdp_query(ifindex, &id)) {
		case XV_XDP_NATIVE:
			return "xdp-native";
		case XV_XDP_GENERIC:
			return "xdp-generic";
		default:
			break;
		}
	}
	if (!xv_tc_query(ifindex, BPF_TC_INGRESS, &id) && id)
		return "tc";
	return "detached";
}

/* The role a port plays in network id (a nat uplink is in none). */
static const char *role_name(const struct xv_port *p, __u32 id)
{
	if ((p->flags & XV_PORT_UPLINK) && p->net == id)
		return "uplink";
	if (p->flags & XV_PORT_NAT_UPLINK)
		return "nat-uplink";
	if (p->flags & XV_PORT_ADAPTER)
		return "adapter";
	return "vm";
}

/* Is the port listed under network id: a member, or its nat uplink. */
static bool port_shown(const struct xv_port_ent *e, __u32 id,
		       const struct xv_net *net)
{
	return e->val.net == id ||
	       (net->mode == XV_MODE_NAT && e->ifindex == net->uplink);
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static const char *ip4(__be32 a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static const char *proto_name(__u8 proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	default:
		return "?";
	}
}

static const char *link_name(int ifindex, char *buf)
{
	struct xv_link l;

	if (ifindex && !xv_link_by_index(ifindex, &l))
		snprintf(buf, XV_NAME_LEN, "%s", l.name);
	else
		snprintf(buf, XV_NAME_LEN, "if%d", ifindex);
	return buf;
}

/* ---- NAT state ---- */

static const __u8 nat_protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP };

/*
 * How long a flow has been idle. The datapath's clock (coarse) may be a
 * little behind ours; a time far ahead is one up set to end the flow.
 */
static __u64 flow_idle(__u64 now, __u64 seen_ns)
{
	if (seen_ns > now && seen_ns - now < 1000000000ULL)
		return 0;
	return now - seen_ns;
}

static bool flow_live(const struct xv_cfg *k, const struct xv_nat_flow_key *fk,
		      const struct xv_nat_flow *f, __u64 now)
{
	return flow_idle(now, f->seen_ns) < xv_nat_timeout(k, fk->proto,
							    f->state);
}

/*
 * The network a flow belongs to: the one its outside port's word names
 * (a dynamic mapping of its inside endpoint), else its endpoint's
 * forward's, else its inside subnet's; 0 if none. *fwd: the flow is a
 * forward's (its endpoint's forward, on the forward's port).
 */
static __u32 flow_net(const struct xv_state *st,
		      const struct xv_nat_flow_key *k,
		      const struct xv_nat_flow *f, const struct xv_net *nets,
		      bool *fwd)
{
	int i = xv_nat_port_index(k->proto, ntohs(f->outside_port));
	struct xv_nat_fwd_key fk = { .addr = k->inside_addr,
				     .port = k->inside_port,
				     .proto = k->proto,
				     .dir = XV_NAT_FWD_OUT };
	struct xv_nat_port w = {};
	struct xv_nat_fwd fv;
	__u32 key;

	*fwd = false;
	if (i >= 0) {
		key = i;
		if (!bpf_map_lookup_elem(st->nat_port_fd, &key, &w) &&
		    w.mark != XV_NAT_MARK_STATIC &&
		    w.inside_addr == k->inside_addr &&
		    w.inside_port == k->inside_port && w.net &&
		    w.net < XV_MAX_NETS && nets[w.net].mode == XV_MODE_NAT)
			return w.net;
	}
	if (!bpf_map_lookup_elem(st->nat_fwd_fd, &fk, &fv) && fv.net &&
	    fv.net < XV_MAX_NETS && nets[fv.net].mode == XV_MODE_NAT) {
		*fwd = fv.port == f->outside_port;
		return fv.net;
	}
	for (__u32 id = 1; id < XV_MAX_NETS; id++)
		if (nets[id].mode == XV_MODE_NAT &&
		    (k->inside_addr & nets[id].mask) == nets[id].subnet)
			return id;
	return 0;
}

static void read_nets(const struct xv_state *st, struct xv_net *nets)
{
	for (__u32 id = 1; id < XV_MAX_NETS; id++)
		xv_state_net(st, id, &nets[id]);
}

/*
 * NAT use of network id: its forwards, its live flows, and its live
 * dynamic mappings per protocol (nat_protos order): the outside ports its
 * live flows hold, a port being one inside endpoint's (xv_nat_port).
 */
struct nat_use {
	unsigned int mappings[3];
	unsigned int forwards;
	unsigned int flows;
};

static void nat_use(const struct xv_state *st, const struct xv_cfg *k,
		    __u32 id, struct nat_use *u)
{
	struct xv_nat_flow_key fk, fnext;
	struct xv_nat_fwd_key wk, wnext;
	struct xv_nat_flow flow;
	struct xv_nat_fwd fv;
	struct xv_net *nets;
	__u64 now = now_ns();
	__u8 *held = NULL;
	void *prev = NULL;
	bool fwd;
	int i;

	memset(u, 0, sizeof(*u));
	while (st->nat_fwd_fd >= 0 &&
	       !bpf_map_get_next_key(st->nat_fwd_fd, prev, &wnext)) {
		wk = wnext;
		prev = &wk;
		if (wk.dir == XV_NAT_FWD_IN &&
		    !bpf_map_lookup_elem(st->nat_fwd_fd, &wk, &fv) &&
		    fv.net == id)
			u->forwards++;
	}
	nets = calloc(XV_MAX_NETS, sizeof(*nets));
	held = calloc(XV_NAT_PORTS / 8, 1);
	if (!nets || !held || st->nat_flow_fd < 0 || st->nat_port_fd < 0)
		goto out;
	read_nets(st, nets);
	prev = NULL;
	while (!bpf_map_get_next_key(st->nat_flow_fd, prev, &fnext)) {
		fk = fnext;
		prev = &fk;
		if (bpf_map_lookup_elem(st->nat_flow_fd, &fk, &flow) ||
		    !flow_live(k, &fk, &flow, now) ||
		    flow_net(st, &fk, &flow, nets, &fwd) != id)
			continue;
		u->flows++;
		i = xv_nat_port_index(fk.proto, ntohs(flow.outside_port));
		if (fwd || i < 0 || (held[i / 8] & (1u << (i % 8))))
			continue;
		held[i / 8] |= 1u << (i % 8);
		u->mappings[i >> 16]++;	/* rows: TCP, UDP, ICMP */
	}
out:
	free(held);
	free(nets);
}

static void print_nat_text(const struct xv_state *st, const struct xv_cfg *k,
			   __u32 id, const struct xv_net *net)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN], c[INET_ADDRSTRLEN],
	     h[XV_NAME_LEN], p[XV_NAME_LEN], u[XV_NAME_LEN];
	struct xv_port up = {};
	struct nat_use use;

	bpf_map_lookup_elem(st->port_fd, &net->uplink, &up);
	nat_use(st, k, id, &use);
	printf("  nat: subnet %s/%d, gateway %s on %s (peer %s), outside %s on %s\n",
	       ip4(net->subnet, a), __builtin_popcount(ntohl(net->mask)),
	       ip4(net->gateway, b), link_name(net->host_if, h),
	       link_name(net->adapter, p), ip4(up.addr, c),
	       link_name(net->uplink, u));
	printf("  nat: ports %u-%u, filtering %s, %u forward(s); in use: tcp %u, udp %u, icmp %u of %u each, %u flow(s)\n",
	       net->nat_lo, net->nat_hi,
	       net->flags & XV_NET_NAT_EIF ? "endpoint-independent"
					   : "address-port-dependent",
	       use.forwards, use.mappings[0], use.mappings[1], use.mappings[2],
	       net->nat_hi - net->nat_lo + 1, use.flows);
}

static void print_nat_json(const struct xv_state *st, const struct xv_cfg *k,
			   __u32 id, const struct xv_net *net)
{
	char a[INET_ADDRSTRLEN], h[XV_NAME_LEN];
	struct xv_port up = {};
	struct nat_use use;

	bpf_map_lookup_elem(st->port_fd, &net->uplink, &up);
	nat_use(st, k, id, &use);
	printf(",\"nat\":{\"subnet\":\"%s/%d\"", ip4(net->subnet, a),
	       __builtin_popcount(ntohl(net->mask)));
	printf(",\"gateway\":\"%s\",\"host_if\":", ip4(net->gateway, a));
	json_str(link_name(net->host_if, h));
	printf(",\"adapter\":");
	json_str(link_name(net->adapter, h));
	printf(",\"outside_addr\":\"%s\",\"uplink\":", ip4(up.addr, a));
	json_str(link_name(net->uplink, h));
	printf(",\"nat_ports\":[%u,%u],\"filter\":\"%s\",\"forwards\":%u",
	       net->nat_lo, net->nat_hi,
	       net->flags & XV_NET_NAT_EIF ? "endpoint-independent"
					   : "address-port-dependent",
	       use.forwards);
	printf(",\"counters\":{\"tcp_mappings\":%u,\"udp_mappings\":%u,\"icmp_mappings\":%u,\"flows\":%u}}",
	       use.mappings[0], use.mappings[1], use.mappings[2], use.flows);
}

static int open_state(struct xv_opts *o, struct xv_config *cfg,
		      struct xv_state *st)
{
	int err;

	if (xv_config_load(o->config, cfg))
		return -XV_EUSAGE;
	err = xv_state_open_running(cfg->pin_dir, st);
	if (err)
		xv_config_free(cfg);
	return err;
}

static void print_dhcp_text(const struct xv_state *st, const struct xv_net *net)
{
	struct xv_dhcp_info d;

	xv_dhcp_info(st->pin_dir, net->name, &d);
	if (!d.configured)
		return;
	if (d.pid)
		printf("  dhcp: dnsmasq pid %d, %d lease(s)\n", d.pid, d.nleases);
	else
		printf("  dhcp: dnsmasq NOT RUNNING (xvnet reload restarts it), %d lease(s)\n",
		       d.nleases);
}

static void print_dhcp_json(const struct xv_state *st, const struct xv_net *net)
{
	struct xv_dhcp_info d;

	xv_dhcp_info(st->pin_dir, net->name, &d);
	if (d.configured)
		printf(",\"dhcp\":{\"running\":%s,\"pid\":%d,\"leases\":%d}",
		       d.pid ? "true" : "false", d.pid, d.nleases);
	else
		printf(",\"dhcp\":null");
}

static void print_net_text(const struct xv_state *st, const struct xv_cfg *k,
			   __u32 id, const struct xv_net *net,
			   const struct xv_port_ent *ports, int n)
{
	struct xv_stats s;
	__u64 *v = (__u64 *)&s;
	struct xv_link up;
	const char *uplink = "-";

	if (net->uplink && !xv_link_by_index(net->uplink, &up))
		uplink = up.name;
	printf("network %s (id %u): %s, uplink %s\n", net->name, id,
	       xv_mode_name(net->mode), uplink);
	printf("  %-16s %-8s %-10s %-12s %s\n", "PORT", "IFINDEX", "ROLE",
	       "ATTACH", "XDP-TARGET");
	for (int i = 0; i < n; i++) {
		const struct xv_port *p = &ports[i].val;

		if (!port_shown(&ports[i], id, net))
			continue;
		printf("  %-16s %-8u %-10s %-12s %s\n", p->name, ports[i].ifindex,
		       role_name(p, id), attach_kind(st, ports[i].ifindex, p),
		       p->flags & XV_PORT_XDP_TARGET ? "yes" : "no");
	}
	if (net->mode == XV_MODE_NAT)
		print_nat_text(st, k, id, net);
	print_dhcp_text(st, net);
	if (xv_state_stats(st, id, &s))
		return;
	printf("  counters:");
	for (size_t i = 0; i < ARRAY_SIZE(stat_names); i++)
		printf(" %s=%llu", stat_names[i], (unsigned long long)v[i]);
	printf("\n  drops:");
	for (int i = 0; i < XV_DROP_MAX; i++)
		printf(" %s=%llu", xv_drop_names[i], (unsigned long long)s.drop[i]);
	printf("\n");
}

static void print_net_json(const struct xv_state *st, const struct xv_cfg *k,
			   __u32 id, const struct xv_net *net,
			   const struct xv_port_ent *ports, int n)
{
	struct xv_stats s;
	__u64 *v = (__u64 *)&s;
	struct xv_link up;
	bool first = true;

	printf("{\"name\":");
	json_str(net->name);
	printf(",\"id\":%u,\"mode\":\"%s\",\"uplink\":", id,
	       xv_mode_name(net->mode));
	if (net->uplink && !xv_link_by_index(net->uplink, &up))
		json_str(up.name);
	else
		printf("null");
	printf(",\"ports\":[");
	for (int i = 0; i < n; i++) {
		const struct xv_port *p = &ports[i].val;

		if (!port_shown(&ports[i], id, net))
			continue;
		printf("%s{\"name\":", first ? "" : ",");
		json_str(p->name);
		printf(",\"ifindex\":%u,\"role\":\"%s\",\"attach\":\"%s\",\"xdp_target\":%s}",
		       ports[i].ifindex, role_name(p, id),
		       attach_kind(st, ports[i].ifindex, p),
		       p->flags & XV_PORT_XDP_TARGET ? "true" : "false");
		first = false;
	}
	printf("],\"counters\":{");
	memset(&s, 0, sizeof(s));
	xv_state_stats(st, id, &s);
	for (size_t i = 0; i < ARRAY_SIZE(stat_names); i++)
		printf("%s\"%s\":%llu", i ? "," : "", stat_names[i],
		       (unsigned long long)v[i]);
	printf("},\"drops\":{");
	for (int i = 0; i < XV_DROP_MAX; i++)
		printf("%s\"%s\":%llu", i ? "," : "", xv_drop_names[i],
		       (unsigned long long)s.drop[i]);
	printf("}");
	if (net->mode == XV_MODE_NAT)
		print_nat_json(st, k, id, net);
	print_dhcp_json(st, net);
	printf("}");
}

/*
 * How full the NAT flow table is: its entries (expired ones included until
 * the collector removes them) and its size (nat_sessions). 0 if absent.
 */
static int flow_table_use(const struct xv_state *st, unsigned int *held)
{
	struct xv_nat_flow_key key, next;
	void *prev = NULL;
	int cap;

	*held = 0;
	if (st->nat_flow_fd < 0)
		return 0;
	cap = xv_map_capacity(st->nat_flow_fd);
	while (!bpf_map_get_next_key(st->nat_flow_fd, prev, &next)) {
		key = next;
		prev = &key;
		++*held;
	}
	return cap > 0 ? cap : 0;
}

int xv_cmd_status(struct xv_opts *o)
{
	struct xv_port_ent *ports = NULL;
	struct xv_config cfg;
	struct xv_state st;
	struct xv_cfg knobs = {};
	struct xv_net net;
	bool first = true;
	unsigned int flows;
	__u32 zero = 0;
	int n = 0, err, cap;

	err = open_state(o, &cfg, &st);
	if (err)
		return err;
	bpf_map_lookup_elem(st.cfg_fd, &zero, &knobs);
	err = xv_state_ports(&st, &ports, &n);
	if (err)
		goto out;
	cap = flow_table_use(&st, &flows);
	if (o->json) {
		printf("{\"pin_dir\":");
		json_str(cfg.pin_dir);
		printf(",\"nat_flow_table\":{\"entries\":%u,\"size\":%d}",
		       flows, cap);
		printf(",\"networks\":[");
	} else {
		printf("pin_dir %s\n", cfg.pin_dir);
		printf("nat flow table: %u of %d entries (nat_sessions)\n",
		       flows, cap);
	}
	for (__u32 id = 1; id < XV_MAX_NETS; id++) {
		if (xv_state_net(&st, id, &net) || !net.mode)
			continue;
		if (o->json) {
			printf("%s", first ? "" : ",");
			print_net_json(&st, &knobs, id, &net, ports, n);
		} else {
			print_net_text(&st, &knobs, id, &net, ports, n);
		}
		first = false;
	}
	if (o->json)
		printf("]}\n");
out:
	free(ports);
	xv_state_close(&st);
	xv_config_free(&cfg);
	return err;
}

int xv_cmd_fdb(struct xv_opts *o)
{
	const char *only = o->argc > 0 ? o->argv[0] : NULL;
	struct xv_fdb_key key, next;
	struct xv_fdb_val val;
	struct xv_config cfg;
	struct xv_state st;
	struct xv_cfg knobs = {};
	struct xv_net net;
	struct xv_port port;
	__u64 now = now_ns();
	void *prev = NULL;
	bool first = true;
	__u32 zero = 0;
	int err;

	err = open_state(o, &cfg, &st);
	if (err)
		return err;
	if (only && !xv_config_find_net(&cfg, only)) {
		pr_warn("no network named %s in %s\n", only, cfg.path);
		err = -XV_EUSAGE;
		goto out;
	}
	bpf_map_lookup_elem(st.cfg_fd, &zero, &knobs);
	if (o->json)
		printf("[");
	else
		printf("%-12s %-17s %-16s %s\n", "NETWORK", "MAC", "PORT", "AGE");
	while (!bpf_map_get_next_key(st.fdb_fd, prev, &next)) {
		char mac[18];
		__u64 age;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(st.fdb_fd, &key, &val))
			continue;
		age = now > val.seen_ns ? now - val.seen_ns : 0;
		if (knobs.ageing_ns && age > knobs.ageing_ns)
			continue;	/* aged out: the datapath ignores it */
		if (xv_state_net(&st, key.net, &net) || !net.mode)
			continue;
		if (only && strcmp(only, net.name))
			continue;
		if (bpf_map_lookup_elem(st.port_fd, &val.ifindex, &port))
			snprintf(port.name, sizeof(port.name), "if%u", val.ifindex);
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x",
			 key.mac[0], key.mac[1], key.mac[2], key.mac[3],
			 key.mac[4], key.mac[5]);
		if (o->json) {
			printf("%s{\"network\":", first ? "" : ",");
			json_str(net.name);
			printf(",\"mac\":\"%s\",\"port\":", mac);
			json_str(port.name);
			printf(",\"ifindex\":%u,\"age\":%llu}", val.ifindex,
			       (unsigned long long)(age / 1000000000ULL));
		} else {
			printf("%-12s %-17s %-16s %llus\n", net.name, mac,
			       port.name,
			       (unsigned long long)(age / 1000000000ULL));
		}
		first = false;
	}
	if (o->json)
		printf("]\n");
out:
	xv_state_close(&st);
	xv_config_free(&cfg);
	return err;
}

/* ---- nat ---- */

enum { ROW_FORWARD, ROW_FLOW };

struct nat_row {
	__u32 net;
	int kind;		/* ROW_* */
	__u8 proto, state;
	__be32 in_addr, out_addr, rem_addr;
	__u16 in_port, out_port, rem_port;	/* host order */
	__u64 idle_s;
};

struct nat_rows {
	struct nat_row *r;
	int n, cap;
};

static int rows_add(struct nat_rows *rows, const struct nat_row *row)
{
	if (rows->n == rows->cap) {
		int cap = rows->cap ? rows->cap * 2 : 64;
		struct nat_row *p = reallocarray(rows->r, cap, sizeof(*p));

		if (!p)
			return -ENOMEM;
		rows->r = p;
		rows->cap = cap;
	}
	rows->r[rows->n++] = *row;
	return 0;
}

static int cmp_row(const void *a, const void *b)
{
	const struct nat_row *x = a, *y = b;

	if (x->net != y->net)
		return x->net < y->net ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	if (x->in_addr != y->in_addr)
		return ntohl(x->in_addr) < ntohl(y->in_addr) ? -1 : 1;
	if (x->in_port != y->in_port)
		return x->in_port < y->in_port ? -1 : 1;
	if (x->rem_addr != y->rem_addr)
		return ntohl(x->rem_addr) < ntohl(y->rem_addr) ? -1 : 1;
	return x->rem_port < y->rem_port ? -1 : x->rem_port > y->rem_port;
}

static int collect_nat(const struct xv_state *st, const struct xv_cfg *k,
		       const struct xv_net *nets, __u32 only,
		       struct nat_rows *rows)
{
	__be32 outside[XV_MAX_NETS] = {};
	struct xv_nat_flow_key fk, fnext;
	struct xv_nat_fwd_key wk, wnext;
	struct xv_nat_flow f;
	struct xv_nat_fwd fv;
	struct xv_port up;
	__u64 now = now_ns();
	void *prev = NULL;
	int err = 0;
	bool fwd;

	/* Every mapping is on its network's uplink address. */
	for (__u32 id = 1; id < XV_MAX_NETS; id++)
		if (nets[id].mode == XV_MODE_NAT && nets[id].uplink &&
		    !bpf_map_lookup_elem(st->port_fd, &nets[id].uplink, &up))
			outside[id] = up.addr;
	while (!err && !bpf_map_get_next_key(st->nat_flow_fd, prev, &fnext)) {
		struct nat_row r = { .kind = ROW_FLOW };

		fk = fnext;
		prev = &fk;
		if (bpf_map_lookup_elem(st->nat_flow_fd, &fk, &f))
			continue;
		if (!flow_live(k, &fk, &f, now))
			continue;	/* expired: the datapath ignores it */
		r.net = flow_net(st, &fk, &f, nets, &fwd);
		if (!r.net || (only && r.net != only))
			continue;
		r.proto = fk.proto;
		r.state = f.state;
		r.in_addr = fk.inside_addr;
		r.in_port = ntohs(fk.inside_port);
		r.out_addr = outside[r.net];
		r.out_port = ntohs(f.outside_port);
		r.rem_addr = fk.remote_addr;
		r.rem_port = ntohs(fk.remote_port);
		r.idle_s = flow_idle(now, f.seen_ns) / 1000000000ULL;
		err = rows_add(rows, &r);
	}
	prev = NULL;
	while (!err && !bpf_map_get_next_key(st->nat_fwd_fd, prev, &wnext)) {
		struct nat_row r = { .kind = ROW_FORWARD };

		wk = wnext;
		prev = &wk;
		if (wk.dir != XV_NAT_FWD_IN ||
		    bpf_map_lookup_elem(st->nat_fwd_fd, &wk, &fv) ||
		    !fv.net || fv.net >= XV_MAX_NETS || !nets[fv.net].mode ||
		    (only && fv.net != only))
			continue;
		r.net = fv.net;
		r.proto = wk.proto;
		r.in_addr = fv.addr;
		r.in_port = ntohs(fv.port);
		r.out_addr = wk.addr;
		r.out_port = ntohs(wk.port);
		err = rows_add(rows, &r);
	}
	if (!err)
		qsort(rows->r, rows->n, sizeof(*rows->r), cmp_row);
	return err;
}

static const char *const state_names[] = {
	[XV_NAT_NEW] = "new",
	[XV_NAT_ESTABLISHED] = "established",
	[XV_NAT_CLOSING] = "closing",
};

static const char *row_state(const struct nat_row *r)
{
	if (r->kind == ROW_FORWARD)
		return "static";
	return r->state < ARRAY_SIZE(state_names) ? state_names[r->state] : "?";
}

static void print_row_text(const struct nat_row *r, const struct xv_net *net)
{
	char a[INET_ADDRSTRLEN], in[32], out[32], rem[32], idle[24];

	snprintf(in, sizeof(in), "%s:%u", ip4(r->in_addr, a), r->in_port);
	snprintf(out, sizeof(out), "%s:%u", ip4(r->out_addr, a), r->out_port);
	if (r->kind == ROW_FORWARD)
		snprintf(rem, sizeof(rem), "*");
	else if (r->proto == IPPROTO_ICMP)
		snprintf(rem, sizeof(rem), "%s", ip4(r->rem_addr, a));
	else
		snprintf(rem, sizeof(rem), "%s:%u", ip4(r->rem_addr, a),
			 r->rem_port);
	if (r->kind == ROW_FORWARD)
		snprintf(idle, sizeof(idle), "-");
	else
		snprintf(idle, sizeof(idle), "%llus",
			 (unsigned long long)r->idle_s);
	printf("%-12s %-5s %-21s %-21s %-21s %-11s %s\n", net->name,
	       proto_name(r->proto), in, out, rem, row_state(r), idle);
}

static void print_row_json(const struct nat_row *r, const struct xv_net *net)
{
	char a[INET_ADDRSTRLEN];

	printf("{\"kind\":\"%s\",\"network\":",
	       r->kind == ROW_FORWARD ? "forward" : "flow");
	json_str(net->name);
	printf(",\"proto\":\"%s\",\"inside_addr\":\"%s\",\"inside_port\":%u",
	       proto_name(r->proto), ip4(r->in_addr, a), r->in_port);
	printf(",\"outside_addr\":\"%s\",\"outside_port\":%u",
	       ip4(r->out_addr, a), r->out_port);
	if (r->kind == ROW_FORWARD)
		printf(",\"remote_addr\":null,\"remote_port\":null");
	else
		printf(",\"remote_addr\":\"%s\",\"remote_port\":%u",
		       ip4(r->rem_addr, a), r->rem_port);
	printf(",\"state\":\"%s\",\"idle\":", row_state(r));
	if (r->kind == ROW_FORWARD)
		printf("null}");
	else
		printf("%llu}", (unsigned long long)r->idle_s);
}

/* Port-pool use of one network: live dynamic mappings per protocol. */
static void print_pool(const struct xv_state *st, const struct xv_cfg *k,
		       __u32 id, const struct xv_net *net, bool json,
		       bool *first)
{
	unsigned int size = net->nat_hi - net->nat_lo + 1;
	struct nat_use use;

	nat_use(st, k, id, &use);
	if (!json) {
		printf("pool %s: ports %u-%u (%u a protocol), in use: tcp %u, udp %u, icmp %u\n",
		       net->name, net->nat_lo, net->nat_hi, size,
		       use.mappings[0], use.mappings[1], use.mappings[2]);
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(nat_protos); i++) {
		printf("%s{\"kind\":\"pool\",\"network\":", *first ? "" : ",");
		json_str(net->name);
		printf(",\"proto\":\"%s\",\"lo\":%u,\"hi\":%u,\"size\":%u,\"used\":%u}",
		       proto_name(nat_protos[i]), net->nat_lo, net->nat_hi, size,
		       use.mappings[i]);
		*first = false;
	}
}

int xv_cmd_nat(struct xv_opts *o)
{
	const char *only_name = o->argc > 0 ? o->argv[0] : NULL;
	const struct xv_netcfg *nc;
	struct nat_rows rows = {};
	struct xv_net *nets = NULL;
	struct xv_cfg knobs = {};
	struct xv_config cfg;
	struct xv_state st;
	__u32 zero = 0, only = 0;
	bool first = true;
	int err;

	err = open_state(o, &cfg, &st);
	if (err)
		return err;
	if (only_name) {
		nc = xv_config_find_net(&cfg, only_name);
		if (!nc) {
			pr_warn("no network named %s in %s\n", only_name, cfg.path);
			err = -XV_EUSAGE;
			goto out;
		}
		if (nc->mode != XV_MODE_NAT) {
			pr_warn("network %s is a %s network: it has no NAT sessions\n",
				only_name, xv_mode_name(nc->mode));
			err = -XV_EUSAGE;
			goto out;
		}
	}
	if (st.nat_port_fd < 0 || st.nat_fwd_fd < 0 || st.nat_flow_fd < 0) {
		pr_warn("%s: the NAT maps are not pinned (run xvnet up again)\n",
			cfg.pin_dir);
		err = -XV_EUSAGE;
		goto out;
	}
	bpf_map_lookup_elem(st.cfg_fd, &zero, &knobs);
	nets = calloc(XV_MAX_NETS, sizeof(*nets));
	if (!nets) {
		err = -ENOMEM;
		goto out;
	}
	for (__u32 id = 1; id < XV_MAX_NETS; id++) {
		xv_state_net(&st, id, &nets[id]);
		if (only_name && nets[id].mode &&
		    !strncmp(nets[id].name, only_name, XV_NAME_LEN))
			only = id;
	}
	if (only_name && !only)
		only = XV_MAX_NETS;	/* configured, not up: matches nothing */
	err = collect_nat(&st, &knobs, nets, only, &rows);
	if (err)
		goto out;
	if (o->json)
		printf("[");
	else
		printf("%-12s %-5s %-21s %-21s %-21s %-11s %s\n", "NETWORK",
		       "PROTO", "INSIDE", "OUTSIDE", "REMOTE", "STATE", "IDLE");
	for (int i = 0; i < rows.n; i++) {
		if (o->json) {
			printf("%s", first ? "" : ",");
			print_row_json(&rows.r[i], &nets[rows.r[i].net]);
		} else {
			print_row_text(&rows.r[i], &nets[rows.r[i].net]);
		}
		first = false;
	}
	for (__u32 id = 1; id < XV_MAX_NETS; id++)
		if (nets[id].mode == XV_MODE_NAT && (!only || id == only))
			print_pool(&st, &knobs, id, &nets[id], o->json, &first);
	if (o->json)
		printf("]\n");
out:
	free(rows.r);
	free(nets);
	xv_state_close(&st);
	xv_config_free(&cfg);
	return err;
}
