// SPDX-License-Identifier: GPL-2.0
/*
 * tapio: a minimal IPv4 "VM" behind a real tap device, for namespace tests.
 *
 * It enters a network namespace, creates a tap (IFF_TAP | IFF_NO_PI, so the
 * frames are plain Ethernet, as a guest without a vnet header sees them),
 * brings it up and then plays the guest: it answers ARP requests and ICMP
 * echo requests for its address and, with --ping, resolves a target and
 * sends it echo requests. Everything is bounded in time.
 *
 *   tapio --netns NS --dev NAME --mac MAC --ip A.B.C.D/P
 *         [--ping TARGET --count N --timeout SEC] [--serve SEC]
 *
 * "ready" is printed once the tap is up. With --ping the exit status is 0
 * only if every request got exactly one intact reply; the result line is
 * "tapio: R/N replies" (plus duplicates or bad checksums if any were seen).
 * With --serve it keeps answering until SEC seconds after start.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/if.h>
#include <linux/if_arp.h>
#include <linux/if_ether.h>
#include <linux/if_tun.h>
#include <linux/icmp.h>
#include <linux/ip.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FRAME_MAX	65536
#define PING_DATA	56	/* payload bytes, as ping(8) sends */
#define PING_GAP_MS	200	/* between two echo requests */
#define ARP_GAP_MS	1000	/* between two ARP requests for the target */
#define MAX_COUNT	1000

/* struct iphdr.frag_off bits (kernel-internal names). */
#define IP_DF		0x4000
#define IP_MF		0x2000
#define IP_OFFSET	0x1fff

/* ARP for IPv4 over Ethernet; the kernel header leaves the addresses out. */
struct arp_eth {
	struct arphdr hdr;
	uint8_t sha[ETH_ALEN];
	uint8_t spa[4];
	uint8_t tha[ETH_ALEN];
	uint8_t tpa[4];
} __attribute__((packed));

struct opts {
	const char *netns;
	const char *dev;
	uint8_t mac[ETH_ALEN];
	struct in_addr ip;
	struct in_addr target;
	bool ping;
	unsigned int count;
	unsigned int timeout_s;
	unsigned int serve_s;
};

struct ping_state {
	uint16_t id;
	bool have_mac;
	uint8_t mac[ETH_ALEN];
	unsigned int sent;
	unsigned int replies;
	unsigned int dups;
	unsigned int bad;
	bool seen[MAX_COUNT + 1];
	uint64_t next_arp;
	uint64_t next_send;
	uint64_t deadline;
	bool done;
	int result;
};

static const uint8_t bcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static void die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("tapio: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* RFC 1071 checksum; a correct packet sums to zero including its field. */
static uint16_t csum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;

	while (len > 1) {
		sum += (uint32_t)p[0] << 8 | p[1];
		p += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons(~sum & 0xffff);
}

static unsigned int parse_uint(const char *s, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *s == '\0' || *end != '\0' || v > 1000000)
		die("bad %s '%s'", what, s);
	return v;
}

static void parse_mac(const char *s, uint8_t *mac)
{
	unsigned int b[ETH_ALEN];
	char tail;
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &tail) != ETH_ALEN)
		die("bad MAC '%s'", s);
	for (i = 0; i < ETH_ALEN; i++) {
		if (b[i] > 0xff)
			die("bad MAC '%s'", s);
		mac[i] = b[i];
	}
	if (mac[0] & 1)
		die("MAC '%s' is multicast", s);
}

