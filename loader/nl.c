// SPDX-License-Identifier: GPL-2.0
/*
 * rtnetlink link queries and changes with libmnl, plus the few namespace and
 * ethtool helpers the loader needs.  Nothing here reads /sys: /sys may belong
 * to another network namespace than the one the calling thread is in.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <arpa/inet.h>
#include <linux/ethtool.h>
#include <linux/if_addr.h>
#include <linux/if_arp.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/ip.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <linux/veth.h>

#include "log.h"
#include "nl.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

/*
 * Receive buffer: large enough that a dump message is never truncated (the
 * kernel sizes dump skbs after the largest buffer we have offered).
 */
#define NL_RECV_SIZE	32768
/* Request buffer: one ifinfomsg and a handful of attributes. */
#define NL_REQ_SIZE	1024
/* A dump that races with link changes is flagged; retry it this often. */
#define NL_DUMP_TRIES	5

static struct mnl_socket *nl_open(void)
{
	struct mnl_socket *nl;
	int one = 1;

	nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl)
		return NULL;
	/*
	 * Extended acks give the kernel's reason in words; capped acks keep
	 * our request out of the ack.  Both are optional, so errors from these
	 * options are ignored.
	 */
	mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int err = errno;

		mnl_socket_close(nl);
		errno = err;
		return NULL;
	}
	return nl;
}

/* Log the extended-ack message, if any, of a failed request. */
static void nl_log_extack(const struct nlmsghdr *nlh,
			  const struct nlmsgerr *err)
{
	size_t hdrlen = sizeof(*err);
	size_t plen = mnl_nlmsg_get_payload_len(nlh);
	const struct nlattr *attr;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	/* Without NLM_F_CAPPED the request's payload sits before the TLVs. */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		hdrlen += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
	if (hdrlen > plen)
		return;
	mnl_attr_for_each_payload((const void *)((const char *)err + hdrlen),
				  plen - hdrlen) {
		if (mnl_attr_get_type(attr) != NLMSGERR_ATTR_MSG)
			continue;
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
			return;
		pr_debug("netlink: %s (%s)\n", mnl_attr_get_str(attr),
			 strerror(-err->error));
		return;
	}
}

static int nl_error_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);

	(void)data;
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*err))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (!err->error)
		return MNL_CB_STOP;
	nl_log_extack(nlh, err);
	/* Some kernels once sent positive codes; errno must be positive. */
	errno = err->error < 0 ? -err->error : err->error;
	return MNL_CB_ERROR;
}

static int nl_done_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_STOP;
}

static int nl_overrun_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	errno = ENOSPC;
	return MNL_CB_ERROR;
}

/*
 * Given a control table, libmnl skips its own defaults for every type the
 * table covers, so NLMSG_DONE and NLMSG_OVERRUN need entries too.  libmnl
 * takes the table non-const; nothing writes to it.
 */
static mnl_cb_t nl_ctl_cb[NLMSG_MIN_TYPE] = {
	[NLMSG_ERROR] = nl_error_cb,
	[NLMSG_DONE] = nl_done_cb,
	[NLMSG_OVERRUN] = nl_overrun_cb,
};

/*
 * Send one request and run @cb on every reply until the ack, NLMSG_DONE or an
 * error.  Returns 0 or a negative errno.
 */
static int nl_talk(struct mnl_socket *nl, struct nlmsghdr *nlh, mnl_cb_t cb,
		   void *data)
{
	unsigned int portid = mnl_socket_get_portid(nl);
	unsigned int seq = (unsigned int)time(NULL);
	char *buf;
	ssize_t len;
	int ret;

	buf = malloc(NL_RECV_SIZE);
	if (!buf)
		return -ENOMEM;
	nlh->nlmsg_seq = seq;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		goto out;
	}
	do {
		len = mnl_socket_recvfrom(nl, buf, NL_RECV_SIZE);
		if (len < 0) {
			ret = -errno;
			goto out;
		}
		ret = mnl_cb_run2(buf, len, seq, portid, cb, data, nl_ctl_cb,
				  NLMSG_MIN_TYPE);
	} while (ret > MNL_CB_STOP);
	ret = ret < 0 ? -errno : 0;
