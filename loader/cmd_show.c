// SPDX-License-Identifier: GPL-2.0
/* status and fdb: read the pinned maps and ask the kernel what is attached. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "attach.h"
#include "commands.h"
#include "config.h"
#include "log.h"
#include "nl.h"
#include "state.h"

#define stat_names xv_stats_names

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

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

static const char *role_name(__u32 flags)
{
	return flags & XV_PORT_UPLINK ? "uplink" : "vm";
}

static int open_state(struct xv_opts *o, struct xv_config *cfg,
		      struct xv_state *st)
{
	int err;

	if (xv_config_load(o->config, cfg))
		return -XV_EUSAGE;
	err = xv_state_open(cfg->pin_dir, st);
	if (err) {
		pr_warn("%s: xvnet is not up\n", cfg->pin_dir);
		xv_config_free(cfg);
		return -XV_EUSAGE;
	}
	err = xv_state_check_netns(st);
	if (err) {
		xv_state_close(st);
		xv_config_free(cfg);
	}
	return err;
}

static void print_net_text(const struct xv_state *st, __u32 id,
			   const struct xv_net *net,
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
	printf("  %-16s %-8s %-7s %-12s %s\n", "PORT", "IFINDEX", "ROLE",
	       "ATTACH", "XDP-TARGET");
	for (int i = 0; i < n; i++) {
		const struct xv_port *p = &ports[i].val;

		if (p->net != id)
			continue;
		printf("  %-16s %-8u %-7s %-12s %s\n", p->name, ports[i].ifindex,
		       role_name(p->flags), attach_kind(st, ports[i].ifindex, p),
		       p->flags & XV_PORT_XDP_TARGET ? "yes" : "no");
	}
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

static void print_net_json(const struct xv_state *st, __u32 id,
			   const struct xv_net *net,
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

		if (p->net != id)
			continue;
		printf("%s{\"name\":", first ? "" : ",");
		json_str(p->name);
		printf(",\"ifindex\":%u,\"role\":\"%s\",\"attach\":\"%s\",\"xdp_target\":%s}",
		       ports[i].ifindex, role_name(p->flags),
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
	printf("}}");
}

int xv_cmd_status(struct xv_opts *o)
{
	struct xv_port_ent *ports = NULL;
	struct xv_config cfg;
	struct xv_state st;
	struct xv_net net;
	bool first = true;
	int n = 0, err;

	err = open_state(o, &cfg, &st);
	if (err)
		return err;
	err = xv_state_ports(&st, &ports, &n);
	if (err)
		goto out;
	if (o->json) {
		printf("{\"pin_dir\":");
		json_str(cfg.pin_dir);
		printf(",\"networks\":[");
	} else {
		printf("pin_dir %s\n", cfg.pin_dir);
	}
	for (__u32 id = 1; id < XV_MAX_NETS; id++) {
		if (xv_state_net(&st, id, &net) || !net.mode)
			continue;
		if (o->json) {
			printf("%s", first ? "" : ",");
			print_net_json(&st, id, &net, ports, n);
		} else {
			print_net_text(&st, id, &net, ports, n);
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

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
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
