// SPDX-License-Identifier: GPL-2.0
/*
 * Tests for loader/nl.c.  Runs as root in network and mount namespaces of its
 * own, so the machine's interfaces and /run are never touched: everything it
 * creates (veth pairs, a tap, /run/netns entries) dies with the process.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <arpa/inet.h>
#include <linux/if.h>
#include <linux/if_arp.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "log.h"
#include "nl.h"

#define NS_A		"xvt-a"
#define VETH0		"xvt0"
#define VETH1		"xvt1"
#define VETHX		"xvt2"	/* its peer lives in namespace B */
#define VETHX_PEER	"xvt3"
#define TAP		"xvtap0"
#define TUN		"xvtun0"
#define ADAPTER		"xvt-h"	/* a host adapter pair made by nl.c */
#define ADAPTER_PEER	"xvt-hp"

static int failures;

static void check(bool ok, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void check(bool ok, const char *what, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		printf("PASS nl: %s\n", what);
		return;
	}
	failures++;
	printf("FAIL nl: %s: ", what);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* A fatal setup step: without it the remaining checks mean nothing. */
static void must(int ret, const char *what)
{
	if (ret >= 0)
		return;
	printf("FAIL nl: %s: %s\n", what, strerror(ret == -1 ? errno : -ret));
	exit(1);
}

static bool link_equal(const struct xv_link *a, const struct xv_link *b)
{
	return a->ifindex == b->ifindex && !strcmp(a->name, b->name) &&
	       !memcmp(a->mac, b->mac, sizeof(a->mac)) &&
	       a->flags == b->flags && a->promiscuity == b->promiscuity &&
	       a->type == b->type && !strcmp(a->kind, b->kind) &&
	       a->physical == b->physical && a->mtu == b->mtu &&
	       a->link_netnsid == b->link_netnsid &&
	       a->peer_ifindex == b->peer_ifindex;
}

/* Create a veth pair; the peer goes to namespace @peer_ns_fd unless -1. */
static int veth_create(const char *name, const char *peer, int peer_ns_fd)
{
	char buf[1024] = {};
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	struct nlattr *info, *data, *pinfo;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	pinfo = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
	if (peer_ns_fd >= 0)
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, peer_ns_fd);
	mnl_attr_nest_end(nlh, pinfo);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return xv_nl_change(nlh);
}

/* Create a persistent-while-open tun/tap device; returns its fd. */
static int tun_create(const char *name, short flags)
{
	struct ifreq ifr = {};
	int fd;

	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ifr.ifr_flags = flags | IFF_NO_PI;
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/*
 * Private mount namespace with a tmpfs on /run, so /run/netns entries can be
 * made for xv_netns_enter() without touching the host's /run.
 */
static void private_run(void)
{
	must(mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL),
	     "make / private");
	must(mount("xvt", "/run", "tmpfs", 0, "mode=0755"), "tmpfs on /run");
	must(mkdir("/run/netns", 0755), "mkdir /run/netns");
}

/* Name the current network namespace /run/netns/@name, like `ip netns add`. */
static void netns_name(const char *name)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
	must(fd, "create netns file");
	close(fd);
	must(mount("/proc/self/ns/net", path, "none", MS_BIND, NULL),
	     "bind netns");
}

static void test_lo(void)
{
	struct xv_link lo;
	int ret;

	ret = xv_link_by_name("lo", &lo);
	must(ret, "lo lookup");
	must(xv_link_set_up(lo.ifindex, true), "lo up");
	ret = xv_link_by_name("lo", &lo);
	check(!ret && (lo.flags & IFF_UP), "lo is up", "ret %d flags %#x", ret,
	      lo.flags);
	check(!lo.physical && lo.type == ARPHRD_LOOPBACK && !lo.kind[0] &&
	      (lo.flags & IFF_LOOPBACK), "lo is not physical",
	      "physical %d type %u kind '%s'", lo.physical, lo.type, lo.kind);
}

