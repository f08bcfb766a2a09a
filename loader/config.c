// SPDX-License-Identifier: GPL-2.0
/*
 * Config file parser and validator.
 *
 * inih splits the file into key/value pairs; everything else is ours. The
 * handler inih calls has no line number in Debian's build
 * (INI_HANDLER_LINENO is 0), and inih never tells the handler about a
 * section header, so the file is fed through ini_parse_stream() with a
 * reader that counts lines, parses section headers itself and notices lines
 * inih rejected without calling us (syntax errors). Since inih processes
 * each line before it asks for the next, the reader's count is the line of
 * the key the handler is looking at.
 *
 * Errors are collected with their line and printed sorted by line at the
 * end, so that syntax errors found while reading and cross-checks done
 * after reading come out in file order.
 */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <ini.h>

#include "config.h"
#include "log.h"

/*
 * Longest accepted line. inih's default (200) is short for a ports list;
 * Debian's inih sizes its line buffer from ini_max_line at run time.
 */
#define XV_CONFIG_MAX_LINE	1024

#define XV_MAX_CONFIG_NETS	(XV_MAX_NETS - 1)	/* id 0 is "no network" */
#define XV_MAX_REPEAT		1024	/* forward, host, lock entries a network */
#define XV_PIN_DIR_MAX		(4096 - 64) /* room for the pinned names */
#define XV_PROC_PORT_RANGE	"/proc/sys/net/ipv4/ip_local_port_range"

#define M_BRIDGE	(1u << XV_MODE_BRIDGE)
#define M_NAT		(1u << XV_MODE_NAT)
#define M_HOSTONLY	(1u << XV_MODE_HOSTONLY)
#define M_ALL		(M_BRIDGE | M_NAT | M_HOSTONLY)

#define W_GLOBAL	(1u << 0)
#define W_NET		(1u << 1)

/* ---- error list ---------------------------------------------------- */

struct cfg_msg {
	int line;
	int seq;	/* keeps messages of one line in the order found */
	char *text;
};

struct errlist {
	const char *path;
	struct cfg_msg *msgs;
	int n, cap;
	bool oom;
};

static void __attribute__((format(printf, 3, 4)))
cfg_err(struct errlist *e, int line, const char *fmt, ...)
{
	struct cfg_msg *msgs;
	char *text;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (r < 0) {
		e->oom = true;
		return;
	}
	if (e->n == e->cap) {
		msgs = reallocarray(e->msgs, e->cap ? 2 * e->cap : 16,
				    sizeof(*msgs));
		if (!msgs) {
			free(text);
			e->oom = true;
			return;
		}
		e->msgs = msgs;
		e->cap = e->cap ? 2 * e->cap : 16;
	}
	e->msgs[e->n] = (struct cfg_msg){ .line = line, .seq = e->n,
					  .text = text };
	e->n++;
}