out:
	free(buf);
	return ret;
}

/* nl_talk() on a socket of its own, opened in the current namespace. */
static int nl_request(struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	struct mnl_socket *nl;
	int ret;

	nl = nl_open();
	if (!nl)
		return -errno;
	ret = nl_talk(nl, nlh, cb, data);
	mnl_socket_close(nl);
	return ret;
}

int xv_nl_change(struct nlmsghdr *nlh)
{
	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	return nl_request(nlh, NULL, NULL);
}

/*
 * Start an RTM_*LINK request for @ifindex in @buf (NL_REQ_SIZE bytes).  The
 * buffer is zeroed first: libmnl leaves attribute padding as it finds it, and
 * stack garbage should not go to the kernel.
 */
static struct nlmsghdr *link_msg(char *buf, int type, unsigned int flags,
				 int ifindex)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;

	memset(buf, 0, NL_REQ_SIZE);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = ifindex;
	return nlh;
}

/*
 * Collect attributes into tb[], skipping types newer than our headers know:
 * the running kernel may well be newer than the build headers.
 */
static int attr_table_cb(const struct nlattr *attr, void *data, int max)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(attr, max) < 0)
		return MNL_CB_OK;
	tb[mnl_attr_get_type(attr)] = attr;
	return MNL_CB_OK;
}

static int link_attr_cb(const struct nlattr *attr, void *data)
{
	return attr_table_cb(attr, data, IFLA_MAX);
}

static int linkinfo_attr_cb(const struct nlattr *attr, void *data)
{
	return attr_table_cb(attr, data, IFLA_INFO_MAX);
}

/* Copy a string attribute into dst[size]; false if malformed or too long. */
static bool attr_copy_str(const struct nlattr *attr, char *dst, size_t size)
{
	const char *s;
	size_t n;

	if (mnl_attr_validate(attr, MNL_TYPE_STRING) < 0)
		return false;
	s = mnl_attr_get_payload(attr);
	n = strnlen(s, mnl_attr_get_payload_len(attr));
	if (n >= size)
		return false;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return true;
}

/* Read a u32 attribute into *val if present and well formed. */
static void attr_u32(const struct nlattr *attr, void *val)
{
	__u32 v;

	if (!attr || mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
		return;
	v = mnl_attr_get_u32(attr);
	memcpy(val, &v, sizeof(v));
}

static void link_parse_kind(const struct nlattr *linkinfo, struct xv_link *l)
{
	const struct nlattr *tb[IFLA_INFO_MAX + 1] = {};

	if (mnl_attr_validate(linkinfo, MNL_TYPE_NESTED) < 0)
		return;
	if (mnl_attr_parse_nested(linkinfo, linkinfo_attr_cb, tb) < 0)
		return;
	if (tb[IFLA_INFO_KIND] &&
	    !attr_copy_str(tb[IFLA_INFO_KIND], l->kind, sizeof(l->kind)))
		l->kind[0] = '\0';
}

/* Fill @l from one RTM_NEWLINK message; -EBADMSG if it is malformed. */
static int link_parse(const struct nlmsghdr *nlh, struct xv_link *l)
{
	const struct nlattr *tb[IFLA_MAX + 1] = {};
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifm)))
		return -EBADMSG;
	if (mnl_attr_parse(nlh, sizeof(*ifm), link_attr_cb, tb) < 0)
		return -EBADMSG;
	if (!tb[IFLA_IFNAME] ||
	    !attr_copy_str(tb[IFLA_IFNAME], l->name, sizeof(l->name)))
		return -EBADMSG;

	l->ifindex = ifm->ifi_index;
	l->flags = ifm->ifi_flags;
	l->type = ifm->ifi_type;
	l->link_netnsid = -1;
	if (tb[IFLA_ADDRESS] &&
	    mnl_attr_get_payload_len(tb[IFLA_ADDRESS]) == sizeof(l->mac))
		memcpy(l->mac, mnl_attr_get_payload(tb[IFLA_ADDRESS]),
		       sizeof(l->mac));
	attr_u32(tb[IFLA_MTU], &l->mtu);
	attr_u32(tb[IFLA_PROMISCUITY], &l->promiscuity);
	attr_u32(tb[IFLA_LINK], &l->peer_ifindex);
	attr_u32(tb[IFLA_LINK_NETNSID], &l->link_netnsid);
	if (tb[IFLA_LINKINFO])
		link_parse_kind(tb[IFLA_LINKINFO], l);
	l->physical = l->type == ARPHRD_ETHER && !l->kind[0] &&
		      !(l->flags & IFF_LOOPBACK);
	return 0;
}

