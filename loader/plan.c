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
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "log.h"
#include "plan.h"

static bool is_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

static struct xv_plan_port *plan_find(struct xv_plan *plan, int ifindex)
{
	for (int i = 0; i < plan->nports; i++)
		if (plan->ports[i].link.ifindex == ifindex)
			return &plan->ports[i];
	return NULL;
}

static int plan_add(const struct xv_config *cfg, struct xv_plan *plan,
		    const struct xv_link *link, int net_index, bool uplink,
		    int line)
{
	const struct xv_netcfg *nc = &cfg->nets[net_index];
	struct xv_plan_port *p = plan_find(plan, link->ifindex), *grown;
	enum xv_attach attach = xv_config_attach(cfg, nc);

	if (p) {
		pr_warn("%s:%d: interface %s is already used by network %s (line %d)\n",
			cfg->path, line, link->name,
			cfg->nets[p->net_index].name, p->line);
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
	p->net_index = net_index;
	p->uplink = uplink;
	p->line = line;
	p->tun = !strcmp(link->kind, "tun");
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
		p->xdp = link->physical;
		p->xdp_fallback_tc = true;
		break;
	}
	return 0;
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
			    xv_config_net_match_port(cfg, links[j].name) != nc)
				continue;
			found = true;
			if (is_glob(pat) && plan_find(plan, links[j].ifindex))
				continue;
			err = plan_add(cfg, plan, &links[j], net_index, false,
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
	if (count + 1 > XV_MAX_PORTS) {
		pr_warn("%s:%d: network %s has %d ports; at most %d are supported\n",
			cfg->path, nc->ports_line, nc->name, count,
			XV_MAX_PORTS - 1);
		return -XV_EUSAGE;
	}
	return 0;
}

int xv_plan_build(const struct xv_config *cfg, struct xv_plan *plan)
{
	struct xv_link *links = NULL;
	int nlinks = 0, err;

	memset(plan, 0, sizeof(*plan));
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
			err = plan_add(cfg, plan, &link, n, true,
				       nc->uplink_line);
		}
	}
	for (int n = 0; n < cfg->nnets && !err; n++)
		err = plan_ports_of(cfg, plan, n, links, nlinks);
	free(links);
	if (err)
		xv_plan_free(plan);
	return err;
}

void xv_plan_free(struct xv_plan *plan)
{
	free(plan->ports);
	memset(plan, 0, sizeof(*plan));
}