static int cmp_msg(const void *a, const void *b)
{
	const struct cfg_msg *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Print the messages sorted by line, free them; returns how many. */
static int errlist_flush(struct errlist *e)
{
	int i, n = e->n;

	if (!n)
		return 0;
	qsort(e->msgs, e->n, sizeof(*e->msgs), cmp_msg);
	for (i = 0; i < e->n; i++) {
		pr_warn("%s:%d: %s\n", e->path, e->msgs[i].line,
			e->msgs[i].text);
		free(e->msgs[i].text);
	}
	free(e->msgs);
	e->msgs = NULL;
	e->n = e->cap = 0;
	return n;
}

/* ---- names ---------------------------------------------------------- */

static const char *const mode_names[] = {
	[XV_MODE_NONE] = "none",
	[XV_MODE_BRIDGE] = "bridge",
	[XV_MODE_NAT] = "nat",
	[XV_MODE_HOSTONLY] = "hostonly",
};

static const char *const attach_names[] = {
	[XV_ATTACH_INHERIT] = "inherit",
	[XV_ATTACH_AUTO] = "auto",
	[XV_ATTACH_XDP] = "xdp",
	[XV_ATTACH_TC] = "tc",
};

static const char *const filter_names[] = {
	[XV_FILTER_APD] = "address-port-dependent",
	[XV_FILTER_EIM] = "endpoint-independent",
};

static const char *const onoff_names[] = { "off", "on" };

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

const char *xv_mode_name(enum xv_mode m)
{
	if ((unsigned int)m >= ARRAY_SIZE(mode_names))
		return "none";
	return mode_names[m];
}

const char *xv_attach_name(enum xv_attach a)
{
	if ((unsigned int)a >= ARRAY_SIZE(attach_names))
		return "auto";
	return attach_names[a];
}

const char *xv_nat_filter_name(enum xv_nat_filter f)
{
	if ((unsigned int)f >= ARRAY_SIZE(filter_names))
		return filter_names[XV_FILTER_APD];
	return filter_names[f];
}

/* Index of S in NAMES[FIRST..N), or -1. Values are case-sensitive. */
static int lookup(const char *s, const char *const names[], int first, int n)
{
	int i;

	for (i = first; i < n; i++)
		if (names[i] && !strcmp(s, names[i]))
			return i;
	return -1;
}

/* ---- value syntax (no messages: callers name the key) -------------- */

/* Decimal only: no sign, no hex, no spaces. -EINVAL or -ERANGE. */
static int parse_u32(const char *s, __u32 min, __u32 max, __u32 *out)
{
	unsigned long long v = 0;
	const char *c;

	if (!*s)
		return -EINVAL;
	for (c = s; *c; c++) {
		if (!isdigit((unsigned char)*c))
			return -EINVAL;
		if (c - s >= 10)
			return -ERANGE;
		v = v * 10 + (unsigned int)(*c - '0');
	}
	if (v < min || v > max)
		return -ERANGE;
	*out = (__u32)v;
	return 0;
}

/*
 * Strict dotted quad. Leading zeros are refused: inet_aton() would read
 * "010" as octal 8, a user means 10, and neither should be guessed.
 */
static int parse_ip4(const char *s, __u32 *out)
{
	__u32 v = 0;
	int i, nd;

	for (i = 0; i < 4; i++) {
		unsigned int x = 0;

		for (nd = 0; isdigit((unsigned char)s[nd]) && nd < 4; nd++)
			x = x * 10 + (unsigned int)(s[nd] - '0');
		if (nd == 0 || nd > 3 || x > 255 || (nd > 1 && s[0] == '0'))
			return -EINVAL;
		v = v << 8 | x;
		s += nd;
		if (i < 3 && *s++ != '.')
			return -EINVAL;
	}
	if (*s)
		return -EINVAL;
	*out = htonl(v);
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* aa:bb:cc:dd:ee:ff; returns why not, or NULL. */
static const char *parse_mac(const char *s, __u8 mac[6])
{
	static const __u8 zero[6];
	int i, hi, lo;

	if (strlen(s) != 17)
		return "is not a MAC address (aa:bb:cc:dd:ee:ff)";
	for (i = 0; i < 6; i++) {
		hi = hexval(s[3 * i]);
		lo = hexval(s[3 * i + 1]);
		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return "is not a MAC address (aa:bb:cc:dd:ee:ff)";
		mac[i] = (__u8)(hi << 4 | lo);
	}
	if (mac[0] & 1)
		return "is a multicast MAC; a unicast MAC is needed";
	if (!memcmp(mac, zero, 6))
		return "is the zero MAC; a unicast MAC is needed";
	return NULL;
}

/* A host address anywhere: not 0/8, loopback, multicast or reserved. */
static bool ip4_unicast(__u32 addr)
{
	__u32 a = ntohl(addr) >> 24;

	return a != 0 && a != 127 && a < 224;
}

/*
 * Interface names as the kernel takes them (dev_valid_name): 1-15 bytes,
 * not "." or "..", no '/', ':' or white space. GLOB lets through the shell
 * pattern characters, which are legal in names anyway.
 */
static const char *ifname_problem(const char *s, bool glob)
{
	const char *c;

	if (!*s)
		return "is empty";
	if (strlen(s) >= XV_NAME_LEN)
		return "is longer than 15 characters";
	if (!strcmp(s, ".") || !strcmp(s, ".."))
		return "is not a valid interface name";
	for (c = s; *c; c++) {
		if (*c <= ' ' || *c >= 0x7f || *c == '/' || *c == ':')
			return "has a character not valid in an interface name";
		if (!glob && strchr("*?[]", *c))
			return "is a pattern; an interface name is needed here";
	}
	return NULL;
}

static bool ifname_is_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* Split a copy of S into at most MAX words; returns count, MAX + 1 if more. */
static int split_words(char *s, char **w, int max)
{
	char *save, *tok;
	int n = 0;

	for (tok = strtok_r(s, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		if (n == max)
			return max + 1;
		w[n++] = tok;
	}
	return n;
}

static __u32 prefix_mask(int prefix)
{
	return prefix ? ~0u << (32 - prefix) : 0;
}

struct ipbuf {
	char s[INET_ADDRSTRLEN];
};

static const char *ip_str(__u32 addr, struct ipbuf *b)
{
	inet_ntop(AF_INET, &addr, b->s, sizeof(b->s));
	return b->s;
}

/* ---- parser state --------------------------------------------------- */

enum section { SEC_NONE, SEC_GLOBAL, SEC_NET, SEC_SKIP };

struct pctx {
	struct xv_config *cfg;
	struct errlist e;
	FILE *f;
	char *buf;		/* getline() buffer */
	size_t cap;
	int line;		/* line being parsed */
	int pending;		/* key line inih has not handed to us yet */
	int read_errno;
	enum section sec;
	struct xv_netcfg *net;	/* current network when sec == SEC_NET */
	int global_line;
	bool oom;
};

#define perr(p, ...)	cfg_err(&(p)->e, (p)->line, __VA_ARGS__)

typedef void (*parse_fn)(struct pctx *p, enum xv_key key, const char *v);

struct key_desc {
	const char *name;
	unsigned int where;	/* W_GLOBAL, W_NET */
	unsigned int modes;	/* network modes the key is valid in */
	bool repeat;
	parse_fn parse;
	__u32 min, max;		/* numeric keys */
	const char *unit;
};

static const struct key_desc keys[XV_KEY_MAX];

const char *xv_key_name(enum xv_key k)
{
	if ((unsigned int)k >= XV_KEY_MAX)
		return "?";
	return keys[k].name;
}

static void *grow(void *arr, int n, size_t size, struct pctx *p)
{
	void *r = reallocarray(arr, (size_t)n + 1, size);

	if (!r)
		p->oom = true;
	return r;
}

/* ---- key parsers ---------------------------------------------------- */

static void parse_attach(struct pctx *p, enum xv_key key, const char *v)
{
	int a = lookup(v, attach_names, XV_ATTACH_AUTO, ARRAY_SIZE(attach_names));

	if (a < 0) {
		perr(p, "%s '%s': expected auto, xdp or tc", keys[key].name, v);
		return;
	}
	if (p->sec == SEC_GLOBAL)
		p->cfg->attach = a;
	else
		p->net->attach = a;
}

static void parse_pin_dir(struct pctx *p, enum xv_key key, const char *v)
{
	if (v[0] != '/') {
		perr(p, "%s '%s': must be an absolute path", keys[key].name, v);
		return;
	}
	if (strlen(v) > XV_PIN_DIR_MAX) {
		perr(p, "%s: path longer than %d characters", keys[key].name,
		     XV_PIN_DIR_MAX);
		return;
	}
	strcpy(p->cfg->pin_dir, v);
}

static __u32 *number_slot(struct pctx *p, enum xv_key key)
{
	switch (key) {
	case XV_KEY_AGEING:
		return &p->cfg->ageing;
	case XV_KEY_UDP_TIMEOUT:
		return &p->cfg->udp_timeout;
	case XV_KEY_TCP_ESTABLISHED_TIMEOUT:
		return &p->cfg->tcp_established_timeout;
	case XV_KEY_TCP_TRANSITORY_TIMEOUT:
		return &p->cfg->tcp_transitory_timeout;
	case XV_KEY_ICMP_TIMEOUT:
		return &p->cfg->icmp_timeout;
	case XV_KEY_NAT_SESSIONS:
		return &p->cfg->nat_sessions;
	case XV_KEY_MAX_MACS:
		return &p->net->max_macs;
	case XV_KEY_MAX_SESSIONS:
		return &p->net->max_sessions;
	case XV_KEY_FLOOD_PPS:
		return &p->net->flood_pps;
	default:
		return NULL;
	}
}

static void parse_number(struct pctx *p, enum xv_key key, const char *v)
{
	const struct key_desc *k = &keys[key];
	__u32 n;
	int r;

	r = parse_u32(v, k->min, k->max, &n);
	if (r) {
		perr(p, "%s '%s': %s; expected %u..%u %s", k->name, v,
		     r == -ERANGE ? "out of range" : "not a decimal number",
		     k->min, k->max, k->unit);
		return;
	}
	*number_slot(p, key) = n;
}

static void parse_onoff(struct pctx *p, enum xv_key key, const char *v)
{
	int b = lookup(v, onoff_names, 0, ARRAY_SIZE(onoff_names));

	if (b < 0) {
		perr(p, "%s '%s': expected on or off", keys[key].name, v);
		return;
	}
	if (key == XV_KEY_DNS)
		p->net->dns = b;
	else
		p->net->spoofcheck = b;
}

static void parse_mode(struct pctx *p, enum xv_key key, const char *v)
{
	int m = lookup(v, mode_names, XV_MODE_BRIDGE, ARRAY_SIZE(mode_names));

	if (m < 0) {
		perr(p, "%s '%s': expected bridge, nat or hostonly",
		     keys[key].name, v);
		return;
	}
	p->net->mode = m;
	p->net->mode_line = p->line;
}

static void free_ports(char **ports, int n)
{
	while (n-- > 0)
		free(ports[n]);
	free(ports);
}

static void parse_ports(struct pctx *p, enum xv_key key, const char *v)
{
	char copy[XV_CONFIG_MAX_LINE], *w[XV_CONFIG_MAX_LINE / 2];
	char **ports = NULL, **np;
	const char *why;
	int i, n, ok = 0;
	bool bad = false;

	snprintf(copy, sizeof(copy), "%s", v);
	n = split_words(copy, w, ARRAY_SIZE(w));
	if (!n) {
		perr(p, "%s: no interface listed", keys[key].name);
		return;
	}
	for (i = 0; i < n; i++) {
		why = ifname_problem(w[i], true);
		if (why) {
			perr(p, "%s: '%s' %s", keys[key].name, w[i], why);
			bad = true;
			continue;
		}
		np = grow(ports, ok, sizeof(*ports), p);
		if (!np)
			break;
		ports = np;
		ports[ok] = strdup(w[i]);
		if (!ports[ok]) {
			p->oom = true;
			break;
		}
		ok++;
	}
	if (bad || p->oom) {
		free_ports(ports, ok);
		return;
	}
	p->net->ports = ports;
	p->net->nports = ok;
	p->net->ports_line = p->line;
}

static void parse_ifname_key(struct pctx *p, enum xv_key key, const char *v,
			     char *dst)
{
	const char *why;

	if (strpbrk(v, " \t")) {
		perr(p, "%s '%s': exactly one interface name expected",
		     keys[key].name, v);
		return;
	}
	why = ifname_problem(v, false);
	if (why) {
		perr(p, "%s '%s' %s", keys[key].name, v, why);
		return;
	}
	strcpy(dst, v);
}

static void parse_uplink(struct pctx *p, enum xv_key key, const char *v)
{
	parse_ifname_key(p, key, v, p->net->uplink);
	p->net->uplink_line = p->line;
}

static void parse_host_if(struct pctx *p, enum xv_key key, const char *v)
{
	parse_ifname_key(p, key, v, p->net->host_if);
}

static void parse_subnet(struct pctx *p, enum xv_key key, const char *v)
{
	char copy[XV_CONFIG_MAX_LINE], *slash;
	struct ipbuf b;
	__u32 addr, prefix, mask;

	snprintf(copy, sizeof(copy), "%s", v);
	slash = strchr(copy, '/');
	if (!slash) {
		perr(p, "%s '%s': expected A.B.C.D/PREFIX", keys[key].name, v);
		return;
	}
	*slash = '\0';
	if (parse_ip4(copy, &addr)) {
		perr(p, "%s '%s': '%s' is not an IPv4 address", keys[key].name,
		     v, copy);
		return;
	}
	if (parse_u32(slash + 1, 8, 30, &prefix)) {
		perr(p, "%s '%s': prefix must be 8..30", keys[key].name, v);
		return;
	}
	if (!ip4_unicast(addr)) {
		perr(p, "%s '%s': not a unicast range (0/8, 127/8 and 224/3 are refused)",
		     keys[key].name, v);
		return;
	}
	mask = prefix_mask((int)prefix);
	if (ntohl(addr) & ~mask) {
		perr(p, "%s '%s': host bits must be zero (did you mean %s/%u?)",
		     keys[key].name, v, ip_str(htonl(ntohl(addr) & mask), &b),
		     prefix);
		return;
	}
	p->net->subnet = addr;
	p->net->prefix = (__u8)prefix;
}

static void parse_gateway(struct pctx *p, enum xv_key key, const char *v)
{
	__u32 addr;

	if (parse_ip4(v, &addr)) {
		perr(p, "%s '%s': not an IPv4 address", keys[key].name, v);
		return;
	}
	/* 0 stands for "not set" (the default gateway) further on. */
	if (!addr) {
		perr(p, "%s '%s': not a host address", keys[key].name, v);
		return;
	}
	p->net->gateway = addr;
}

/* "LO-HI" with both ends parsed by PARSE; -EINVAL if not two parts. */
static int split_range(const char *v, char *lo, char *hi, size_t size)
{
	const char *dash = strchr(v, '-');

	if (!dash || (size_t)(dash - v) >= size)
		return -EINVAL;
	snprintf(lo, size, "%.*s", (int)(dash - v), v);
	snprintf(hi, size, "%s", dash + 1);
	return 0;
}

static void parse_nat_ports(struct pctx *p, enum xv_key key, const char *v)
{
	char lo[XV_CONFIG_MAX_LINE], hi[XV_CONFIG_MAX_LINE];
	__u32 a, b;

	if (split_range(v, lo, hi, sizeof(lo)) ||
	    parse_u32(lo, 1024, 65535, &a) || parse_u32(hi, 1024, 65535, &b)) {
		perr(p, "%s '%s': expected LO-HI with 1024 <= LO <= HI <= 65535",
		     keys[key].name, v);
		return;
	}
	if (a > b) {
		perr(p, "%s '%s': LO is greater than HI", keys[key].name, v);
		return;
	}
	p->net->nat_port_lo = (__u16)a;
	p->net->nat_port_hi = (__u16)b;
	p->net->nat_ports_line = p->line;
}

static void parse_nat_filter(struct pctx *p, enum xv_key key, const char *v)
{
	int f = lookup(v, filter_names, 0, ARRAY_SIZE(filter_names));

	if (f < 0) {
		perr(p, "%s '%s': expected address-port-dependent or endpoint-independent",
		     keys[key].name, v);
		return;
	}
	p->net->nat_filter = f;
}

static bool repeat_full(struct pctx *p, enum xv_key key, int n)
{
	if (n < XV_MAX_REPEAT)
		return false;
	perr(p, "too many '%s' entries (at most %d a network)", keys[key].name,
	     XV_MAX_REPEAT);
	return true;
}

/* "ADDR:PORT" */
static int parse_addr_port(char *s, __u32 *addr, __u32 *port)
{
	char *colon = strrchr(s, ':');

	if (!colon)
		return -EINVAL;
	*colon = '\0';
	if (parse_ip4(s, addr) || parse_u32(colon + 1, 1, 65535, port))
		return -EINVAL;
	return 0;
}

static void parse_forward(struct pctx *p, enum xv_key key, const char *v)
{
	static const char *const protos[] = { "tcp", "udp" };
	char copy[XV_CONFIG_MAX_LINE], *w[3];
	struct xv_forward *fw;
	__u32 port, addr, to_port;
	int proto;

	snprintf(copy, sizeof(copy), "%s", v);
	if (split_words(copy, w, 3) != 3) {
		perr(p, "%s '%s': expected 'tcp|udp PORT ADDR:PORT'",
		     keys[key].name, v);
		return;
	}
	proto = lookup(w[0], protos, 0, ARRAY_SIZE(protos));
	if (proto < 0) {
		perr(p, "%s '%s': protocol '%s' is not tcp or udp",
		     keys[key].name, v, w[0]);
		return;
	}
	if (parse_u32(w[1], 1, 65535, &port)) {
		perr(p, "%s '%s': port '%s' is not 1..65535", keys[key].name, v,
		     w[1]);
		return;
	}
	if (parse_addr_port(w[2], &addr, &to_port)) {
		perr(p, "%s '%s': expected ADDR:PORT (IPv4 address, port 1..65535) as the target",
		     keys[key].name, v);
		return;
	}
	if (repeat_full(p, key, p->net->nforwards))
		return;
	fw = grow(p->net->forwards, p->net->nforwards, sizeof(*fw), p);
	if (!fw)
		return;
	p->net->forwards = fw;
	fw[p->net->nforwards++] = (struct xv_forward){
		.proto = proto ? IPPROTO_UDP : IPPROTO_TCP,
		.port = (__u16)port, .addr = addr, .to_port = (__u16)to_port,
		.line = p->line,
	};
}

static void parse_dhcp(struct pctx *p, enum xv_key key, const char *v)
{
	char lo[XV_CONFIG_MAX_LINE], hi[XV_CONFIG_MAX_LINE];
	__u32 a, b;

	if (split_range(v, lo, hi, sizeof(lo)) || parse_ip4(lo, &a) ||
	    parse_ip4(hi, &b)) {
		perr(p, "%s '%s': expected FIRST-LAST (two IPv4 addresses)",
		     keys[key].name, v);
		return;
	}
	if (ntohl(a) > ntohl(b)) {
		perr(p, "%s '%s': FIRST is after LAST", keys[key].name, v);
		return;
	}
	/* dhcp_lo 0 stands for "no dhcp" further on. */
	if (!a) {
		perr(p, "%s '%s': 0.0.0.0 is not a host address",
		     keys[key].name, v);
		return;
	}
	p->net->dhcp_lo = a;
	p->net->dhcp_hi = b;
}

/* DHCP host names: one DNS label. */
static bool hostname_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (!n || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return false;
	return true;
}

static void parse_host(struct pctx *p, enum xv_key key, const char *v)
{
	char copy[XV_CONFIG_MAX_LINE], *w[3];
	struct xv_static_host h = { .line = p->line }, *hs;
	const char *why;
	int n;

	snprintf(copy, sizeof(copy), "%s", v);
	n = split_words(copy, w, 3);
	if (n < 2 || n > 3) {
		perr(p, "%s '%s': expected 'MAC IP [NAME]'", keys[key].name, v);
		return;
	}
	why = parse_mac(w[0], h.mac);
	if (why) {
		perr(p, "%s '%s': '%s' %s", keys[key].name, v, w[0], why);
		return;
	}
	if (parse_ip4(w[1], &h.addr)) {
		perr(p, "%s '%s': '%s' is not an IPv4 address", keys[key].name,
		     v, w[1]);
		return;
	}
	if (n == 3 && !hostname_ok(w[2])) {
		perr(p, "%s '%s': name '%s' must be 1-63 letters, digits or '-'",
		     keys[key].name, v, w[2]);
		return;
	}
	if (n == 3)
		strcpy(h.name, w[2]);
	if (repeat_full(p, key, p->net->nhosts))
		return;
	hs = grow(p->net->hosts, p->net->nhosts, sizeof(*hs), p);
	if (!hs)
		return;
	p->net->hosts = hs;
	hs[p->net->nhosts++] = h;
}

static void parse_lock(struct pctx *p, enum xv_key key, const char *v)
{
	char copy[XV_CONFIG_MAX_LINE], *w[3];
	struct xv_lock l = { .line = p->line }, *ls;
	const char *why;
	int n;

	snprintf(copy, sizeof(copy), "%s", v);
	n = split_words(copy, w, 3);
	if (n < 2 || n > 3) {
		perr(p, "%s '%s': expected 'PORT MAC [IPV4]'", keys[key].name, v);
		return;
	}
	why = ifname_problem(w[0], false);
	if (why) {
		perr(p, "%s '%s': port '%s' %s", keys[key].name, v, w[0], why);
		return;
	}
	why = parse_mac(w[1], l.mac);
	if (why) {
		perr(p, "%s '%s': '%s' %s", keys[key].name, v, w[1], why);
		return;
	}
	if (n == 3 && (parse_ip4(w[2], &l.addr) || !ip4_unicast(l.addr))) {
		perr(p, "%s '%s': '%s' is not a unicast IPv4 address",
		     keys[key].name, v, w[2]);
		return;
	}
	strcpy(l.port, w[0]);
	if (repeat_full(p, key, p->net->nlocks))
		return;
	ls = grow(p->net->locks, p->net->nlocks, sizeof(*ls), p);
	if (!ls)
		return;
	p->net->locks = ls;
	ls[p->net->nlocks++] = l;
}

#define NUM(n, lo, hi, u) \
	.name = n, .parse = parse_number, .min = lo, .max = hi, .unit = u

/* Every key of the contract: where it may appear and how it is parsed. */
static const struct key_desc keys[XV_KEY_MAX] = {
	[XV_KEY_ATTACH] = { .name = "attach", .where = W_GLOBAL | W_NET,
			    .modes = M_ALL, .parse = parse_attach },
	[XV_KEY_PIN_DIR] = { .name = "pin_dir", .where = W_GLOBAL,
			     .parse = parse_pin_dir },
	[XV_KEY_AGEING] = { NUM("ageing", 1, 86400, "seconds"),
			    .where = W_GLOBAL },
	[XV_KEY_UDP_TIMEOUT] = { NUM("udp_timeout", 1, 2147483647, "seconds"),
				 .where = W_GLOBAL },
	[XV_KEY_TCP_ESTABLISHED_TIMEOUT] = {
		NUM("tcp_established_timeout", 1, 2147483647, "seconds"),
		.where = W_GLOBAL },
	[XV_KEY_TCP_TRANSITORY_TIMEOUT] = {
		NUM("tcp_transitory_timeout", 1, 2147483647, "seconds"),
		.where = W_GLOBAL },
	[XV_KEY_ICMP_TIMEOUT] = { NUM("icmp_timeout", 1, 2147483647, "seconds"),
				  .where = W_GLOBAL },
	[XV_KEY_NAT_SESSIONS] = { NUM("nat_sessions", XV_NAT_SESSIONS_MIN,
				      XV_NAT_SESSIONS_MAX, "sessions"),
				  .where = W_GLOBAL },
	[XV_KEY_MODE] = { .name = "mode", .where = W_NET, .modes = M_ALL,
			  .parse = parse_mode },
	[XV_KEY_PORTS] = { .name = "ports", .where = W_NET, .modes = M_ALL,
			   .parse = parse_ports },
	[XV_KEY_UPLINK] = { .name = "uplink", .where = W_NET,
			    .modes = M_BRIDGE | M_NAT, .parse = parse_uplink },
	[XV_KEY_SUBNET] = { .name = "subnet", .where = W_NET,
			    .modes = M_NAT | M_HOSTONLY, .parse = parse_subnet },
	[XV_KEY_GATEWAY] = { .name = "gateway", .where = W_NET,
			     .modes = M_NAT | M_HOSTONLY,
			     .parse = parse_gateway },
	[XV_KEY_HOST_IF] = { .name = "host_if", .where = W_NET,
			     .modes = M_NAT | M_HOSTONLY,
			     .parse = parse_host_if },
	[XV_KEY_NAT_PORTS] = { .name = "nat_ports", .where = W_NET,
			       .modes = M_NAT, .parse = parse_nat_ports },
	[XV_KEY_NAT_FILTER] = { .name = "nat_filter", .where = W_NET,
				.modes = M_NAT, .parse = parse_nat_filter },
	[XV_KEY_FORWARD] = { .name = "forward", .where = W_NET, .modes = M_NAT,
			     .repeat = true, .parse = parse_forward },
	[XV_KEY_DHCP] = { .name = "dhcp", .where = W_NET,
			  .modes = M_NAT | M_HOSTONLY, .parse = parse_dhcp },
	[XV_KEY_HOST] = { .name = "host", .where = W_NET,
			  .modes = M_NAT | M_HOSTONLY, .repeat = true,
			  .parse = parse_host },
	[XV_KEY_DNS] = { .name = "dns", .where = W_NET,
			 .modes = M_NAT | M_HOSTONLY, .parse = parse_onoff },
	[XV_KEY_SPOOFCHECK] = { .name = "spoofcheck", .where = W_NET,
				.modes = M_ALL, .parse = parse_onoff },
	[XV_KEY_LOCK] = { .name = "lock", .where = W_NET, .modes = M_ALL,
			  .repeat = true, .parse = parse_lock },
	[XV_KEY_MAX_MACS] = { NUM("max_macs", 1, XV_MAX_MACS, "MACs a port"),
			      .where = W_NET, .modes = M_ALL },
	[XV_KEY_MAX_SESSIONS] = {
		NUM("max_sessions", 1, 1048576, "sessions a VM address"),
		.where = W_NET, .modes = M_NAT },
	[XV_KEY_FLOOD_PPS] = {
		NUM("flood_pps", 1, 10000000, "packets a second a port"),
		.where = W_NET, .modes = M_ALL },
};

/* ---- sections --------------------------------------------------------- */

static void config_defaults(struct xv_config *cfg)
{
	cfg->attach = XV_ATTACH_AUTO;
	strcpy(cfg->pin_dir, "/sys/fs/bpf/xvnet");
	cfg->ageing = 300;
	cfg->udp_timeout = 300;
	cfg->tcp_established_timeout = 7440;
	cfg->tcp_transitory_timeout = 240;
	cfg->icmp_timeout = 60;
	cfg->nat_sessions = XV_NAT_SIZE;
}

static void net_defaults(struct xv_netcfg *n)
{
	n->attach = XV_ATTACH_INHERIT;
	n->nat_port_lo = 20000;
	n->nat_port_hi = 29999;
	n->nat_filter = XV_FILTER_APD;
	n->dns = true;
	n->max_macs = 64;
	n->max_sessions = 4096;
	n->flood_pps = 10000;
}

static bool netname_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 12 && strspn(s, "abcdefghijklmnopqrstuvwxyz"
					      "0123456789_-") == n;
}

static void new_network(struct pctx *p, const char *name)
{
	struct xv_config *cfg = p->cfg;
	struct xv_netcfg *nets;
	int i;

	if (!*name) {
		perr(p, "missing network name: expected [network NAME]");
		return;
	}
	if (!netname_ok(name)) {
		perr(p, "invalid network name '%s': use 1-12 characters a-z, 0-9, '_' or '-'",
		     name);
		return;
	}
	for (i = 0; i < cfg->nnets; i++) {
		if (!strcmp(cfg->nets[i].name, name)) {
			perr(p, "duplicate network '%s' (first defined on line %d)",
			     name, cfg->nets[i].line);
			return;
		}
	}
	if (cfg->nnets == XV_MAX_CONFIG_NETS) {
		perr(p, "too many networks: at most %d", XV_MAX_CONFIG_NETS);
		return;
	}
	nets = grow(cfg->nets, cfg->nnets, sizeof(*nets), p);
	if (!nets)
		return;
	cfg->nets = nets;
	p->net = &nets[cfg->nnets++];
	memset(p->net, 0, sizeof(*p->net));
	net_defaults(p->net);
	strcpy(p->net->name, name);
	p->net->line = p->line;
	p->sec = SEC_NET;
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* S starts with '['. Keys that follow a bad header are ignored. */
static void section_header(struct pctx *p, const char *s)
{
	char inner[XV_CONFIG_MAX_LINE], *t;
	const char *end = strchr(s, ']'), *rest;

	p->sec = SEC_SKIP;
	p->net = NULL;
	if (!end) {
		perr(p, "unterminated section header: missing ']'");
		return;
	}
	for (rest = end + 1; isspace((unsigned char)*rest); rest++)
		;
	if (*rest && *rest != ';' && *rest != '#') {
		perr(p, "unexpected text '%s' after the section header", rest);
		return;
	}
	snprintf(inner, sizeof(inner), "%.*s", (int)(end - s - 1), s + 1);
	t = trim(inner);
	if (!strcmp(t, "global")) {
		if (p->global_line)
			perr(p, "duplicate [global] section (first on line %d)",
			     p->global_line);
		else
			p->global_line = p->line;
		p->sec = SEC_GLOBAL;
		return;
	}
	if (!strncmp(t, "network", 7) && (!t[7] || isspace((unsigned char)t[7]))) {
		new_network(p, trim(t + 7));
		return;
	}
	perr(p, "unknown section [%s]: expected [global] or [network NAME]", t);
}

/* ---- inih glue -------------------------------------------------------- */

static int key_lookup(const char *name)
{
	int k;

	for (k = 0; k < XV_KEY_MAX; k++)
		if (!strcmp(name, keys[k].name))
			return k;
	return -1;
}

static bool key_misplaced(struct pctx *p, const char *name, int key)
{
	unsigned int where = p->sec == SEC_GLOBAL ? W_GLOBAL : W_NET;

	if (key >= 0 && (keys[key].where & where))
		return false;
	if (key < 0 && p->sec == SEC_GLOBAL)
		perr(p, "unknown key '%s' in [global]", name);
	else if (key < 0)
		perr(p, "unknown key '%s' in [network %s]", name, p->net->name);
	else if (where == W_GLOBAL)
		perr(p, "key '%s' is not valid in [global]: it belongs in a [network NAME] section",
		     name);
	else
		perr(p, "key '%s' is not valid in [network %s]: it belongs in [global]",
		     name, p->net->name);
	return true;
}

static int on_key(void *user, const char *section, const char *name,
		  const char *value)
{
	struct pctx *p = user;
	int key, *lines;

	(void)section;	/* inih's idea of the section: see section_header() */
	p->pending = 0;
	if (p->sec == SEC_SKIP)
		return 1;
	if (!*name) {
		perr(p, "missing key name before '='");
		return 1;
	}
	if (p->sec == SEC_NONE) {
		perr(p, "key '%s' outside of any section: put it under [global] or [network NAME]",
		     name);
		return 1;
	}
	key = key_lookup(name);
	if (key_misplaced(p, name, key))
		return 1;
	lines = p->sec == SEC_GLOBAL ? p->cfg->key_line : p->net->key_line;
	if (lines[key] && !keys[key].repeat) {
		perr(p, "duplicate key '%s' (first set on line %d)", name,
		     lines[key]);
		return 1;
	}
	if (!lines[key])
		lines[key] = p->line;
	keys[key].parse(p, key, value);
	/* Never 0: inih would count a parse error we already reported. */
	return 1;
}

/* A line that looked like "key = value" but never reached on_key(). */
static void check_consumed(struct pctx *p)
{
	if (p->pending)
		cfg_err(&p->e, p->pending,
			"syntax error: expected 'key = value', '[section]' or a comment");
	p->pending = 0;
}

/*
 * fgets-like reader for ini_parse_stream(). Leading white space is removed
 * so that inih never sees an indented line: inih would take it as the
 * continuation of the previous value (multi-line values), which the
 * contract does not have; repeated keys are simply repeated lines.
 */
static char *read_line(char *str, int num, void *stream)
{
	struct pctx *p = stream;
	ssize_t n;
	char *s;

	check_consumed(p);
	errno = 0;
	n = getline(&p->buf, &p->cap, p->f);
	if (n < 0) {
		p->read_errno = ferror(p->f) ? (errno ? errno : EIO) : 0;
		return NULL;
	}
	p->line++;
	s = p->buf;
	if (p->line == 1 && !strncmp(s, "\xef\xbb\xbf", 3))
		s += 3;		/* UTF-8 byte order mark */
	if ((ssize_t)strlen(p->buf) != n) {
		perr(p, "line contains a NUL byte");
		str[0] = '\0';
		return str;
	}
	s = trim(s);
	if (strlen(s) + 2 > (size_t)num) {
		perr(p, "line longer than %d characters", num - 2);
		str[0] = '\0';
		return str;
	}
	if (*s == '[')
		section_header(p, s);
	else if (*s && !strchr(";#", *s))
		p->pending = p->line;
	strcpy(str, s);
	return str;
}

/* ---- validation of one network ------------------------------------- */

static void modes_text(unsigned int mask, char *buf, size_t size)
{
	int m, off = 0;

	buf[0] = '\0';
	for (m = XV_MODE_BRIDGE; m <= XV_MODE_HOSTONLY; m++)
		if (mask & (1u << m))
			off += snprintf(buf + off, size - (size_t)off, "%s%s",
					off ? ", " : "", mode_names[m]);
}

static void check_mode_keys(const struct xv_netcfg *n, struct errlist *e)
{
	unsigned int mask = 1u << n->mode;
	char modes[64];
	int k;

	for (k = 0; k < XV_KEY_MAX; k++) {
		if (!n->key_line[k] || (keys[k].modes & mask))
			continue;
		modes_text(keys[k].modes, modes, sizeof(modes));
		cfg_err(e, n->key_line[k],
			"'%s' is not valid in a %s network (only in: %s)",
			keys[k].name, mode_names[n->mode], modes);
	}
}

static bool has_host_adapter(const struct xv_netcfg *n)
{
	return n->mode == XV_MODE_NAT || n->mode == XV_MODE_HOSTONLY;
}

static bool has_uplink(const struct xv_netcfg *n)
{
	return n->mode == XV_MODE_BRIDGE || n->mode == XV_MODE_NAT;
}

static void check_required(const struct xv_netcfg *n, struct errlist *e)
{
	if (has_uplink(n) && !n->key_line[XV_KEY_UPLINK])
		cfg_err(e, n->line, "network '%s': 'uplink' is required in %s mode",
			n->name, mode_names[n->mode]);
	if (has_host_adapter(n) && !n->key_line[XV_KEY_SUBNET])
		cfg_err(e, n->line, "network '%s': 'subnet' is required in %s mode",
			n->name, mode_names[n->mode]);
}

static void apply_mode_defaults(struct xv_netcfg *n)
{
	if (!n->key_line[XV_KEY_SPOOFCHECK])
		n->spoofcheck = n->mode != XV_MODE_BRIDGE;
	if (has_host_adapter(n) && !n->key_line[XV_KEY_HOST_IF])
		snprintf(n->host_if, sizeof(n->host_if), "xv-%.12s", n->name);
	if (has_host_adapter(n))
		snprintf(n->adapter, sizeof(n->adapter), "xvp%.12s", n->name);
	if (has_host_adapter(n) && n->prefix && !n->key_line[XV_KEY_GATEWAY])
		n->gateway = htonl(ntohl(n->subnet) + 1);
}

/*
 * Why ADDR is not a usable host address of the network's subnet, as
 * "A.B.C.D is ..." in BUF; NULL if it is. VM also refuses the gateway,
 * which is the host's own address.
 */
static const char *addr_problem(const struct xv_netcfg *n, __u32 addr,
				bool vm, char *buf, size_t size)
{
	__u32 a = ntohl(addr), net = ntohl(n->subnet);
	__u32 mask = prefix_mask(n->prefix);
	struct ipbuf x, s;
	const char *why;

	if (vm && addr == n->gateway) {
		snprintf(buf, size, "%s is the gateway", ip_str(addr, &x));
		return buf;
	}
	if ((a & mask) != net)
		why = "is outside the subnet";
	else if (a == net)
		why = "is the network address of";
	else if (a == (net | ~mask))
		why = "is the broadcast address of";
	else
		return NULL;
	snprintf(buf, size, "%s %s %s/%d", ip_str(addr, &x), why,
		 ip_str(n->subnet, &s), n->prefix);
	return buf;
}

static void check_gateway_dhcp(const struct xv_netcfg *n, struct errlist *e)
{
	const __u32 ends[2] = { n->dhcp_lo, n->dhcp_hi };
	int i, line = n->key_line[XV_KEY_DHCP];
	struct ipbuf a, b, g;
	char why[128];

	if (n->gateway && addr_problem(n, n->gateway, false, why, sizeof(why)))
		cfg_err(e, n->key_line[XV_KEY_GATEWAY], "gateway %s", why);
	if (!n->dhcp_lo)
		return;
	for (i = 0; i < 2; i++) {
		if (addr_problem(n, ends[i], false, why, sizeof(why))) {
			cfg_err(e, line, "dhcp %s-%s: %s", ip_str(n->dhcp_lo, &a),
				ip_str(n->dhcp_hi, &b), why);
			return;
		}
	}
	if (ntohl(n->gateway) >= ntohl(n->dhcp_lo) &&
	    ntohl(n->gateway) <= ntohl(n->dhcp_hi))
		cfg_err(e, line, "dhcp %s-%s: range contains the gateway %s",
			ip_str(n->dhcp_lo, &a), ip_str(n->dhcp_hi, &b),
			ip_str(n->gateway, &g));
}

static void check_hosts(const struct xv_netcfg *n, struct errlist *e)
{
	const struct xv_static_host *h, *o;
	struct ipbuf a;
	char why[128];
	int i, j;

	if (n->nhosts && !n->dhcp_lo)
		cfg_err(e, n->key_line[XV_KEY_HOST],
			"host: static leases need 'dhcp' in this network");
	for (i = 0; i < n->nhosts; i++) {
		h = &n->hosts[i];
		if (addr_problem(n, h->addr, true, why, sizeof(why)))
			cfg_err(e, h->line, "host address %s", why);
		for (j = 0; j < i; j++) {
			o = &n->hosts[j];
			if (!memcmp(o->mac, h->mac, 6))
				cfg_err(e, h->line, "host: duplicate MAC (first on line %d)",
					o->line);
			else if (o->addr == h->addr)
				cfg_err(e, h->line, "host: duplicate address %s (first on line %d)",
					ip_str(h->addr, &a), o->line);
		}
	}
}

static const char *proto_name(__u8 proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}

static void check_forwards(const struct xv_netcfg *n, struct errlist *e)
{
	const struct xv_forward *f, *o;
	char why[128];
	int i, j;

	for (i = 0; i < n->nforwards; i++) {
		f = &n->forwards[i];
		if (n->prefix && addr_problem(n, f->addr, true, why, sizeof(why)))
			cfg_err(e, f->line, "forward %s %u: target %s",
				proto_name(f->proto), f->port, why);
		/* SNAT could hand the same outside port to a session. */
		if (f->port >= n->nat_port_lo && f->port <= n->nat_port_hi)
			cfg_err(e, f->line, "forward %s %u: port is inside nat_ports %u-%u",
				proto_name(f->proto), f->port, n->nat_port_lo,
				n->nat_port_hi);
		for (j = 0; j < i; j++) {
			o = &n->forwards[j];
			if (o->proto == f->proto && o->port == f->port) {
				cfg_err(e, f->line, "forward %s %u: duplicate (first on line %d)",
					proto_name(f->proto), f->port, o->line);
				break;
			}
			/* A mapping ties one inside endpoint to one outside port. */
			if (o->proto == f->proto && o->addr == f->addr &&
			    o->to_port == f->to_port) {
				struct ipbuf a;

				cfg_err(e, f->line, "forward %s %u: target %s:%u is already forwarded from port %u (line %d); one outside port per VM address:port",
					proto_name(f->proto), f->port,
					ip_str(f->addr, &a), f->to_port,
					o->port, o->line);
				break;
			}
		}
	}
}

static bool port_listed(const struct xv_netcfg *n, const char *ifname)
{
	int i;

	for (i = 0; i < n->nports; i++)
		if (!fnmatch(n->ports[i], ifname, 0))
			return true;
	return false;
}

static void check_locks(const struct xv_netcfg *n, struct errlist *e)
{
	const struct xv_lock *l;
	char why[128];
	int i, j;

	for (i = 0; i < n->nlocks; i++) {
		l = &n->locks[i];
		if (!port_listed(n, l->port))
			cfg_err(e, l->line, "lock: port '%s' is not one of the ports of network '%s'",
				l->port, n->name);
		if (l->addr && has_host_adapter(n) && n->prefix &&
		    addr_problem(n, l->addr, true, why, sizeof(why)))
			cfg_err(e, l->line, "lock: address %s", why);
		for (j = 0; j < i; j++) {
			const struct xv_lock *o = &n->locks[j];

			if (!memcmp(o->mac, l->mac, 6)) {
				cfg_err(e, l->line, "lock: MAC already locked on line %d",
					o->line);
				break;
			}
			if (!strcmp(o->port, l->port)) {
				cfg_err(e, l->line, "lock: port '%s' already locked on line %d",
					l->port, o->line);
				break;
			}
			if (l->addr && o->addr == l->addr) {
				cfg_err(e, l->line, "lock: address already locked on line %d",
					o->line);
				break;
			}
		}
	}
}

/*
 * The flood list of a network holds every member: ports, the uplink of a
 * bridge network, the host adapter. A nat network's uplink is no member: it
 * is reached by translation, not bridging.
 */
static void check_capacity(const struct xv_netcfg *n, struct errlist *e)
{
	int extra = (n->mode == XV_MODE_BRIDGE) + has_host_adapter(n);

	if (n->nports + extra > XV_MAX_PORTS)
		cfg_err(e, n->ports_line, "ports: %d listed; a %s network has at most %d",
			n->nports, mode_names[n->mode], XV_MAX_PORTS - extra);
}

static void validate_net(struct xv_netcfg *n, struct errlist *e)
{
	if (!n->key_line[XV_KEY_MODE])
		cfg_err(e, n->line, "network '%s': 'mode' is required (bridge, nat or hostonly)",
			n->name);
	if (n->mode == XV_MODE_NONE)
		return;		/* missing or bad mode: nothing more to say */
	check_mode_keys(n, e);
	check_required(n, e);
	apply_mode_defaults(n);
	if (has_host_adapter(n) && n->prefix) {
		check_gateway_dhcp(n, e);
		check_hosts(n, e);
	}
	if (n->mode == XV_MODE_NAT)
		check_forwards(n, e);
	check_locks(n, e);
	check_capacity(n, e);
}

/* ---- cross-network checks --------------------------------------------- */

enum if_role { ROLE_PORT, ROLE_UPLINK, ROLE_HOST_IF, ROLE_ADAPTER };

struct if_use {
	const char *name;
	const struct xv_netcfg *net;
	enum if_role role;
	int line;
	int seq;
};

static const char *const role_key[] = {
	"port", "uplink", "host_if", "adapter peer",
};
static const char *const role_desc[] = {
	"a port", "the uplink", "the host adapter (host_if)",
	"the host adapter's peer",
};

static int cmp_use(const void *a, const void *b)
{
	const struct if_use *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * Uplinks may be shared (a bridge and a nat network on eth0 is the
 * contract's own example), except by two bridge networks: frames arriving
 * on it could belong to either segment.
 */
static bool uses_conflict(const struct if_use *a, const struct if_use *b)
{
	if (strcmp(a->name, b->name))
		return false;
	if (a->role == ROLE_UPLINK && b->role == ROLE_UPLINK)
		return a->net->mode == XV_MODE_BRIDGE &&
		       b->net->mode == XV_MODE_BRIDGE;
	return true;
}

static void add_use(struct if_use *u, int *c, const char *name,
		    const struct xv_netcfg *n, enum if_role role, int line)
{
	u[*c] = (struct if_use){ .name = name, .net = n, .role = role,
				 .line = line, .seq = *c };
	(*c)++;
}

static int collect_uses(const struct xv_config *cfg, struct if_use *u)
{
	const struct xv_netcfg *n;
	int i, j, c = 0;

	for (i = 0; i < cfg->nnets; i++) {
		n = &cfg->nets[i];
		for (j = 0; j < n->nports; j++)
			add_use(u, &c, n->ports[j], n, ROLE_PORT, n->ports_line);
		if (n->uplink[0] && has_uplink(n))
			add_use(u, &c, n->uplink, n, ROLE_UPLINK, n->uplink_line);
		if (n->host_if[0])
			add_use(u, &c, n->host_if, n, ROLE_HOST_IF,
				n->key_line[XV_KEY_HOST_IF] ?: n->line);
		if (n->adapter[0])
			add_use(u, &c, n->adapter, n, ROLE_ADAPTER, n->line);
	}
	qsort(u, c, sizeof(*u), cmp_use);
	return c;
}

/* Every interface has one role in one network; report the later use. */
static void check_interfaces(const struct xv_config *cfg, struct errlist *e)
{
	struct if_use *u;
	int i, j, n = 0;

	for (i = 0; i < cfg->nnets; i++)
		n += cfg->nets[i].nports + 3;
	u = calloc(n ? n : 1, sizeof(*u));
	if (!u) {
		e->oom = true;
		return;
	}
	n = collect_uses(cfg, u);
	for (i = 0; i < n; i++) {
		for (j = 0; j < i; j++) {
			if (!uses_conflict(&u[j], &u[i]))
				continue;
			cfg_err(e, u[i].line, "%s '%s' is already %s of network '%s' (line %d)",
				role_key[u[i].role], u[i].name,
				role_desc[u[j].role], u[j].net->name, u[j].line);
			break;
		}
	}
	free(u);
}

static void check_subnets(const struct xv_config *cfg, struct errlist *e)
{
	const struct xv_netcfg *a, *b;
	struct ipbuf x, y;
	__u32 mask;
	int i, j;

	for (i = 0; i < cfg->nnets; i++) {
		b = &cfg->nets[i];
		if (!b->prefix || !has_host_adapter(b))
			continue;
		for (j = 0; j < i; j++) {
			a = &cfg->nets[j];
			if (!a->prefix || !has_host_adapter(a))
				continue;
			mask = prefix_mask(a->prefix < b->prefix ? a->prefix : b->prefix);
			if ((ntohl(a->subnet) & mask) != (ntohl(b->subnet) & mask))
				continue;
			cfg_err(e, b->key_line[XV_KEY_SUBNET],
				"subnet %s/%d overlaps subnet %s/%d of network '%s' (line %d)",
				ip_str(b->subnet, &x), b->prefix, ip_str(a->subnet, &y),
				a->prefix, a->name, a->key_line[XV_KEY_SUBNET]);
			break;
		}
	}
}

/* Two nat networks on one uplink share its address: forwards must differ. */
static void check_shared_forwards(const struct xv_config *cfg,
				  const struct xv_netcfg *b, struct errlist *e)
{
	const struct xv_netcfg *a;
	int i, j, k;

	for (k = 0; k < b->nforwards; k++) {
		const struct xv_forward *f = &b->forwards[k];

		for (i = 0; &cfg->nets[i] != b; i++) {
			a = &cfg->nets[i];
			if (a->mode != XV_MODE_NAT || strcmp(a->uplink, b->uplink))
				continue;
			for (j = 0; j < a->nforwards; j++)
				if (a->forwards[j].proto == f->proto &&
				    a->forwards[j].port == f->port)
					cfg_err(e, f->line, "forward %s %u: uplink %s already forwards it for network '%s' (line %d)",
						proto_name(f->proto), f->port,
						b->uplink, a->name,
						a->forwards[j].line);
		}
	}
}

/*
 * Every forward takes two entries of the datapath's forward table (from
 * outside and from inside), all networks together.
 */
static void check_forward_count(const struct xv_config *cfg,
				struct errlist *e)
{
	int i, k, total = 0;

	for (i = 0; i < cfg->nnets; i++) {
		const struct xv_netcfg *n = &cfg->nets[i];

		if (n->mode != XV_MODE_NAT)
			continue;
		for (k = 0; k < n->nforwards; k++)
			if (++total == XV_NAT_FWD_SIZE / 2 + 1)
				cfg_err(e, n->forwards[k].line,
					"forward %s %u: more than %d forwards in all networks together",
					proto_name(n->forwards[k].proto),
					n->forwards[k].port,
					XV_NAT_FWD_SIZE / 2);
	}
}

static void validate_all(struct xv_config *cfg, struct errlist *e)
{
	int i;

	for (i = 0; i < cfg->nnets; i++)
		validate_net(&cfg->nets[i], e);
	check_interfaces(cfg, e);
	check_subnets(cfg, e);
	for (i = 0; i < cfg->nnets; i++)
		if (cfg->nets[i].mode == XV_MODE_NAT && cfg->nets[i].uplink[0])
			check_shared_forwards(cfg, &cfg->nets[i], e);
	check_forward_count(cfg, e);
}

/* ---- public ---------------------------------------------------------- */

void xv_config_free(struct xv_config *cfg)
{
	struct xv_netcfg *n;
	int i;

	for (i = 0; i < cfg->nnets; i++) {
		n = &cfg->nets[i];
		free_ports(n->ports, n->nports);
		free(n->forwards);
		free(n->hosts);
		free(n->locks);
	}
	free(cfg->nets);
	memset(cfg, 0, sizeof(*cfg));
}

static int open_config(const char *path, FILE **f)
{
	struct stat st;
	int err;

	*f = fopen(path, "re");
	if (!*f)
		err = errno;
	else if (fstat(fileno(*f), &st))
		err = errno;
	else if (S_ISDIR(st.st_mode))
		err = EISDIR;
	else
		return 0;
	if (*f)
		fclose(*f);
	*f = NULL;
	pr_warn("%s: cannot open: %s\n", path, strerror(err));
	return -err;
}

/* Run inih over the open file; returns 0 or -errno for I/O and memory. */
static int parse_file(struct pctx *p)
{
	int saved = ini_max_line, r;

	ini_max_line = XV_CONFIG_MAX_LINE;
	r = ini_parse_stream(read_line, p, on_key, p);
	ini_max_line = saved;
	check_consumed(p);
	if (p->read_errno) {
		pr_warn("%s: cannot read: %s\n", p->cfg->path,
			strerror(p->read_errno));
		return -p->read_errno;
	}
	if (r == -2 || p->oom || p->e.oom)
		return -ENOMEM;
	/* Safety net: inih saw an error our reader did not. */
	if (r > 0 && !p->e.n)
		cfg_err(&p->e, r, "syntax error");
	return 0;
}

int xv_config_load(const char *path, struct xv_config *cfg)
{
	struct pctx p = { .cfg = cfg, .e.path = path };
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	if (strlen(path) >= sizeof(cfg->path)) {
		pr_warn("%s: cannot open: %s\n", path, strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	strcpy(cfg->path, path);
	config_defaults(cfg);
	ret = open_config(path, &p.f);
	if (ret)
		goto out;
	ret = parse_file(&p);
	fclose(p.f);
	free(p.buf);
	if (!ret) {
		validate_all(cfg, &p.e);
		if (p.e.oom)
			ret = -ENOMEM;
	}
	if (errlist_flush(&p.e) && !ret)
		ret = -EINVAL;
	if (ret == -ENOMEM)
		pr_warn("%s: out of memory\n", path);
out:
	if (ret)
		xv_config_free(cfg);
	return ret;
}

const struct xv_netcfg *xv_config_net_by_name(const struct xv_config *cfg,
					      const char *name)
{
	int i, j;

	for (i = 0; i < cfg->nnets; i++)
		for (j = 0; j < cfg->nets[i].nports; j++)
			if (!strcmp(cfg->nets[i].ports[j], name))
				return &cfg->nets[i];
	return NULL;
}

const struct xv_netcfg *xv_config_net_match_port(const struct xv_config *cfg,
						 const char *ifname)
{
	const struct xv_netcfg *n = xv_config_net_by_name(cfg, ifname);
	int i, j;

	if (n)
		return n;
	for (i = 0; i < cfg->nnets; i++)
		for (j = 0; j < cfg->nets[i].nports; j++)
			if (ifname_is_glob(cfg->nets[i].ports[j]) &&
			    !fnmatch(cfg->nets[i].ports[j], ifname, 0))
				return &cfg->nets[i];
	return NULL;
}

const struct xv_netcfg *xv_config_find_net(const struct xv_config *cfg,
					   const char *name)
{
	int i;

	for (i = 0; i < cfg->nnets; i++)
		if (!strcmp(cfg->nets[i].name, name))
			return &cfg->nets[i];
	return NULL;
}

enum xv_attach xv_config_attach(const struct xv_config *cfg,
				const struct xv_netcfg *net)
{
	if (net && net->attach != XV_ATTACH_INHERIT)
		return net->attach;
	if (cfg->attach != XV_ATTACH_INHERIT)
		return cfg->attach;
	return XV_ATTACH_AUTO;
}

int xv_config_check_host_range(const struct xv_config *cfg, unsigned int lo,
			       unsigned int hi)
{
	struct errlist e = { .path = cfg->path };
	const struct xv_netcfg *n;
	int i;

	for (i = 0; i < cfg->nnets; i++) {
		n = &cfg->nets[i];
		if (n->mode != XV_MODE_NAT || n->nat_port_lo > hi ||
		    n->nat_port_hi < lo)
			continue;
		cfg_err(&e, n->nat_ports_line ?: n->line,
			"nat_ports %u-%u overlaps the host's ephemeral ports %u-%u (net.ipv4.ip_local_port_range)",
			n->nat_port_lo, n->nat_port_hi, lo, hi);
	}
	return errlist_flush(&e) || e.oom ? -EINVAL : 0;
}

int xv_config_check_host(const struct xv_config *cfg)
{
	unsigned int lo, hi;
	bool any = false;
	FILE *f;
	int i, r;

	for (i = 0; i < cfg->nnets; i++)
		any |= cfg->nets[i].mode == XV_MODE_NAT;
	if (!any)
		return 0;
	f = fopen(XV_PROC_PORT_RANGE, "re");
	if (!f) {
		r = -errno;
		pr_warn("%s: cannot open: %s\n", XV_PROC_PORT_RANGE, strerror(-r));
		return r;
	}
	r = fscanf(f, "%u %u", &lo, &hi);
	fclose(f);
	if (r != 2) {
		pr_warn("%s: cannot parse the port range\n", XV_PROC_PORT_RANGE);
		return -EIO;
	}
	return xv_config_check_host_range(cfg, lo, hi);
}