struct link_one {
	struct xv_link *out;
	bool found;
};

static int link_one_cb(const struct nlmsghdr *nlh, void *data)
{
	struct link_one *ctx = data;
	struct xv_link l = {};

	if (nlh->nlmsg_type != RTM_NEWLINK || ctx->found)
		return MNL_CB_OK;
	if (link_parse(nlh, &l) < 0) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	*ctx->out = l;
	ctx->found = true;
	return MNL_CB_OK;
}

/* ---- link events ---- */

struct xv_link_monitor {
	struct mnl_socket *nl;
	void (*fn)(int type, const struct xv_link *l, void *arg);
	void *arg;
};

struct xv_link_monitor *xv_link_monitor_open(void)
{
	struct xv_link_monitor *m = calloc(1, sizeof(*m));
	int size = 4 << 20;

	if (!m)
		return NULL;
	m->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!m->nl || mnl_socket_bind(m->nl, RTMGRP_LINK, MNL_SOCKET_AUTOPID) < 0) {
		int err = errno;

		if (m->nl)
			mnl_socket_close(m->nl);
		free(m);
		errno = err;
		return NULL;
	}
	/* A burst of new taps must not overflow us (ENOBUFS: resync). */
	setsockopt(mnl_socket_get_fd(m->nl), SOL_SOCKET, SO_RCVBUFFORCE, &size,
		   sizeof(size));
	return m;
}

int xv_link_monitor_fd(const struct xv_link_monitor *m)
{
	return mnl_socket_get_fd(m->nl);
}

static int monitor_cb(const struct nlmsghdr *nlh, void *data)
{
	struct xv_link_monitor *m = data;
	struct xv_link l = {};

	if ((nlh->nlmsg_type == RTM_NEWLINK || nlh->nlmsg_type == RTM_DELLINK) &&
	    !link_parse(nlh, &l))
		m->fn(nlh->nlmsg_type, &l, m->arg);
	return MNL_CB_OK;
}

int xv_link_monitor_read(struct xv_link_monitor *m,
			 void (*fn)(int type, const struct xv_link *l,
				    void *arg),
			 void *arg)
{
	char buf[NL_RECV_SIZE];
	ssize_t len;

	m->fn = fn;
	m->arg = arg;
	for (;;) {
		len = mnl_socket_recvfrom(m->nl, buf, sizeof(buf));
		if (len < 0)
			return errno == EAGAIN ? 0 : -errno;
		if (mnl_cb_run(buf, len, 0, 0, monitor_cb, m) < 0)
			return -errno;
	}
}

void xv_link_monitor_close(struct xv_link_monitor *m)
{
	if (!m)
		return;
	mnl_socket_close(m->nl);
	free(m);
}

/* RTM_GETLINK by index or, if @name is set, by name. */
static int link_get(int ifindex, const char *name, struct xv_link *out)
{
	char buf[NL_REQ_SIZE];
	struct link_one ctx = { .out = out };
	struct nlmsghdr *nlh;
	int ret;

	/* The ack after the reply tells us when to stop reading. */
	nlh = link_msg(buf, RTM_GETLINK, NLM_F_ACK, ifindex);
	if (name)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	ret = nl_request(nlh, link_one_cb, &ctx);
	if (!ret && !ctx.found)
		ret = -ENODEV;
	return ret;
}

