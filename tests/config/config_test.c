// SPDX-License-Identifier: GPL-2.0
/*
 * Config parser tests. Every DIR/good/NAME.conf and DIR/bad/NAME.conf goes
 * through xv_config_load() with stderr captured; the expectations are in
 * the files themselves:
 *
 *   ; expect: LINE: SUBSTRING       (bad/) load fails with -EINVAL and
 *                                   prints "FILE:LINE: ...SUBSTRING..."
 *   (none)                          (good/) load succeeds silently
 *
 * Then the API around the parser. Prints one line per case, "PASS config:
 * NAME" or "FAIL config: NAME: why", and nothing else; exits 1 on failure.
 *
 * Usage: config_test [DIR]    (default tests/config)
 */
#include <errno.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "config.h"

#define MAX_EXPECT	32

struct expect {
	int line;
	char text[256];
};

static int failures;
static char why[1024];

static void report(const char *name, bool ok)
{
	if (ok) {
		printf("PASS config: %s\n", name);
		return;
	}
	printf("FAIL config: %s: %s\n", name, why);
	failures++;
}

/* Sets why[]; returns false so that checks can "return fail(...)". */
static bool __attribute__((format(printf, 1, 2))) fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	/* one report line per case: no newlines from captured output */
	for (char *c = why; *c; c++)
		if (*c == '\n')
			*c = '|';
	return false;
}

/* ---- stderr capture ---------------------------------------------------- */

struct capture {
	FILE *tmp;
	int saved;
};

static void capture_start(struct capture *c)
{
	fflush(stderr);
	c->tmp = tmpfile();
	c->saved = dup(2);
	if (!c->tmp || c->saved < 0 || dup2(fileno(c->tmp), 2) < 0) {
		perror("config_test: capture");
		exit(2);
	}
}

/* Returns what was written to stderr since capture_start(); caller frees. */
static char *capture_end(struct capture *c)
{
	long size;
	char *buf;

	fflush(stderr);
	dup2(c->saved, 2);
	close(c->saved);
	size = ftell(c->tmp);
	buf = calloc(1, size + 1);
	rewind(c->tmp);
	if (!buf || fread(buf, 1, size, c->tmp) != (size_t)size) {
		perror("config_test: capture read");
		exit(2);
	}
	fclose(c->tmp);
	return buf;
}

static int load_captured(const char *path, struct xv_config *cfg, char **out)
{
	struct capture c;
	int ret;

	capture_start(&c);
	ret = xv_config_load(path, cfg);
	*out = capture_end(&c);
	return ret;
}

/* ---- expectations ------------------------------------------------------ */

static int read_expects(const char *path, struct expect *ex)
{
	char buf[4096], *rest, *end;
	int n = 0;
	FILE *f;

	f = fopen(path, "r");
	if (!f)
		return -1;
	while (n < MAX_EXPECT && fgets(buf, sizeof(buf), f)) {
		if (strncmp(buf, "; expect: ", 10))
			continue;
		rest = buf + 10;
		ex[n].line = (int)strtol(rest, &end, 10);
		if (end == rest || strncmp(end, ": ", 2))
			continue;
		snprintf(ex[n].text, sizeof(ex[n].text), "%s", end + 2);
		ex[n].text[strcspn(ex[n].text, "\r\n")] = '\0';
		n++;
	}
	fclose(f);
	return n;
}

/*
 * Calls FN on every line of OUT after checking it is "PATH:N: message"
 * with N not smaller than the line before. FN gets N and the message.
 */
static bool each_line(const char *path, const char *out,
		      bool (*fn)(int line, const char *msg, void *arg), void *arg)
{
	char *copy = strdup(out), *save, *l, *end;
	size_t plen = strlen(path);
	int n, last = 0;
	bool ok = true;

	for (l = strtok_r(copy, "\n", &save); l && ok;
	     l = strtok_r(NULL, "\n", &save)) {
		if (strncmp(l, path, plen) || l[plen] != ':') {
			ok = fail("not 'FILE:LINE: message': '%s'", l);
			break;
		}
		n = (int)strtol(l + plen + 1, &end, 10);
		if (n <= 0 || strncmp(end, ": ", 2)) {
			ok = fail("not 'FILE:LINE: message': '%s'", l);
			break;
		}
		if (n < last) {
			ok = fail("messages not in line order: '%s'", l);
			break;
		}
		last = n;
		if (fn)
			ok = fn(n, end + 2, arg);
	}
	free(copy);
	return ok;
}

struct find {
	const struct expect *ex;
	bool found;
};

static bool find_line(int line, const char *msg, void *arg)
{
	struct find *f = arg;

	if (line == f->ex->line && strstr(msg, f->ex->text))
		f->found = true;
	return true;
}