static void test_veth(void)
{
	struct xv_link a, b, c;
	int ret;

	must(veth_create(VETH0, VETH1, -1), "create veth");
	ret = xv_link_by_name(VETH0, &a);
	check(!ret, "veth by name", "%s", strerror(-ret));
	ret = xv_link_by_index(a.ifindex, &b);
	check(!ret && link_equal(&a, &b), "veth by name and by index agree",
	      "ret %d", ret);
	check(!strcmp(a.kind, "veth"), "veth kind is veth", "kind '%s'",
	      a.kind);
	check(!a.physical && a.type == ARPHRD_ETHER, "veth is not physical",
	      "physical %d type %u", a.physical, a.type);
	ret = xv_link_by_name(VETH1, &c);
	check(!ret && a.peer_ifindex == c.ifindex &&
	      c.peer_ifindex == a.ifindex,
	      "veth peer indexes", "ret %d %d->%d %d->%d", ret, a.ifindex,
	      a.peer_ifindex, c.ifindex, c.peer_ifindex);
	check(a.link_netnsid == -1,
	      "veth peer in same namespace has no netnsid",
	      "netnsid %d", a.link_netnsid);
	check(a.mtu == 1500 && (a.mac[0] || a.mac[1] || a.mac[2] || a.mac[3] ||
				a.mac[4] || a.mac[5]) && !(a.mac[0] & 1),
	      "veth mtu and mac", "mtu %d mac %02x:..", a.mtu, a.mac[0]);
}

static void test_tuntap(int *tap_fd, int *tun_fd)
{
	struct xv_link a, b;
	char drv[32];
	int ret;

	*tap_fd = tun_create(TAP, IFF_TAP);
	must(*tap_fd, "create tap");
	ret = xv_link_by_name(TAP, &a);
	check(!ret, "tap by name", "%s", strerror(-ret));
	ret = xv_link_by_index(a.ifindex, &b);
	check(!ret && link_equal(&a, &b), "tap by name and by index agree",
	      "ret %d", ret);
	printf("INFO nl: tap reports kind '%s'\n", a.kind);
	check(!strcmp(a.kind, "tun"), "tap kind is tun", "kind '%s'", a.kind);
	check(!a.physical && a.type == ARPHRD_ETHER, "tap is not physical",
	      "physical %d type %u", a.physical, a.type);
	ret = xv_ethtool_driver(TAP, drv, sizeof(drv));
	check(!ret && !strcmp(drv, "tun"), "ethtool driver of tap is tun",
	      "ret %d driver '%s'", ret, ret ? "" : drv);
	ret = xv_ethtool_driver(VETH0, drv, sizeof(drv));
	check(!ret && !strcmp(drv, "veth"), "ethtool driver of veth is veth",
	      "ret %d driver '%s'", ret, ret ? "" : drv);
	ret = xv_ethtool_driver(TAP, drv, 3);
	check(ret == -ERANGE, "ethtool driver too small buffer is -ERANGE",
	      "ret %d", ret);
	ret = xv_ethtool_driver("xvt-missing", drv, sizeof(drv));
	check(ret == -ENODEV, "ethtool driver of missing link is -ENODEV",
	      "ret %d", ret);

	*tun_fd = tun_create(TUN, IFF_TUN);
	must(*tun_fd, "create tun");
	ret = xv_link_by_name(TUN, &a);
	check(!ret && !strcmp(a.kind, "tun") && a.type == ARPHRD_NONE &&
	      !a.physical, "tun (L3) kind tun, type none, not physical",
	      "ret %d kind '%s' type %u", ret, a.kind, a.type);
}

static void test_promisc(void)
{
	struct xv_link l;
	int idx, ret;

	must(xv_link_by_name(VETH0, &l), "veth lookup");
	idx = l.ifindex;
	ret = xv_link_set_promisc(idx, true);
	check(!ret, "set promisc on", "%s", strerror(-ret));
	xv_link_by_index(idx, &l);
	check((l.flags & IFF_PROMISC) && l.promiscuity == 1,
	      "promisc on sets IFF_PROMISC", "flags %#x promiscuity %u",
	      l.flags, l.promiscuity);
	ret = xv_link_set_promisc(idx, true);
	xv_link_by_index(idx, &l);
	check(!ret && l.promiscuity == 1, "promisc on twice counts once",
	      "ret %d promiscuity %u", ret, l.promiscuity);
	ret = xv_link_set_promisc(idx, false);
	xv_link_by_index(idx, &l);
	check(!ret && !(l.flags & IFF_PROMISC) && l.promiscuity == 0,
	      "promisc off clears IFF_PROMISC",
	      "ret %d flags %#x promiscuity %u",
	      ret, l.flags, l.promiscuity);
	ret = xv_link_set_promisc(999999, true);
	check(ret == -ENODEV, "promisc on missing index is -ENODEV",
	      "ret %d", ret);
}