static void parse_cidr(const char *s, struct in_addr *ip)
{
	char buf[32];
	char *slash;

	if (strlen(s) >= sizeof(buf))
		die("bad address '%s'", s);
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash) {
		*slash = '\0';
		if (parse_uint(slash + 1, "prefix length") > 32)
			die("bad prefix length in '%s'", s);
	}
	if (inet_pton(AF_INET, buf, ip) != 1)
		die("bad address '%s'", s);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: tapio --netns NS --dev NAME --mac MAC --ip A.B.C.D/P\n"
		"             [--ping TARGET --count N --timeout SEC] [--serve SEC]\n");
	exit(2);
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lopts[] = {
		{ "netns",   required_argument, NULL, 'n' },
		{ "dev",     required_argument, NULL, 'd' },
		{ "mac",     required_argument, NULL, 'm' },
		{ "ip",      required_argument, NULL, 'i' },
		{ "ping",    required_argument, NULL, 'p' },
		{ "count",   required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "serve",   required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	bool have_mac = false, have_ip = false;
	int c;

	memset(o, 0, sizeof(*o));
	o->count = 3;
	o->timeout_s = 10;
	while ((c = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			o->netns = optarg;
			break;
		case 'd':
			o->dev = optarg;
			break;
		case 'm':
			parse_mac(optarg, o->mac);
			have_mac = true;
			break;
		case 'i':
			parse_cidr(optarg, &o->ip);
			have_ip = true;
			break;
		case 'p':
			if (inet_pton(AF_INET, optarg, &o->target) != 1)
				die("bad ping target '%s'", optarg);
			o->ping = true;
			break;
		case 'c':
			o->count = parse_uint(optarg, "count");
			break;
		case 't':
			o->timeout_s = parse_uint(optarg, "timeout");
			break;
		case 's':
			o->serve_s = parse_uint(optarg, "serve time");
			break;
		default:
			usage();
		}
	}
	if (optind != argc || !o->dev || !have_mac || !have_ip)
		usage();
	if (strlen(o->dev) >= IFNAMSIZ)
		die("interface name '%s' too long", o->dev);
	if (!o->ping && !o->serve_s)
		die("nothing to do: give --ping or --serve");
	if (o->count < 1 || o->count > MAX_COUNT)
		die("count must be 1..%d", MAX_COUNT);
}

static void enter_netns(const char *name)
{
	char path[256];
	int fd;

	if (strchr(name, '/'))
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("open %s: %s", path, strerror(errno));
	if (setns(fd, CLONE_NEWNET) < 0)
		die("setns %s: %s", path, strerror(errno));
	close(fd);
}

/* Create the tap in the current namespace and bring it up. */
static int open_tap(const char *dev)
{
	struct ifreq ifr;
	int fd, sock;

	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die("open /dev/net/tun: %s", strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	strncpy(ifr.ifr_name, dev, IFNAMSIZ - 1);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		die("TUNSETIFF %s: %s", dev, strerror(errno));

	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		die("socket: %s", strerror(errno));
	if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
		die("SIOCGIFFLAGS %s: %s", dev, strerror(errno));
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0)
		die("SIOCSIFFLAGS %s: %s", dev, strerror(errno));
	close(sock);
	if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0)
		die("fcntl: %s", strerror(errno));
	return fd;
}

static void send_frame(int fd, const void *buf, size_t len)
{
	if (write(fd, buf, len) != (ssize_t)len)
		fprintf(stderr, "tapio: write %zu bytes: %s\n", len,
			strerror(errno));
}

static void send_arp(int fd, const struct opts *o, uint16_t oper,
		     const uint8_t *dst_mac, const uint8_t *tha,
		     const void *tpa)
{
	uint8_t buf[sizeof(struct ethhdr) + sizeof(struct arp_eth)];
	struct ethhdr *eth = (struct ethhdr *)buf;
	struct arp_eth *arp = (struct arp_eth *)(eth + 1);

	memcpy(eth->h_dest, dst_mac, ETH_ALEN);
	memcpy(eth->h_source, o->mac, ETH_ALEN);
	eth->h_proto = htons(ETH_P_ARP);
	arp->hdr.ar_hrd = htons(ARPHRD_ETHER);
	arp->hdr.ar_pro = htons(ETH_P_IP);
	arp->hdr.ar_hln = ETH_ALEN;
	arp->hdr.ar_pln = 4;
	arp->hdr.ar_op = htons(oper);
	memcpy(arp->sha, o->mac, ETH_ALEN);
	memcpy(arp->spa, &o->ip, 4);
	memcpy(arp->tha, tha, ETH_ALEN);
	memcpy(arp->tpa, tpa, 4);
	send_frame(fd, buf, sizeof(buf));
}

static void fill_payload(uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = 0x10 + i;
}

