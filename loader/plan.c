// SPDX-License-Identifier: GPL-2.0
/*
 * The attach rule (README "Attach kinds"): XDP is only as good as the frames
 * it sees. A real NIC hands it frames with complete checksums, so auto picks
 * native XDP there (and tc on the same port for flooding and host delivery).
 * Frames from a VM (tap, veth) mostly carry a partial checksum that XDP cannot
 * see, and XDP on a veth also takes GSO away from its peer, so auto picks tc
 * for every virtual device. attach = xdp is honoured everywhere: the XDP
 * program verifies checksums on virtual devices and leaves what does not
 * verify to tc, so it stays correct, only not faster for offloaded TCP.
 *
 * One interface has one entry. The only interface two networks may share is
 * an uplink: the uplink of a bridge network can also be the uplink of nat
 * networks (and several nat networks one uplink). Its entry then carries
 * both roles; XDP goes on if any of the networks asks for it.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "common.h"
#include "log.h"
#include "plan.h"

enum plan_role { R_PORT, R_UPLINK, R_NAT_UPLINK, R_ADAPTER };

static bool is_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

static bool has_adapter(const struct xv_netcfg *nc)
{
	return nc->mode == XV_MODE_NAT || nc->mode == XV_MODE_HOSTONLY;
}

static struct xv_plan_port *plan_find(struct xv_plan *plan, int ifindex)
{
	for (int i = 0; i < plan->nports; i++)
		if (plan->ports[i].link.ifindex == ifindex)
			return &plan->ports[i];
	return NULL;
}

/* The XDP part of the attach rule for one role of a port. */
static void pick_attach(struct xv_plan_port *p, enum xv_attach attach,
			bool uplink)
{
	switch (attach) {
	case XV_ATTACH_XDP:
		p->xdp = true;
		/*
		 * An uplink receives our own deliveries into the host stack
		 * through its receive path; generic XDP could see those, and
		 * it is no faster than tc anyway. Uplinks run native or tc.
		 */
		p->xdp_generic_ok = !uplink;
		p->xdp_fallback_tc = uplink;
		break;
	case XV_ATTACH_TC:
		break;
	default:
		p->xdp = p->link.physical;
		p->xdp_fallback_tc = true;
		break;
	}
}

static bool both_uplinks(const struct xv_plan_port *p, enum plan_role role)
{
	return (p->uplink || p->nat_uplink) && !p->adapter &&
	       (role == R_UPLINK || role == R_NAT_UPLINK) &&
	       !(p->uplink && role == R_UPLINK);
}

static int plan_add(const struct xv_config *cfg, struct xv_plan *plan,
		    const struct xv_link *link, int net_index,
		    enum plan_role role, int line)
{
	const struct xv_netcfg *nc = &cfg->nets[net_index];
	struct xv_plan_port *p = plan_find(plan, link->ifindex), *grown;
	bool uplink = role == R_UPLINK || role == R_NAT_UPLINK;
	struct xv_plan_port role_only;

