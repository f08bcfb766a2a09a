// SPDX-License-Identifier: GPL-2.0
/*
 * What an accepted config must look like, written from the contract
 * (DESIGN.md "Config file", README "Config reference") and independently of
 * loader/config.c: whatever the validator let through is checked again
 * here, field by field, so that an input it wrongly accepts shows up as a
 * fuzzer crash. Also a field-by-field comparison of two parsed configs
 * (parsing is deterministic). Only the pure parse + validate step: host
 * checks (interfaces, ephemeral ports) are not part of xv_config_load().
 */
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "config.h"
#include "config_check.h"

static char *why;
static size_t why_size;

static bool __attribute__((format(printf, 1, 2))) bad(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, why_size, fmt, ap);
	va_end(ap);
	return false;
}

static bool ifname_ok(const char *s, bool glob)
{
	size_t n = strnlen(s, XV_NAME_LEN);
	const char *c;

	if (n == 0 || n >= XV_NAME_LEN || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (c = s; *c; c++) {
		if ((unsigned char)*c <= ' ' || (unsigned char)*c >= 0x7f ||
		    *c == '/' || *c == ':')
			return false;
		if (!glob && strchr("*?[]", *c))
			return false;
	}
	return true;
}

static bool netname_ok(const char *s)
{
	size_t n = strnlen(s, XV_NAME_LEN);

	return n >= 1 && n <= 12 &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

static bool mac_unicast(const __u8 *m)
{
	static const __u8 zero[6];

	return !(m[0] & 1) && memcmp(m, zero, 6);
}

static __u32 mask_of(int prefix)
{
	return prefix ? ~0u << (32 - prefix) : 0;
}

/* A usable host address of the network's subnet (host order checks). */
static bool in_subnet_host(const struct xv_netcfg *n, __u32 addr)
{
	__u32 a = ntohl(addr), net = ntohl(n->subnet), m = mask_of(n->prefix);

	return (a & m) == net && a != net && a != (net | ~m);
}

static bool has_adapter(const struct xv_netcfg *n)
{
	return n->mode == XV_MODE_NAT || n->mode == XV_MODE_HOSTONLY;
}

static bool has_uplink(const struct xv_netcfg *n)
{
	return n->mode == XV_MODE_BRIDGE || n->mode == XV_MODE_NAT;
}

static bool check_global(const struct xv_config *c)
{
	size_t pl = strnlen(c->pin_dir, sizeof(c->pin_dir));

	if (c->attach < XV_ATTACH_AUTO || c->attach > XV_ATTACH_TC)
		return bad("global attach %d", c->attach);
	if (pl == sizeof(c->pin_dir) || c->pin_dir[0] != '/' || pl > 4096 - 64)
		return bad("pin_dir '%.64s' (%zu characters)", c->pin_dir, pl);
	if (c->ageing < 1 || c->ageing > 86400)
		return bad("ageing %u", c->ageing);
	if (!c->udp_timeout || !c->tcp_established_timeout ||
	    !c->tcp_transitory_timeout || !c->icmp_timeout ||
	    c->udp_timeout > 2147483647u ||
	    c->tcp_established_timeout > 2147483647u ||
	    c->tcp_transitory_timeout > 2147483647u ||
	    c->icmp_timeout > 2147483647u)
		return bad("a NAT timeout out of 1..2^31-1");
	if (c->nat_sessions < XV_NAT_SESSIONS_MIN ||
	    c->nat_sessions > XV_NAT_SESSIONS_MAX)
		return bad("nat_sessions %u", c->nat_sessions);
	if (c->nnets < 0 || c->nnets > XV_MAX_NETS - 1)
		return bad("%d networks", c->nnets);
	return true;
}

/* Keys of one mode only: what an accepted network of another mode lacks. */
static bool check_mode_fields(const struct xv_netcfg *n)
{
	if (n->mode < XV_MODE_BRIDGE || n->mode > XV_MODE_HOSTONLY ||
	    !n->key_line[XV_KEY_MODE])
		return bad("network %s: mode %d", n->name, n->mode);
	if (has_uplink(n) && !ifname_ok(n->uplink, false))
		return bad("network %s: uplink '%.16s'", n->name, n->uplink);
	if (!has_uplink(n) && (n->uplink[0] || n->key_line[XV_KEY_UPLINK]))
		return bad("network %s: hostonly with uplink", n->name);
	if (n->mode != XV_MODE_NAT &&
	    (n->nforwards || n->key_line[XV_KEY_NAT_PORTS] ||
	     n->key_line[XV_KEY_NAT_FILTER] || n->key_line[XV_KEY_MAX_SESSIONS]))
		return bad("network %s: nat keys in a %s network", n->name,
			   xv_mode_name(n->mode));
	if (!has_adapter(n) &&
	    (n->prefix || n->subnet || n->gateway || n->dhcp_lo ||
	     n->dhcp_hi || n->nhosts || n->host_if[0] || n->adapter[0] ||
	     n->key_line[XV_KEY_DNS]))
		return bad("network %s: adapter keys in a bridge network",
			   n->name);
	if (n->attach < XV_ATTACH_INHERIT || n->attach > XV_ATTACH_TC)
		return bad("network %s: attach %d", n->name, n->attach);
	if (!n->key_line[XV_KEY_SPOOFCHECK] &&
	    n->spoofcheck != (n->mode != XV_MODE_BRIDGE))
		return bad("network %s: spoofcheck default %d", n->name,
			   n->spoofcheck);
	return true;
}

static bool check_adapter(const struct xv_netcfg *n)
{
	__u32 net = ntohl(n->subnet), first = ntohl(n->dhcp_lo);
	__u32 last = ntohl(n->dhcp_hi), gw = ntohl(n->gateway);
	char want[XV_NAME_LEN];

	if (n->prefix < 8 || n->prefix > 30 || (net & ~mask_of(n->prefix)))
		return bad("network %s: subnet %#x/%u", n->name, net, n->prefix);
	if ((net >> 24) == 0 || (net >> 24) == 127 || (net >> 24) >= 224)
		return bad("network %s: subnet %#x not unicast", n->name, net);
	if (!in_subnet_host(n, n->gateway))
		return bad("network %s: gateway %#x", n->name, gw);
	if (!ifname_ok(n->host_if, false))
		return bad("network %s: host_if '%.16s'", n->name, n->host_if);
	snprintf(want, sizeof(want), "xvp%s", n->name);
	if (strcmp(n->adapter, want))
		return bad("network %s: adapter '%.16s'", n->name, n->adapter);
	if (!n->key_line[XV_KEY_DHCP] && (n->dhcp_lo || n->dhcp_hi))
		return bad("network %s: a dhcp range without the key", n->name);
	if (n->key_line[XV_KEY_DHCP] &&
	    (!in_subnet_host(n, n->dhcp_lo) || !in_subnet_host(n, n->dhcp_hi) ||
	     first > last || (gw >= first && gw <= last)))
		return bad("network %s: dhcp %#x-%#x in subnet %#x/%u, gateway %#x",
			   n->name, first, last, net, n->prefix, gw);
	if (n->nhosts && !n->key_line[XV_KEY_DHCP])
		return bad("network %s: static hosts without dhcp", n->name);
	return true;
}

static bool check_hosts(const struct xv_netcfg *n)
{
	const struct xv_static_host *h;
	size_t nl;
	int i, j;

	for (i = 0; i < n->nhosts; i++) {
		h = &n->hosts[i];
		nl = strnlen(h->name, sizeof(h->name));
		if (!mac_unicast(h->mac) || !in_subnet_host(n, h->addr) ||
		    h->addr == n->gateway || h->line <= 0)
			return bad("network %s: host %d (line %d)", n->name, i,
				   h->line);
		if (nl == sizeof(h->name) || (nl && (h->name[0] == '-' ||
		    h->name[nl - 1] == '-' ||
		    strspn(h->name, "abcdefghijklmnopqrstuvwxyz"
			   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != nl)))
			return bad("network %s: host name '%.64s'", n->name,
				   h->name);
		for (j = 0; j < i; j++)
			if (!memcmp(h->mac, n->hosts[j].mac, 6) ||
			    h->addr == n->hosts[j].addr)
				return bad("network %s: hosts %d and %d share a MAC or address",
					   n->name, j, i);
	}
	return true;
}

static bool check_forwards(const struct xv_netcfg *n)
{
	const struct xv_forward *f, *o;
	int i, j;

	if (n->mode == XV_MODE_NAT &&
	    (n->nat_port_lo < 1024 || n->nat_port_lo > n->nat_port_hi))
		return bad("network %s: nat_ports %u-%u", n->name,
			   n->nat_port_lo, n->nat_port_hi);
	for (i = 0; i < n->nforwards; i++) {
		f = &n->forwards[i];
		if ((f->proto != IPPROTO_TCP && f->proto != IPPROTO_UDP) ||
		    !f->port || !f->to_port || f->line <= 0 ||
		    (f->port >= n->nat_port_lo && f->port <= n->nat_port_hi) ||
		    !in_subnet_host(n, f->addr) || f->addr == n->gateway)
			return bad("network %s: forward %d (line %d)", n->name, i,
				   f->line);
		for (j = 0; j < i; j++) {
			o = &n->forwards[j];
			if (o->proto != f->proto)
				continue;
			if (o->port == f->port ||
			    (o->addr == f->addr && o->to_port == f->to_port))
				return bad("network %s: forwards on lines %d and %d collide",
					   n->name, o->line, f->line);
		}
	}
	return true;
}

static bool port_listed(const struct xv_netcfg *n, const char *name)
{
	int i;

	for (i = 0; i < n->nports; i++)
		if (!fnmatch(n->ports[i], name, 0))
			return true;
	return false;
}

static bool check_ports_locks(const struct xv_netcfg *n)
{
	int i, j, extra = (n->mode == XV_MODE_BRIDGE) + has_adapter(n);

	if (n->nports < 0 || n->nports + extra > XV_MAX_PORTS)
		return bad("network %s: %d ports", n->name, n->nports);
	for (i = 0; i < n->nports; i++)
		if (!ifname_ok(n->ports[i], true))
			return bad("network %s: port '%.16s'", n->name,
				   n->ports[i]);
	for (i = 0; i < n->nlocks; i++) {
		const struct xv_lock *l = &n->locks[i];

		if (!ifname_ok(l->port, false) || !port_listed(n, l->port) ||
		    !mac_unicast(l->mac) || l->line <= 0)
			return bad("network %s: lock %d (line %d)", n->name, i,
				   l->line);
		if (l->addr && ((ntohl(l->addr) >> 24) == 0 ||
				(ntohl(l->addr) >> 24) == 127 ||
				(ntohl(l->addr) >> 24) >= 224))
			return bad("network %s: lock %d address not unicast",
				   n->name, i);
		if (l->addr && has_adapter(n) &&
		    (!in_subnet_host(n, l->addr) || l->addr == n->gateway))
			return bad("network %s: lock %d address", n->name, i);
		for (j = 0; j < i; j++)
			if (!memcmp(l->mac, n->locks[j].mac, 6))
				return bad("network %s: locks %d and %d share a MAC",
					   n->name, j, i);
	}
	if (n->max_macs < 1 || n->max_macs > XV_FDB_SIZE ||
	    n->max_sessions < 1 || n->max_sessions > 1048576 ||
	    n->flood_pps < 1 || n->flood_pps > 10000000)
		return bad("network %s: a limit out of range", n->name);
	return true;
}

/* Every interface name with its role; two uses of one name collide. */
struct use {
	const char *name;
	const struct xv_netcfg *net;
	bool uplink;
};

static bool uses_collide(const struct use *a, const struct use *b)
{
	if (strcmp(a->name, b->name))
		return false;
	if (a->uplink && b->uplink)
		return a->net->mode == XV_MODE_BRIDGE &&
		       b->net->mode == XV_MODE_BRIDGE;
	return true;
}

static bool check_interfaces(const struct xv_config *c)
{
	static struct use u[(XV_MAX_NETS - 1) * (XV_MAX_PORTS + 3)];
	const struct xv_netcfg *n;
	int i, j, k = 0;

	for (i = 0; i < c->nnets; i++) {
		n = &c->nets[i];
		for (j = 0; j < n->nports; j++)
			u[k++] = (struct use){ n->ports[j], n, false };
		if (has_uplink(n))
			u[k++] = (struct use){ n->uplink, n, true };
		if (has_adapter(n)) {
			u[k++] = (struct use){ n->host_if, n, false };
			u[k++] = (struct use){ n->adapter, n, false };
		}
	}
	for (i = 0; i < k; i++)
		for (j = 0; j < i; j++)
			if (uses_collide(&u[i], &u[j]))
				return bad("interface '%.16s' used twice (networks %s and %s)",
					   u[i].name, u[j].net->name,
					   u[i].net->name);
	return true;
}

static bool check_cross(const struct xv_config *c)
{
	const struct xv_netcfg *a, *b;
	__u32 m;
	int i, j, k, l;

	for (i = 0; i < c->nnets; i++) {
		b = &c->nets[i];
		for (j = 0; j < i; j++) {
			a = &c->nets[j];
			if (!strncmp(a->name, b->name, XV_NAME_LEN))
				return bad("network %s twice", a->name);
			if (has_adapter(a) && has_adapter(b)) {
				m = mask_of(a->prefix < b->prefix ? a->prefix :
					    b->prefix);
				if ((ntohl(a->subnet) & m) == (ntohl(b->subnet) & m))
					return bad("subnets of %s and %s overlap",
						   a->name, b->name);
			}
			if (a->mode != XV_MODE_NAT || b->mode != XV_MODE_NAT ||
			    strcmp(a->uplink, b->uplink))
				continue;
			for (k = 0; k < a->nforwards; k++)
				for (l = 0; l < b->nforwards; l++)
					if (a->forwards[k].proto == b->forwards[l].proto &&
					    a->forwards[k].port == b->forwards[l].port)
						return bad("nat networks %s and %s on %s forward one port",
							   a->name, b->name,
							   a->uplink);
		}
	}
	return check_interfaces(c);
}

bool xvf_config_valid(const struct xv_config *c, char *buf, size_t size)
{
	const struct xv_netcfg *n;
	int i;

	why = buf;
	why_size = size;
	if (!check_global(c))
		return false;
	for (i = 0; i < c->nnets; i++) {
		n = &c->nets[i];
		if (!netname_ok(n->name) || n->line <= 0)
			return bad("network name '%.16s' (line %d)", n->name,
				   n->line);
		if (!check_mode_fields(n) || !check_ports_locks(n))
			return false;
		if (has_adapter(n) && (!check_adapter(n) || !check_hosts(n)))
			return false;
		if (!check_forwards(n))
			return false;
	}
	return check_cross(c);
}

/* ---- equality ------------------------------------------------------------ */

#define SAME(f)	(a->f == b->f)
#define SAME_STR(f)	(!strncmp(a->f, b->f, sizeof(a->f)))

static bool net_equal(const struct xv_netcfg *a, const struct xv_netcfg *b)
{
	int i;

	if (!SAME_STR(name) || !SAME(line) || !SAME(mode) || !SAME(mode_line) ||
	    !SAME(attach) || !SAME_STR(uplink) || !SAME(uplink_line) ||
	    !SAME(nports) || !SAME(ports_line) || !SAME(subnet) ||
	    !SAME(prefix) || !SAME(gateway) || !SAME_STR(host_if) ||
	    !SAME_STR(adapter) || !SAME(nat_port_lo) || !SAME(nat_port_hi) ||
	    !SAME(nat_ports_line) || !SAME(nat_filter) || !SAME(nforwards) ||
	    !SAME(dhcp_lo) || !SAME(dhcp_hi) || !SAME(nhosts) || !SAME(dns) ||
	    !SAME(spoofcheck) || !SAME(nlocks) || !SAME(max_macs) ||
	    !SAME(max_sessions) || !SAME(flood_pps) ||
	    memcmp(a->key_line, b->key_line, sizeof(a->key_line)))
		return false;
	for (i = 0; i < a->nports; i++)
		if (strcmp(a->ports[i], b->ports[i]))
			return false;
	for (i = 0; i < a->nforwards; i++) {
		const struct xv_forward *x = &a->forwards[i], *y = &b->forwards[i];

		if (x->proto != y->proto || x->port != y->port ||
		    x->addr != y->addr || x->to_port != y->to_port ||
		    x->line != y->line)
			return false;
	}
	for (i = 0; i < a->nhosts; i++) {
		const struct xv_static_host *x = &a->hosts[i], *y = &b->hosts[i];

		if (memcmp(x->mac, y->mac, 6) || x->addr != y->addr ||
		    strncmp(x->name, y->name, sizeof(x->name)) ||
		    x->line != y->line)
			return false;
	}
	for (i = 0; i < a->nlocks; i++) {
		const struct xv_lock *x = &a->locks[i], *y = &b->locks[i];

		if (strncmp(x->port, y->port, sizeof(x->port)) ||
		    memcmp(x->mac, y->mac, 6) || x->addr != y->addr ||
		    x->line != y->line)
			return false;
	}
	return true;
}

bool xvf_config_equal(const struct xv_config *a, const struct xv_config *b)
{
	int i;

	if (!SAME_STR(path) || !SAME(attach) || !SAME_STR(pin_dir) ||
	    !SAME(ageing) || !SAME(udp_timeout) ||
	    !SAME(tcp_established_timeout) || !SAME(tcp_transitory_timeout) ||
	    !SAME(icmp_timeout) || !SAME(nat_sessions) || !SAME(nnets) ||
	    memcmp(a->key_line, b->key_line, sizeof(a->key_line)))
		return false;
	for (i = 0; i < a->nnets; i++)
		if (!net_equal(&a->nets[i], &b->nets[i]))
			return false;
	return true;
}