static bool expects_met(const char *path, const char *out,
			const struct expect *ex, int n)
{
	struct find f;
	int i;

	for (i = 0; i < n; i++) {
		f = (struct find){ .ex = &ex[i] };
		each_line(path, out, find_line, &f);
		if (!f.found)
			return fail("no '%s:%d: ...%s...' in: %s", path,
				    ex[i].line, ex[i].text, out);
	}
	return true;
}

static bool cfg_zeroed(const struct xv_config *cfg)
{
	if (cfg->nets || cfg->nnets || cfg->path[0])
		return fail("config not freed and zeroed after an error");
	return true;
}

/* ---- value checks for some good files --------------------------------- */

#define CHECK(cond) do { if (!(cond)) return fail("%s", #cond); } while (0)

static bool check_bridge_basic(struct xv_config *cfg)
{
	const struct xv_netcfg *n = &cfg->nets[0];

	CHECK(cfg->attach == XV_ATTACH_AUTO);
	CHECK(!strcmp(cfg->pin_dir, "/sys/fs/bpf/xvnet"));
	CHECK(cfg->ageing == 300 && cfg->udp_timeout == 300);
	CHECK(cfg->tcp_established_timeout == 7440);
	CHECK(cfg->tcp_transitory_timeout == 240 && cfg->icmp_timeout == 60);
	CHECK(cfg->nat_sessions == XV_NAT_SIZE);
	CHECK(cfg->nnets == 1 && !strcmp(n->name, "lan"));
	CHECK(n->line == 6 && n->mode_line == 7 && n->uplink_line == 8);
	CHECK(n->ports_line == 9 && n->key_line[XV_KEY_PORTS] == 9);
	CHECK(n->mode == XV_MODE_BRIDGE && !strcmp(n->uplink, "eth0"));
	CHECK(n->nports == 2 && !strcmp(n->ports[0], "tap0") &&
	      !strcmp(n->ports[1], "tap1"));
	CHECK(!n->spoofcheck && n->dns && !n->host_if[0]);
	CHECK(n->max_macs == 64 && n->max_sessions == 4096 &&
	      n->flood_pps == 10000);
	CHECK(n->nat_port_lo == 20000 && n->nat_port_hi == 29999);
	CHECK(n->attach == XV_ATTACH_INHERIT);
	CHECK(xv_config_attach(cfg, n) == XV_ATTACH_AUTO);
	return true;
}

static bool check_bridge_full(struct xv_config *cfg)
{
	const struct xv_netcfg *lan = &cfg->nets[0], *dmz = &cfg->nets[1];

	CHECK(cfg->nnets == 2 && cfg->attach == XV_ATTACH_TC);
	CHECK(!strcmp(cfg->pin_dir, "/run/xvnet-pins") && cfg->ageing == 600);
	CHECK(lan->nports == 3 && !strcmp(lan->ports[2], "vnet*"));
	CHECK(lan->mode == XV_MODE_BRIDGE && dmz->mode == XV_MODE_BRIDGE);
	CHECK(xv_config_attach(cfg, lan) == XV_ATTACH_TC);
	CHECK(xv_config_attach(cfg, dmz) == XV_ATTACH_XDP);
	CHECK(xv_config_net_by_name(cfg, "tap1") == lan);
	CHECK(xv_config_net_by_name(cfg, "tap2") == dmz);
	CHECK(xv_config_net_by_name(cfg, "vnet3") == NULL);
	CHECK(xv_config_net_by_name(cfg, "vnet*") == lan);
	CHECK(xv_config_net_match_port(cfg, "vnet3") == lan);
	CHECK(xv_config_net_match_port(cfg, "dmz4") == dmz);
	CHECK(xv_config_net_match_port(cfg, "eth0") == NULL);
	CHECK(xv_config_find_net(cfg, "dmz_2") == dmz);
	CHECK(xv_config_find_net(cfg, "tap0") == NULL);
	return true;
}

static bool check_empty(struct xv_config *cfg)
{
	CHECK(cfg->nnets == 0 && cfg->attach == XV_ATTACH_AUTO);
	return true;
}

static bool check_crlf_bom(struct xv_config *cfg)
{
	CHECK(cfg->attach == XV_ATTACH_XDP && cfg->nnets == 1);
	CHECK(!strcmp(cfg->nets[0].ports[0], "tap0"));
	CHECK(!strcmp(cfg->nets[0].uplink, "eth0"));
	return true;
}

static bool check_max_networks(struct xv_config *cfg)
{
	CHECK(cfg->nnets == XV_MAX_NETS - 1);
	CHECK(!strcmp(cfg->nets[62].name, "n62"));
	return true;
}