static void test_list(void)
{
	static const char *const want[] = { "lo", VETH0, VETH1, TAP, TUN };
	struct xv_link *links = NULL, one;
	bool found, agree = true;
	char what[64];
	int i, j, n = 0, ret;

	ret = xv_link_list(&links, &n);
	check(!ret && n == 5, "list has 5 links", "ret %d n %d", ret, n);
	for (i = 0; i < 5; i++) {
		found = false;
		for (j = 0; j < n; j++)
			found |= !strcmp(links[j].name, want[i]);
		snprintf(what, sizeof(what), "list contains %s", want[i]);
		check(found, what, "missing");
	}
	for (j = 0; j < n; j++)
		if (xv_link_by_index(links[j].ifindex, &one) ||
		    !link_equal(&one, &links[j]))
			agree = false;
	check(agree, "list entries agree with by_index", "mismatch");
	free(links);
}

static void test_missing(void)
{
	struct xv_link l;
	int ret;

	ret = xv_link_by_name("xvt-missing", &l);
	check(ret == -ENODEV, "missing name is -ENODEV", "ret %d", ret);
	ret = xv_link_by_index(999999, &l);
	check(ret == -ENODEV, "missing index is -ENODEV", "ret %d", ret);
	ret = xv_link_by_name("0123456789abcdef", &l);
	check(ret == -EINVAL, "overlong name is -EINVAL", "ret %d", ret);
	ret = xv_netns_enter("xvt-nope");
	check(ret == -ENOENT, "missing netns is -ENOENT", "ret %d", ret);
	ret = xv_netns_enter("../netns");
	check(ret == -EINVAL, "netns name with slash is -EINVAL", "ret %d",
	      ret);
}