int xv_link_by_name(const char *name, struct xv_link *out)
{
	size_t n = name ? strnlen(name, XV_NAME_LEN) : 0;

	if (!n || n >= XV_NAME_LEN || !out)
		return -EINVAL;
	return link_get(0, name, out);
}

int xv_link_by_index(int ifindex, struct xv_link *out)
{
	if (!out)
		return -EINVAL;
	if (ifindex <= 0)
		return -ENODEV;
	return link_get(ifindex, NULL, out);
}

/*
 * A dump into a growing array of fixed-size records. The kernel flags a
 * dump that changes under it (NLM_F_DUMP_INTR): it may miss or repeat
 * entries, so it is started over, a few times at most.
 */
struct nl_dump {
	void *items;
	size_t size;		/* of one record */
	int n, cap;
	bool interrupted;
	int ifindex;		/* a filter some dumps use */
};

/* The next record, zeroed, or NULL (errno set) when out of memory. */
static void *nl_dump_slot(struct nl_dump *d)
{
	void *slot;

	if (d->n == d->cap) {
		int cap = d->cap ? d->cap * 2 : 16;
		void *p = reallocarray(d->items, cap, d->size);

		if (!p) {
			errno = ENOMEM;
			return NULL;
		}
		d->items = p;
		d->cap = cap;
	}
	slot = (char *)d->items + (size_t)d->n * d->size;
	memset(slot, 0, d->size);
	d->n++;
	return slot;
}

static int nl_dump_run(struct nl_dump *d, struct nlmsghdr *nlh, mnl_cb_t cb,
		       void **out, int *n)
{
	int ret = 0, try;

	for (try = 0; try < NL_DUMP_TRIES; try++) {
		d->n = 0;
		d->interrupted = false;
		ret = nl_request(nlh, cb, d);
		if (ret || !d->interrupted)
			break;
	}
	if (!ret && d->interrupted)
		ret = -EAGAIN;
	if (ret) {
		free(d->items);
		return ret;
	}
	*out = d->items;
	*n = d->n;
	return 0;
}

static int link_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl_dump *d = data;
	struct xv_link *link;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		d->interrupted = true;
	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	link = nl_dump_slot(d);
	if (!link)
		return MNL_CB_ERROR;
	if (link_parse(nlh, link) < 0) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

int xv_link_list(struct xv_link **out, int *n)
{
	struct nl_dump d = { .size = sizeof(struct xv_link) };
	char buf[NL_REQ_SIZE];
	struct nlmsghdr *nlh;

	if (!out || !n)
		return -EINVAL;
	nlh = link_msg(buf, RTM_GETLINK, NLM_F_DUMP, 0);
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	return nl_dump_run(&d, nlh, link_dump_cb, (void **)out, n);
}

/* Change the user-set flags in @mask to @flags, like `ip link set`. */
static int link_set_flags(int ifindex, unsigned int mask, unsigned int flags)
{
	char buf[NL_REQ_SIZE];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;

	if (ifindex <= 0)
		return -ENODEV;
	nlh = link_msg(buf, RTM_NEWLINK, 0, ifindex);
	ifm = mnl_nlmsg_get_payload(nlh);
	ifm->ifi_change = mask;
	ifm->ifi_flags = flags & mask;
	return xv_nl_change(nlh);
}

int xv_link_set_promisc(int ifindex, bool on)
{
	return link_set_flags(ifindex, IFF_PROMISC, on ? IFF_PROMISC : 0);
}

int xv_link_set_up(int ifindex, bool up)
{
	return link_set_flags(ifindex, IFF_UP, up ? IFF_UP : 0);
}