static void send_echo(int fd, const struct opts *o, struct ping_state *ps)
{
	uint8_t buf[sizeof(struct ethhdr) + sizeof(struct iphdr) +
		    sizeof(struct icmphdr) + PING_DATA];
	struct ethhdr *eth = (struct ethhdr *)buf;
	struct iphdr *ip = (struct iphdr *)(eth + 1);
	struct icmphdr *icmp = (struct icmphdr *)(ip + 1);
	uint16_t seq = ++ps->sent;

	memset(buf, 0, sizeof(buf));
	memcpy(eth->h_dest, ps->mac, ETH_ALEN);
	memcpy(eth->h_source, o->mac, ETH_ALEN);
	eth->h_proto = htons(ETH_P_IP);
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons(sizeof(buf) - sizeof(*eth));
	ip->id = htons(seq);
	ip->frag_off = htons(IP_DF);
	ip->ttl = 64;
	ip->protocol = IPPROTO_ICMP;
	ip->saddr = o->ip.s_addr;
	ip->daddr = o->target.s_addr;
	ip->check = csum(ip, sizeof(*ip));
	icmp->type = ICMP_ECHO;
	icmp->un.echo.id = htons(ps->id);
	icmp->un.echo.sequence = htons(seq);
	fill_payload((uint8_t *)(icmp + 1), PING_DATA);
	icmp->checksum = csum(icmp, sizeof(*icmp) + PING_DATA);
	send_frame(fd, buf, sizeof(buf));
}

static void handle_arp(int fd, const struct opts *o, struct ping_state *ps,
		       const struct ethhdr *eth, size_t len)
{
	const struct arp_eth *arp = (const struct arp_eth *)(eth + 1);

	if (len < sizeof(*eth) + sizeof(*arp) ||
	    arp->hdr.ar_hrd != htons(ARPHRD_ETHER) ||
	    arp->hdr.ar_pro != htons(ETH_P_IP) ||
	    arp->hdr.ar_hln != ETH_ALEN || arp->hdr.ar_pln != 4)
		return;
	if (arp->hdr.ar_op == htons(ARPOP_REQUEST) &&
	    !memcmp(arp->tpa, &o->ip, 4)) {
		send_arp(fd, o, ARPOP_REPLY, arp->sha, arp->sha, arp->spa);
		return;
	}
	/* Learn the target from its reply or from its own request. */
	if (o->ping && !ps->have_mac && !memcmp(arp->spa, &o->target, 4)) {
		memcpy(ps->mac, arp->sha, ETH_ALEN);
		ps->have_mac = true;
	}
}

static void handle_echo_reply(struct ping_state *ps, const struct icmphdr *icmp,
			      size_t icmp_len)
{
	uint8_t want[PING_DATA];
	uint16_t seq;

	if (ntohs(icmp->un.echo.id) != ps->id)
		return;
	seq = ntohs(icmp->un.echo.sequence);
	fill_payload(want, sizeof(want));
	if (icmp_len != sizeof(*icmp) + PING_DATA ||
	    memcmp(icmp + 1, want, PING_DATA)) {
		fprintf(stderr, "tapio: echo reply seq %u: payload changed\n",
			seq);
		ps->bad++;
		return;
	}
	if (seq < 1 || seq > ps->sent)
		return;
	if (ps->seen[seq]) {
		ps->dups++;
		return;
	}
	ps->seen[seq] = true;
	ps->replies++;
}