/* An integer from /proc/sys (this namespace's), -1 if unreadable. */
static int read_sysctl(const char *path)
{
	FILE *f = fopen(path, "re");
	int v = -1;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* A host adapter as the loader makes it: veth pair, address, delete. */
static void test_adapter(void)
{
	static const __u8 mac[6] = { 0x0a, 0x78, 0x76, 0x01, 0x02, 0x03 };
	struct xv_link h, p, gone;
	struct xv_addr4 *a = NULL;
	__be32 a1 = htonl(0xc0000201), a2 = htonl(0xc0000202), prim = 0;
	int n = 0, ret;

	ret = xv_veth_create(ADAPTER, ADAPTER_PEER, mac, NULL);
	check(!ret, "veth create", "%s", strerror(-ret));
	ret = xv_veth_create(ADAPTER, ADAPTER_PEER, NULL, NULL);
	check(ret == -EEXIST, "veth create twice is -EEXIST", "ret %d", ret);
	must(xv_link_by_name(ADAPTER, &h), "adapter lookup");
	must(xv_link_by_name(ADAPTER_PEER, &p), "adapter peer lookup");
	check(!memcmp(h.mac, mac, 6) && memcmp(p.mac, mac, 6),
	      "veth create with a given MAC", "mac %02x:..:%02x",
	      h.mac[0], h.mac[5]);
	check(!strcmp(h.kind, "veth") && h.peer_ifindex == p.ifindex &&
	      p.peer_ifindex == h.ifindex && !(h.flags & IFF_UP),
	      "created veth pair is paired and down",
	      "kind '%s' peers %d %d flags %#x", h.kind, h.peer_ifindex,
	      p.peer_ifindex, h.flags);
	ret = xv_link_no_ipv6_addr(p.ifindex);
	check(!ret, "addr_gen_mode none", "%s", strerror(-ret));
	ret = xv_link_ipv4_forwarding(h.ifindex, true);
	check(!ret && read_sysctl("/proc/sys/net/ipv4/conf/" ADAPTER
				  "/forwarding") == 1,
	      "IPv4 forwarding on one link", "ret %d", ret);
	check(read_sysctl("/proc/sys/net/ipv4/conf/" ADAPTER_PEER
			  "/forwarding") == 0 &&
	      read_sysctl("/proc/sys/net/ipv4/ip_forward") == 0,
	      "IPv4 forwarding on one link only", "other links changed");
	must(xv_link_set_up(h.ifindex, true), "adapter up");
	must(xv_link_set_up(p.ifindex, true), "adapter peer up");

	ret = xv_addr4_primary(h.ifindex, &prim);
	check(ret == -EADDRNOTAVAIL, "no IPv4 address is -EADDRNOTAVAIL",
	      "ret %d", ret);
	ret = xv_addr4_add(h.ifindex, a1, 24);
	check(!ret, "address add", "%s", strerror(-ret));
	ret = xv_addr4_add(h.ifindex, a1, 24);
	check(ret == -EEXIST, "address add twice is -EEXIST", "ret %d", ret);
	ret = xv_addr4_add(h.ifindex, a2, 24);
	check(!ret, "second address add", "%s", strerror(-ret));
	ret = xv_addr4_list(h.ifindex, &a, &n);
	check(!ret && n == 2 && a[0].addr == a1 && a[0].prefix == 24 &&
	      !a[0].secondary && a[1].addr == a2 && a[1].secondary,
	      "address list: primary, then secondary", "ret %d n %d", ret, n);
	free(a);
	ret = xv_addr4_primary(h.ifindex, &prim);
	check(!ret && prim == a1, "primary address", "ret %d %#x", ret,
	      ntohl(prim));
	ret = xv_addr4_list(p.ifindex, &a, &n);
	check(!ret && n == 0, "the peer has no IPv4 address", "ret %d n %d",
	      ret, n);
	free(a);
	ret = xv_addr4_del(h.ifindex, a2, 24);
	check(!ret, "address delete", "%s", strerror(-ret));
	ret = xv_addr4_del(h.ifindex, a2, 24);
	check(ret == -EADDRNOTAVAIL, "address delete twice is -EADDRNOTAVAIL",
	      "ret %d", ret);

	ret = xv_link_del(h.ifindex);
	check(!ret, "link delete", "%s", strerror(-ret));
	check(xv_link_by_name(ADAPTER_PEER, &gone) == -ENODEV,
	      "deleting one end deletes the peer", "peer still there");
	ret = xv_link_del(h.ifindex);
	check(ret == -ENODEV, "delete a missing link is -ENODEV", "ret %d",
	      ret);
}

/*
 * Namespace B: lookups follow the thread into it and back into A by name, and
 * a veth with its peer in B reports a netnsid.
 */
static void test_netns(__u64 cookie_a)
{
	struct xv_link l;
	__u64 cookie_b = 0, cookie;
	int fd_b, ret;

	must(unshare(CLONE_NEWNET), "unshare B");
	must(xv_netns_cookie(&cookie_b), "cookie B");
	check(cookie_b && cookie_b != cookie_a,
	      "namespace B has its own cookie",
	      "A %llu B %llu", (unsigned long long)cookie_a,
	      (unsigned long long)cookie_b);
	ret = xv_link_by_name(VETH0, &l);
	check(ret == -ENODEV, "lookups follow the thread into B", "ret %d",
	      ret);
	fd_b = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	must(fd_b, "open netns B");

	ret = xv_netns_enter(NS_A);
	check(!ret, "enter namespace A by name", "%s", strerror(-ret));
	xv_netns_cookie(&cookie);
	check(cookie == cookie_a, "entered namespace has A's cookie",
	      "got %llu", (unsigned long long)cookie);
	ret = xv_link_by_name(VETH0, &l);
	check(!ret, "lookups follow the thread back into A", "ret %d", ret);

	must(veth_create(VETHX, VETHX_PEER, fd_b), "create cross-ns veth");
	close(fd_b);
	ret = xv_link_by_name(VETHX, &l);
	check(!ret && l.link_netnsid >= 0 && l.peer_ifindex > 0,
	      "veth with peer in B has netnsid and peer index",
	      "ret %d netnsid %d peer %d", ret, l.link_netnsid,
	      l.peer_ifindex);
	ret = xv_link_by_name(VETHX_PEER, &l);
	check(ret == -ENODEV, "peer in B is not visible in A", "ret %d", ret);
}

int main(void)
{
	__u64 cookie0 = 0, cookie_a = 0;
	int tap_fd, tun_fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (getenv("XV_DEBUG"))
		xv_log_level = XV_LOG_DEBUG;
	must(xv_netns_cookie(&cookie0), "cookie of the original namespace");
	must(unshare(CLONE_NEWNS | CLONE_NEWNET), "unshare");
	private_run();
	netns_name(NS_A);

	must(xv_netns_cookie(&cookie_a), "cookie A");
	check(cookie_a && cookie_a != cookie0,
	      "netns cookie nonzero and differs from the original",
	      "orig %llu new %llu", (unsigned long long)cookie0,
	      (unsigned long long)cookie_a);

	test_lo();
	test_veth();
	test_tuntap(&tap_fd, &tun_fd);
	test_promisc();
	test_list();
	test_missing();
	test_adapter();
	test_netns(cookie_a);

	close(tap_fd);
	close(tun_fd);
	return failures ? 1 : 0;
}