int xv_veth_create(const char *name, const char *peer, const __u8 *mac,
		   const __u8 *peer_mac)
{
	struct nlattr *info, *data, *pinfo;
	char buf[NL_REQ_SIZE];
	struct ifinfomsg *ifm;
	struct nlmsghdr *nlh;

	if (!name || !peer || strnlen(name, IFNAMSIZ) >= IFNAMSIZ ||
	    strnlen(peer, IFNAMSIZ) >= IFNAMSIZ)
		return -EINVAL;
	nlh = link_msg(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	if (mac)
		mnl_attr_put(nlh, IFLA_ADDRESS, ETH_ALEN, mac);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	pinfo = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
	if (peer_mac)
		mnl_attr_put(nlh, IFLA_ADDRESS, ETH_ALEN, peer_mac);
	mnl_attr_nest_end(nlh, pinfo);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return xv_nl_change(nlh);
}

int xv_link_del(int ifindex)
{
	char buf[NL_REQ_SIZE];

	if (ifindex <= 0)
		return -ENODEV;
	return xv_nl_change(link_msg(buf, RTM_DELLINK, 0, ifindex));
}

int xv_link_no_ipv6_addr(int ifindex)
{
	struct nlattr *spec, *inet6;
	char buf[NL_REQ_SIZE];
	struct nlmsghdr *nlh;

	if (ifindex <= 0)
		return -ENODEV;
	nlh = link_msg(buf, RTM_NEWLINK, 0, ifindex);
	spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
	inet6 = mnl_attr_nest_start(nlh, AF_INET6);
	mnl_attr_put_u8(nlh, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
	mnl_attr_nest_end(nlh, inet6);
	mnl_attr_nest_end(nlh, spec);
	return xv_nl_change(nlh);
}

int xv_link_ipv4_forwarding(int ifindex, bool on)
{
	struct nlattr *spec, *inet, *conf;
	char buf[NL_REQ_SIZE];
	struct nlmsghdr *nlh;

	if (ifindex <= 0)
		return -ENODEV;
	nlh = link_msg(buf, RTM_NEWLINK, 0, ifindex);
	spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
	inet = mnl_attr_nest_start(nlh, AF_INET);
	conf = mnl_attr_nest_start(nlh, IFLA_INET_CONF);
	mnl_attr_put_u32(nlh, IPV4_DEVCONF_FORWARDING, on);
	mnl_attr_nest_end(nlh, conf);
	mnl_attr_nest_end(nlh, inet);
	mnl_attr_nest_end(nlh, spec);
	return xv_nl_change(nlh);
}

/* ---- IPv4 addresses ---- */

static int addr_attr_cb(const struct nlattr *attr, void *data)
{
	return attr_table_cb(attr, data, IFA_MAX);
}

static int addr_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFA_MAX + 1] = {};
	struct nl_dump *d = data;
	const struct nlattr *a;
	struct xv_addr4 *rec;
	__u32 flags;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		d->interrupted = true;
	if (nlh->nlmsg_type != RTM_NEWADDR)
		return MNL_CB_OK;
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifa)) ||
	    mnl_attr_parse(nlh, sizeof(*ifa), addr_attr_cb, tb) < 0) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (ifa->ifa_family != AF_INET || (int)ifa->ifa_index != d->ifindex)
		return MNL_CB_OK;
	/* IFA_LOCAL is the address; IFA_ADDRESS the peer on point-to-point. */
	a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (!a || mnl_attr_get_payload_len(a) != 4)
		return MNL_CB_OK;
	flags = ifa->ifa_flags;
	attr_u32(tb[IFA_FLAGS], &flags);
	rec = nl_dump_slot(d);
	if (!rec)
		return MNL_CB_ERROR;
	memcpy(&rec->addr, mnl_attr_get_payload(a), 4);
	rec->prefix = ifa->ifa_prefixlen;
	rec->secondary = flags & IFA_F_SECONDARY;
	return MNL_CB_OK;
}