static void handle_ipv4(int fd, const struct opts *o, struct ping_state *ps,
			uint8_t *frame, size_t len)
{
	struct ethhdr *eth = (struct ethhdr *)frame;
	struct iphdr *ip = (struct iphdr *)(eth + 1);
	struct icmphdr *icmp;
	uint8_t mac[ETH_ALEN];
	size_t ihl, tot, icmp_len;

	if (len < sizeof(*eth) + sizeof(*ip) || ip->version != 4)
		return;
	ihl = ip->ihl * 4;
	tot = ntohs(ip->tot_len);
	if (ihl < sizeof(*ip) || tot < ihl || sizeof(*eth) + tot > len)
		return;
	if (ip->daddr != o->ip.s_addr || ip->protocol != IPPROTO_ICMP ||
	    (ntohs(ip->frag_off) & (IP_MF | IP_OFFSET)))
		return;
	icmp = (struct icmphdr *)((uint8_t *)ip + ihl);
	icmp_len = tot - ihl;
	if (icmp_len < sizeof(*icmp))
		return;
	if (csum(ip, ihl) != 0 || csum(icmp, icmp_len) != 0) {
		fprintf(stderr, "tapio: bad %s checksum from %s\n",
			csum(ip, ihl) ? "IPv4 header" : "ICMP",
			inet_ntoa(*(struct in_addr *)&ip->saddr));
		ps->bad++;
		return;
	}

	if (icmp->type == ICMP_ECHOREPLY && o->ping &&
	    ip->saddr == o->target.s_addr) {
		handle_echo_reply(ps, icmp, icmp_len);
		return;
	}
	if (icmp->type != ICMP_ECHO)
		return;

	/* Turn the request around in place. */
	memcpy(mac, eth->h_source, ETH_ALEN);
	memcpy(eth->h_dest, mac, ETH_ALEN);
	memcpy(eth->h_source, o->mac, ETH_ALEN);
	ip->daddr = ip->saddr;
	ip->saddr = o->ip.s_addr;
	ip->ttl = 64;
	ip->check = 0;
	ip->check = csum(ip, ihl);
	icmp->type = ICMP_ECHOREPLY;
	icmp->checksum = 0;
	icmp->checksum = csum(icmp, icmp_len);
	send_frame(fd, frame, sizeof(*eth) + tot);
}

static void ping_tick(int fd, const struct opts *o, struct ping_state *ps,
		      uint64_t now)
{
	if (!o->ping || ps->done)
		return;
	if (ps->replies == o->count || now >= ps->deadline) {
		ps->done = true;
		ps->result = (ps->replies == o->count && !ps->dups &&
			      !ps->bad) ? 0 : 1;
		printf("tapio: %u/%u replies", ps->replies, o->count);
		if (ps->dups)
			printf(", %u duplicates", ps->dups);
		if (ps->bad)
			printf(", %u bad", ps->bad);
		if (!ps->have_mac)
			printf(" (no ARP reply from %s)", inet_ntoa(o->target));
		printf("\n");
		fflush(stdout);
		return;
	}
	if (!ps->have_mac) {
		if (now >= ps->next_arp) {
			static const uint8_t zero[ETH_ALEN];

			send_arp(fd, o, ARPOP_REQUEST, bcast, zero, &o->target);
			ps->next_arp = now + ARP_GAP_MS;
		}
		return;
	}
	if (ps->sent < o->count && now >= ps->next_send) {
		send_echo(fd, o, ps);
		ps->next_send = now + PING_GAP_MS;
	}
}

int main(int argc, char **argv)
{
	static uint8_t frame[FRAME_MAX];
	static struct ping_state ps;
	struct opts o;
	uint64_t start, serve_end;
	int fd;

	parse_args(argc, argv, &o);
	if (o.netns)
		enter_netns(o.netns);
	fd = open_tap(o.dev);
	printf("ready\n");
	fflush(stdout);

	start = now_ms();
	serve_end = start + (uint64_t)o.serve_s * 1000;
	ps.id = getpid() & 0xffff;
	ps.deadline = start + (uint64_t)o.timeout_s * 1000;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t now = now_ms();
		ssize_t n;

		ping_tick(fd, &o, &ps, now);
		if ((!o.ping || ps.done) && now >= serve_end)
			break;
		if (poll(&pfd, 1, 20) < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		while ((n = read(fd, frame, sizeof(frame))) > 0) {
			const struct ethhdr *eth = (struct ethhdr *)frame;

			if ((size_t)n < sizeof(*eth))
				continue;
			if (memcmp(eth->h_dest, o.mac, ETH_ALEN) &&
			    memcmp(eth->h_dest, bcast, ETH_ALEN))
				continue;
			if (eth->h_proto == htons(ETH_P_ARP))
				handle_arp(fd, &o, &ps, eth, n);
			else if (eth->h_proto == htons(ETH_P_IP))
				handle_ipv4(fd, &o, &ps, frame, n);
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			die("read %s: %s", o.dev, strerror(errno));
	}
	close(fd);
	return o.ping ? ps.result : 0;
}