static bool check_nat_basic(struct xv_config *cfg)
{
	const struct xv_netcfg *n = &cfg->nets[0];

	CHECK(cfg->udp_timeout == 120 && cfg->tcp_established_timeout == 3600);
	CHECK(cfg->tcp_transitory_timeout == 60 && cfg->icmp_timeout == 30);
	CHECK(cfg->nat_sessions == 1048576);
	CHECK(cfg->key_line[XV_KEY_NAT_SESSIONS] == 7);
	CHECK(cfg->nnets == 1 && n->mode == XV_MODE_NAT);
	CHECK(n->subnet == htonl(0xc0a86400) && n->prefix == 24);
	CHECK(n->gateway == htonl(0xc0a86401));
	CHECK(!strcmp(n->host_if, "xv-nat0") && !strcmp(n->adapter, "xvpnat0"));
	CHECK(n->nat_port_lo == 20000 && n->nat_port_hi == 29999);
	CHECK(n->nat_filter == XV_FILTER_EIM && n->spoofcheck && n->dns);
	CHECK(n->nforwards == 2);
	CHECK(n->forwards[0].proto == IPPROTO_TCP && n->forwards[0].port == 8080 &&
	      n->forwards[0].addr == htonl(0xc0a8640a) &&
	      n->forwards[0].to_port == 80 && n->forwards[0].line == 15);
	CHECK(n->forwards[1].proto == IPPROTO_UDP && n->forwards[1].port == 5353 &&
	      n->forwards[1].to_port == 53);
	CHECK(!strcmp(n->uplink, "eth0"));
	return true;
}

static bool check_shared_uplink(struct xv_config *cfg)
{
	CHECK(cfg->nnets == 3);
	CHECK(!strcmp(cfg->nets[1].adapter, "xvpa") &&
	      !strcmp(cfg->nets[2].host_if, "xv-b"));
	CHECK(!cfg->nets[0].adapter[0] && !cfg->nets[0].host_if[0]);
	return true;
}

static const struct {
	const char *file;
	bool (*fn)(struct xv_config *cfg);
} value_checks[] = {
	{ "nat-basic.conf", check_nat_basic },
	{ "shared-uplink.conf", check_shared_uplink },
	{ "bridge-basic.conf", check_bridge_basic },
	{ "bridge-full.conf", check_bridge_full },
	{ "empty.conf", check_empty },
	{ "crlf-bom.conf", check_crlf_bom },
	{ "max-networks.conf", check_max_networks },
};

static bool run_value_check(const char *path, struct xv_config *cfg)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	size_t i;

	for (i = 0; i < sizeof(value_checks) / sizeof(value_checks[0]); i++)
		if (!strcmp(base, value_checks[i].file))
			return value_checks[i].fn(cfg);
	return true;
}

/* ---- file cases ------------------------------------------------------- */

static bool good_case(const char *path)
{
	struct expect ex[MAX_EXPECT];
	struct xv_config cfg;
	bool ok = true;
	char *out;
	int n, ret;

	n = read_expects(path, ex);
	ret = load_captured(path, &cfg, &out);
	if (n > 0) {
		ok = fail("a good config with '; expect:' lines");	} else if (ret) {
		ok = fail("load returned %d: %s", ret, out);
	} else if (*out) {
		ok = fail("a good config printed: %s", out);
	} else {
		ok = run_value_check(path, &cfg);
	}
	xv_config_free(&cfg);
	free(out);
	return ok;
}

static bool bad_case(const char *path)
{
	struct expect ex[MAX_EXPECT];
	struct xv_config cfg;
	bool ok;
	char *out;
	int n, ret;

	n = read_expects(path, ex);
	if (n <= 0)
		return fail("no '; expect: LINE: text' line");
	ret = load_captured(path, &cfg, &out);
	if (ret != -EINVAL)
		ok = fail("expected -EINVAL, got %d: %s", ret, out);
	else
		ok = each_line(path, out, NULL, NULL) &&
		     expects_met(path, out, ex, n) && cfg_zeroed(&cfg);
	xv_config_free(&cfg);
	free(out);
	return ok;
}

static void run_dir(const char *dir, const char *sub, bool (*fn)(const char *))
{
	char pattern[4096];
	glob_t g;
	size_t i;

	snprintf(pattern, sizeof(pattern), "%s/%s/*.conf", dir, sub);
	if (glob(pattern, 0, NULL, &g)) {
		fail("no files match %.900s", pattern);
		report(sub, false);
		return;
	}
	for (i = 0; i < g.gl_pathc; i++)
		report(g.gl_pathv[i], fn(g.gl_pathv[i]));
	globfree(&g);
}

/* ---- API cases -------------------------------------------------------- */