int xv_addr4_list(int ifindex, struct xv_addr4 **out, int *n)
{
	struct nl_dump d = { .size = sizeof(struct xv_addr4), .ifindex = ifindex };
	char buf[NL_REQ_SIZE] = {};
	struct ifaddrmsg *ifa;
	struct nlmsghdr *nlh;

	if (!out || !n)
		return -EINVAL;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_index = ifindex;
	return nl_dump_run(&d, nlh, addr_dump_cb, (void **)out, n);
}

int xv_addr4_primary(int ifindex, __be32 *addr)
{
	struct xv_addr4 *a = NULL;
	int n = 0, ret;

	ret = xv_addr4_list(ifindex, &a, &n);
	if (ret)
		return ret;
	ret = -EADDRNOTAVAIL;
	for (int i = 0; i < n; i++) {
		if (!a[i].secondary) {
			*addr = a[i].addr;
			ret = 0;
			break;
		}
	}
	free(a);
	return ret;
}

static int addr4_change(int type, unsigned int flags, int ifindex,
			__be32 addr, int prefix)
{
	char buf[NL_REQ_SIZE];
	struct ifaddrmsg *ifa;
	struct nlmsghdr *nlh;

	if (ifindex <= 0)
		return -ENODEV;
	if (prefix < 0 || prefix > 32)
		return -EINVAL;
	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = prefix;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, 4, &addr);
	mnl_attr_put(nlh, IFA_ADDRESS, 4, &addr);
	if (type == RTM_NEWADDR && prefix < 31) {
		__u32 mask = prefix ? ~0u << (32 - prefix) : 0;
		__be32 brd = htonl(ntohl(addr) | ~mask);

		mnl_attr_put(nlh, IFA_BROADCAST, 4, &brd);
	}
	return xv_nl_change(nlh);
}

int xv_addr4_add(int ifindex, __be32 addr, int prefix)
{
	return addr4_change(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, ifindex,
			    addr, prefix);
}

int xv_addr4_del(int ifindex, __be32 addr, int prefix)
{
	return addr4_change(RTM_DELADDR, 0, ifindex, addr, prefix);
}

int xv_netns_enter(const char *name)
{
	char path[256];
	int fd, ret = 0;

	/* A name, not a path: no way out of /run/netns. */
	if (!name || !*name || strchr(name, '/') || !strcmp(name, ".") ||
	    !strcmp(name, ".."))
		return -EINVAL;
	if (snprintf(path, sizeof(path), "/run/netns/%s", name) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (setns(fd, CLONE_NEWNET) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

int xv_netns_cookie(__u64 *cookie)
{
	socklen_t len = sizeof(*cookie);
	int fd, ret = 0;

	/* Any socket is created in the caller's current namespace. */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, cookie, &len) < 0)
		ret = -errno;
	else if (len != sizeof(*cookie))
		ret = -EINVAL;
	close(fd);
	return ret;
}

/* One SIOCETHTOOL request on ifname; data starts with its ethtool cmd. */
static int ethtool_ioctl(const char *ifname, void *data)
{
	size_t n = ifname ? strnlen(ifname, IFNAMSIZ) : 0;
	struct ifreq ifr = {};
	int fd, ret = 0;

	if (!n || n >= IFNAMSIZ)
		return -EINVAL;
	memcpy(ifr.ifr_name, ifname, n);
	ifr.ifr_data = data;
	/* SIOCETHTOOL reaches the device through any socket family. */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

int xv_ethtool_driver(const char *ifname, char *driver, size_t len)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	size_t n;
	int ret;

	if (!driver || !len)
		return -EINVAL;
	ret = ethtool_ioctl(ifname, &info);
	if (ret)
		return ret;
	n = strnlen(info.driver, sizeof(info.driver));
	if (n >= len)
		return -ERANGE;
	memcpy(driver, info.driver, n);
	driver[n] = '\0';
	return 0;
}

int xv_ethtool_gro(const char *ifname, bool on)
{
	struct ethtool_value val = { .cmd = ETHTOOL_SGRO, .data = on };

	return ethtool_ioctl(ifname, &val);
}