	if (p && both_uplinks(p, role)) {
		/* One uplink, two roles: XDP if either role wants it. */
		role_only = (struct xv_plan_port){ .link = *link };
		pick_attach(&role_only, xv_config_attach(cfg, nc), true);
		p->xdp |= role_only.xdp;
		p->xdp_fallback_tc = true;
		p->xdp_generic_ok = false;
		if (role == R_UPLINK) {
			p->uplink = true;
			p->net_index = net_index;
			p->line = line;
		} else {
			p->nat_uplink = true;
		}
		return 0;
	}
	if (p) {
		const char *other = "?";

		for (int i = 0; i < cfg->nnets; i++)
			if (i == p->net_index ||
			    (p->net_index < 0 && !strcmp(cfg->nets[i].uplink,
							 link->name)))
				other = cfg->nets[i].name;
		pr_warn("%s:%d: interface %s is already used by network %s (line %d)\n",
			cfg->path, line, link->name, other, p->line);
		return -XV_EUSAGE;
	}
	if (link->type != 1 /* ARPHRD_ETHER */) {
		pr_warn("%s:%d: interface %s is not an Ethernet device\n",
			cfg->path, line, link->name);
		return -XV_EUSAGE;
	}
	grown = realloc(plan->ports, (plan->nports + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	plan->ports = grown;
	p = &plan->ports[plan->nports++];
	memset(p, 0, sizeof(*p));
	p->link = *link;
	p->net_index = role == R_NAT_UPLINK ? -1 : net_index;
	p->uplink = role == R_UPLINK;
	p->nat_uplink = role == R_NAT_UPLINK;
	p->adapter = role == R_ADAPTER;
	p->line = line;
	p->tun = !strcmp(link->kind, "tun");
	pick_attach(p, xv_config_attach(cfg, nc), uplink);
	return 0;
}

/* A host adapter's end: never a port by glob, whatever the pattern. */
static bool adapter_name(const struct xv_config *cfg, const char *name)
{
	for (int n = 0; n < cfg->nnets; n++)
		if (has_adapter(&cfg->nets[n]) &&
		    (!strcmp(cfg->nets[n].host_if, name) ||
		     !strcmp(cfg->nets[n].adapter, name)))
			return true;
	return false;
}

static int plan_ports_of(const struct xv_config *cfg, struct xv_plan *plan,
			 int net_index, const struct xv_link *links, int nlinks)
{
	const struct xv_netcfg *nc = &cfg->nets[net_index];
	int err = 0, count = 0;

	for (int i = 0; i < nc->nports; i++) {
		const char *pat = nc->ports[i];
		bool found = false;

		for (int j = 0; j < nlinks; j++) {
			if (is_glob(pat) ? fnmatch(pat, links[j].name, 0)
					 : strcmp(pat, links[j].name))
				continue;
			/* A glob never captures an interface named elsewhere. */
			if (is_glob(pat) &&
			    (xv_config_net_match_port(cfg, links[j].name) != nc ||
			     adapter_name(cfg, links[j].name)))
				continue;
			found = true;
			if (is_glob(pat) && plan_find(plan, links[j].ifindex))
				continue;
			err = plan_add(cfg, plan, &links[j], net_index, R_PORT,
				       nc->ports_line);
			if (err)
				return err;
			count++;
		}
		if (!found && !is_glob(pat)) {
			pr_warn("%s:%d: interface %s does not exist\n",
				cfg->path, nc->ports_line, pat);
			return -XV_EUSAGE;
		}
	}
	count += nc->mode == XV_MODE_BRIDGE || has_adapter(nc);
	if (count > XV_MAX_PORTS) {
		pr_warn("%s:%d: network %s has %d member ports; at most %d are supported\n",
			cfg->path, nc->ports_line, nc->name, count,
			XV_MAX_PORTS);
		return -XV_EUSAGE;
	}
	return 0;
}

/*
 * The uplink of a nat network: its address is the outside address, and it
 * must not lie inside a nat subnet.
 */
static int plan_nat_uplink(const struct xv_config *cfg, struct xv_plan *plan,
			   int n)
{
	const struct xv_netcfg *nc = &cfg->nets[n];
	struct xv_plan_port *p = &plan->ports[plan->uplink_of[n]];
	char a[INET_ADDRSTRLEN], s[INET_ADDRSTRLEN];
	int err;

	if (p->addr)
		return 0;
	err = xv_addr4_primary(p->link.ifindex, &p->addr);
	if (err == -EADDRNOTAVAIL) {
		pr_warn("%s:%d: uplink %s has no IPv4 address\n", cfg->path,
			nc->uplink_line, nc->uplink);
		return -XV_EUSAGE;
	}
	if (err) {
		pr_warn("%s:%d: uplink %s: cannot read its addresses: %s\n",
			cfg->path, nc->uplink_line, nc->uplink, strerror(-err));
		return err;
	}
	for (int i = 0; i < cfg->nnets; i++) {
		const struct xv_netcfg *o = &cfg->nets[i];
		__u32 mask = o->prefix ? ~0u << (32 - o->prefix) : 0;

		if (!has_adapter(o) || !o->prefix ||
		    (ntohl(p->addr) & mask) != ntohl(o->subnet))
			continue;
		inet_ntop(AF_INET, &p->addr, a, sizeof(a));
		inet_ntop(AF_INET, &o->subnet, s, sizeof(s));
		pr_warn("%s:%d: uplink %s: its address %s is inside subnet %s/%d of network %s\n",
			cfg->path, nc->uplink_line, nc->uplink, a, s, o->prefix,
			o->name);
		return -XV_EUSAGE;
	}
	return 0;
}

/*
 * The host adapter of network n: either both ends exist and are the veth
 * pair xvnet makes (reused), or neither exists (up creates them).
 */
static int plan_adapter(const struct xv_config *cfg, struct xv_plan *plan,
			int n)
{
	const struct xv_netcfg *nc = &cfg->nets[n];
	int line = nc->key_line[XV_KEY_HOST_IF] ?: nc->line;
	struct xv_plan_adapter *a, *grown;
	struct xv_link host, peer, paired;
	int eh, ep;

	eh = xv_link_by_name(nc->host_if, &host);
	ep = xv_link_by_name(nc->adapter, &peer);
	if ((eh && eh != -ENODEV) || (ep && ep != -ENODEV)) {
		pr_warn("%s:%d: cannot look up the host adapter %s: %s\n",
			cfg->path, line, nc->host_if, strerror(-(eh ?: ep)));
		return eh && eh != -ENODEV ? eh : ep;
	}
	if (!eh && (strcmp(host.kind, "veth") || host.link_netnsid != -1 ||
		    xv_link_by_index(host.peer_ifindex, &paired) ||
		    strcmp(paired.name, nc->adapter))) {
		pr_warn("%s:%d: host_if %s exists and is not network %s's host adapter (a veth paired with %s)\n",
			cfg->path, line, nc->host_if, nc->name, nc->adapter);
		return -XV_EUSAGE;
	}
	if (eh && !ep) {
		pr_warn("%s:%d: interface %s exists and is not paired with host_if %s: it is xvnet's name for the host adapter's peer of network %s\n",
			cfg->path, line, nc->adapter, nc->host_if, nc->name);
		return -XV_EUSAGE;
	}
	grown = realloc(plan->adapters, (plan->nadapters + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	plan->adapters = grown;
	a = &plan->adapters[plan->nadapters++];
	memset(a, 0, sizeof(*a));
	a->net_index = n;
	a->exists = !eh;
	if (a->exists) {
		a->host = host;
		a->peer = peer;
	}
	return 0;
}

int xv_plan_build(const struct xv_config *cfg, struct xv_plan *plan)
{
	struct xv_link *links = NULL;
	int nlinks = 0, err;

	memset(plan, 0, sizeof(*plan));
	for (int n = 0; n < XV_MAX_NETS; n++)
		plan->uplink_of[n] = -1;
	err = xv_link_list(&links, &nlinks);
	if (err) {
		pr_warn("cannot list interfaces: %s\n", strerror(-err));
		return err;
	}
	/* Uplinks first, so that a port listing an uplink is reported there. */
	for (int n = 0; n < cfg->nnets && !err; n++) {
		const struct xv_netcfg *nc = &cfg->nets[n];
		struct xv_link link;

		if (!nc->uplink[0])
			continue;
		err = xv_link_by_name(nc->uplink, &link);
		if (err == -ENODEV) {
			pr_warn("%s:%d: uplink %s does not exist\n", cfg->path,
				nc->uplink_line, nc->uplink);
			err = -XV_EUSAGE;
		} else if (!err) {
			err = plan_add(cfg, plan, &link, n,
				       nc->mode == XV_MODE_NAT ? R_NAT_UPLINK
							       : R_UPLINK,
				       nc->uplink_line);
		}
		if (!err)
			plan->uplink_of[n] = plan_find(plan, link.ifindex) -
					     plan->ports;
	}
	for (int n = 0; n < cfg->nnets && !err; n++)
		if (cfg->nets[n].mode == XV_MODE_NAT)
			err = plan_nat_uplink(cfg, plan, n);
	for (int n = 0; n < cfg->nnets && !err; n++)
		err = plan_ports_of(cfg, plan, n, links, nlinks);
	for (int n = 0; n < cfg->nnets && !err; n++)
		if (has_adapter(&cfg->nets[n]))
			err = plan_adapter(cfg, plan, n);
	free(links);
	if (err)
		xv_plan_free(plan);
	return err;
}

void xv_plan_free(struct xv_plan *plan)
{
	free(plan->ports);
	free(plan->adapters);
	memset(plan, 0, sizeof(*plan));
}

const struct xv_plan_port *xv_plan_uplink(const struct xv_plan *plan, int n)
{
	if (n < 0 || n >= XV_MAX_NETS || plan->uplink_of[n] < 0)
		return NULL;
	return &plan->ports[plan->uplink_of[n]];
}

int xv_plan_single(const struct xv_config *cfg, int n,
		   const struct xv_link *link, struct xv_plan *plan)
{
	memset(plan, 0, sizeof(*plan));
	for (int i = 0; i < XV_MAX_NETS; i++)
		plan->uplink_of[i] = -1;
	return plan_add(cfg, plan, link, n, R_PORT, cfg->nets[n].ports_line);
}

int xv_plan_add_adapter(const struct xv_config *cfg, struct xv_plan *plan,
			int n, const struct xv_link *peer)
{
	const struct xv_netcfg *nc = &cfg->nets[n];

	return plan_add(cfg, plan, peer, n, R_ADAPTER,
			nc->key_line[XV_KEY_HOST_IF] ?: nc->line);
}

/* ---- forwards on ports the host uses itself ---- */

struct listener {
	__u8 proto;
	__u16 port;
	bool any;		/* bound to the wildcard address */
	__be32 addr;		/* else this IPv4 address (0: IPv6 only) */
};

/*
 * One /proc/net/{tcp,udp}{,6} table: TCP sockets in LISTEN (0A), UDP
 * sockets that are bound and not connected (07). Addresses are printed
 * as the kernel's words in host order, so they compare as raw __be32.
 */
static void read_table(const char *path, __u8 proto, bool v6,
		       struct listener **out, int *n)
{
	char line[512];
	FILE *f = fopen(path, "re");

	if (!f)
		return;
	if (!fgets(line, sizeof(line), f)) {	/* the header */
		fclose(f);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned int w[4] = {}, port, st;
		struct listener *grown, l = { .proto = proto };
		int got;

		if (v6)
			got = sscanf(line, " %*u: %8x%8x%8x%8x:%x %*x:%*x %x",
				     &w[0], &w[1], &w[2], &w[3], &port, &st) - 4;
		else
			got = sscanf(line, " %*u: %x:%x %*x:%*x %x", &w[3],
				     &port, &st);
		if (got != (v6 ? 2 : 3) ||
		    st != (proto == IPPROTO_TCP ? 0x0a : 0x07))
			continue;
		l.port = port;
		if (!w[0] && !w[1] && !w[2] && !w[3])
			l.any = true;
		else if (!v6 || (!w[0] && !w[1] && w[2] == htonl(0xffff)))
			l.addr = w[3];
		else
			continue;	/* a plain IPv6 address: not ours */
		grown = realloc(*out, (*n + 1) * sizeof(*grown));
		if (!grown)
			break;
		*out = grown;
		(*out)[(*n)++] = l;
	}
	fclose(f);
}

void xv_plan_warn_forwards(const struct xv_config *cfg,
			   const struct xv_plan *plan)
{
	struct listener *ls = NULL;
	int nls = 0;

	read_table("/proc/net/tcp", IPPROTO_TCP, false, &ls, &nls);
	read_table("/proc/net/tcp6", IPPROTO_TCP, true, &ls, &nls);
	read_table("/proc/net/udp", IPPROTO_UDP, false, &ls, &nls);
	read_table("/proc/net/udp6", IPPROTO_UDP, true, &ls, &nls);
	for (int n = 0; n < cfg->nnets; n++) {
		const struct xv_netcfg *nc = &cfg->nets[n];
		const struct xv_plan_port *up = xv_plan_uplink(plan, n);

		if (nc->mode != XV_MODE_NAT || !up)
			continue;
		for (int i = 0; i < nc->nforwards; i++) {
			const struct xv_forward *f = &nc->forwards[i];
			const char *proto = f->proto == IPPROTO_UDP ? "udp" : "tcp";
			char a[INET_ADDRSTRLEN], v[INET_ADDRSTRLEN];

			for (int k = 0; k < nls; k++) {
				if (ls[k].proto != f->proto || ls[k].port != f->port ||
				    (!ls[k].any && ls[k].addr != up->addr))
					continue;
				inet_ntop(AF_INET, &up->addr, a, sizeof(a));
				inet_ntop(AF_INET, &f->addr, v, sizeof(v));
				pr_warn("%s:%d: warning: forward %s %u: the host itself listens on %s port %u (%s); what arrives on %s for %s:%u goes to %s:%u instead\n",
					cfg->path, f->line, proto, f->port, proto,
					f->port, ls[k].any ? "any address" : a,
					nc->uplink, a, f->port, v, f->to_port);
				break;
			}
		}
	}
	free(ls);
}