static bool api_missing_file(const char *dir)
{
	char path[4096], want[4200];
	struct xv_config cfg;
	char *out;
	bool ok;
	int ret;

	snprintf(path, sizeof(path), "%s/no-such-file.conf", dir);
	snprintf(want, sizeof(want), "%s: cannot open: %s\n", path,
		 strerror(ENOENT));
	ret = load_captured(path, &cfg, &out);
	ok = ret == -ENOENT && !strcmp(out, want) && cfg_zeroed(&cfg);
	if (!ok)
		fail("got %d '%s', want -ENOENT '%s'", ret, out, want);
	free(out);
	return ok;
}

static bool api_directory(const char *dir)
{
	struct xv_config cfg;
	char *out;
	bool ok;
	int ret;

	ret = load_captured(dir, &cfg, &out);
	ok = ret == -EISDIR && strstr(out, ": cannot open: ") && cfg_zeroed(&cfg);
	if (!ok)
		fail("got %d '%s', want -EISDIR 'cannot open'", ret, out);
	free(out);
	return ok;
}

/* A nat network built by hand, with no file behind it. */
static void nat_config(struct xv_config *cfg, struct xv_netcfg *n)
{
	memset(cfg, 0, sizeof(*cfg));
	memset(n, 0, sizeof(*n));
	strcpy(cfg->path, "nat.conf");
	strcpy(n->name, "nat0");
	n->line = 3;
	n->mode = XV_MODE_NAT;
	n->nat_port_lo = 20000;
	n->nat_port_hi = 29999;
	n->nat_ports_line = 7;
	cfg->nets = n;
	cfg->nnets = 1;
}

static bool api_check_host_range(void)
{
	const char *want = "nat.conf:7: nat_ports 20000-29999 overlaps the host's "
		"ephemeral ports 29999-60999 (net.ipv4.ip_local_port_range)\n";
	struct xv_netcfg n;
	struct xv_config cfg;
	struct capture c;
	int r1, r2;
	char *out;
	bool ok;

	nat_config(&cfg, &n);
	capture_start(&c);
	r1 = xv_config_check_host_range(&cfg, 32768, 60999);
	r2 = xv_config_check_host_range(&cfg, 29999, 60999);
	out = capture_end(&c);
	ok = r1 == 0 && r2 == -EINVAL && !strcmp(out, want);
	if (!ok)
		fail("got %d %d '%s'", r1, r2, out);
	free(out);
	return ok;
}

static bool api_check_host(void)
{
	struct xv_netcfg n;
	struct xv_config cfg;
	unsigned int lo, hi;
	struct capture c;
	int r, want;
	FILE *f;

	f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	if (!f || fscanf(f, "%u %u", &lo, &hi) != 2) {
		if (f)
			fclose(f);
		return fail("cannot read ip_local_port_range");
	}
	fclose(f);
	nat_config(&cfg, &n);
	want = lo <= 29999 && hi >= 20000 ? -EINVAL : 0;
	capture_start(&c);
	r = xv_config_check_host(&cfg);
	free(capture_end(&c));
	if (r != want)
		return fail("got %d, want %d for host range %u-%u", r, want, lo, hi);
	n.mode = XV_MODE_BRIDGE;	/* no nat network: nothing to check */
	if (xv_config_check_host(&cfg))
		return fail("bridge-only config failed the host check");
	return true;
}

static bool api_names(void)
{
	CHECK(!strcmp(xv_mode_name(XV_MODE_BRIDGE), "bridge"));
	CHECK(!strcmp(xv_mode_name(XV_MODE_NAT), "nat"));
	CHECK(!strcmp(xv_mode_name(XV_MODE_HOSTONLY), "hostonly"));
	CHECK(!strcmp(xv_attach_name(XV_ATTACH_AUTO), "auto"));
	CHECK(!strcmp(xv_attach_name(XV_ATTACH_XDP), "xdp"));
	CHECK(!strcmp(xv_attach_name(XV_ATTACH_TC), "tc"));
	CHECK(!strcmp(xv_nat_filter_name(XV_FILTER_EIM), "endpoint-independent"));
	CHECK(!strcmp(xv_key_name(XV_KEY_TCP_ESTABLISHED_TIMEOUT),
		      "tcp_established_timeout"));
	CHECK(!strcmp(xv_key_name(XV_KEY_FLOOD_PPS), "flood_pps"));
	return true;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "tests/config";

	setvbuf(stdout, NULL, _IOLBF, 0);
	run_dir(dir, "good", good_case);
	run_dir(dir, "bad", bad_case);
	report("api: missing file", api_missing_file(dir));
	report("api: directory", api_directory(dir));
	report("api: check_host_range", api_check_host_range());
	report("api: check_host", api_check_host());
	report("api: names", api_names());
	return failures ? 1 : 0;
}
