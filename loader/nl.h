/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Link queries and changes over rtnetlink (libmnl), in the network namespace
 * of the calling thread.  Every call opens its own NETLINK_ROUTE socket, so a
 * call made after xv_netns_enter() always sees the namespace just entered.
 * All functions return 0 or a negative errno (the kernel's, when it refused).
 */
#ifndef XV_NL_H
#define XV_NL_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>

#include "xvnet.h"

struct nlmsghdr;

struct xv_link {
	int ifindex;
	char name[XV_NAME_LEN];
	__u8 mac[6];
	unsigned int flags;		/* IFF_* from ifinfomsg.ifi_flags */
	unsigned int promiscuity;	/* IFLA_PROMISCUITY */
	unsigned short type;		/* ARPHRD_* */
	char kind[16];			/* IFLA_INFO_KIND, "" if none */
	bool physical;			/* ARPHRD_ETHER, no kind, not lo */
	int mtu;
	int link_netnsid;		/* IFLA_LINK_NETNSID or -1 */
	int peer_ifindex;		/* IFLA_LINK (veth peer) or 0 */
};

/* -ENODEV if absent, -EINVAL if the name cannot be an interface name. */
int xv_link_by_name(const char *name, struct xv_link *out);
/* -ENODEV if absent. */
int xv_link_by_index(int ifindex, struct xv_link *out);
/* All links of the current network namespace; caller frees *out. */
int xv_link_list(struct xv_link **out, int *n);
/*
 * Link events (RTM_NEWLINK, RTM_DELLINK) of the current namespace, for
 * watch: poll the fd, then read calls fn for each event queued. A read
 * that returns -ENOBUFS lost events: list the links again.
 */
struct xv_link_monitor;
struct xv_link_monitor *xv_link_monitor_open(void);
int xv_link_monitor_fd(const struct xv_link_monitor *m);
int xv_link_monitor_read(struct xv_link_monitor *m,
			 void (*fn)(int type, const struct xv_link *l,
				    void *arg),
			 void *arg);
void xv_link_monitor_close(struct xv_link_monitor *m);
/* Set or clear IFF_PROMISC, the user-visible flag (`ip link set promisc`). */
int xv_link_set_promisc(int ifindex, bool on);
/* Set or clear IFF_UP (like `ip link set up/down`). */
int xv_link_set_up(int ifindex, bool up);

/*
 * Create a veth pair NAME <-> PEER in the current namespace, both down,
 * with these MAC addresses (NULL: the kernel picks one at random).
 */
int xv_veth_create(const char *name, const char *peer, const __u8 *mac,
		   const __u8 *peer_mac);
/* Delete a link (a veth's peer goes with it). */
int xv_link_del(int ifindex);
/* Stop the kernel from giving the link IPv6 addresses of its own. */
int xv_link_no_ipv6_addr(int ifindex);
/* net.ipv4.conf.IFNAME.forwarding, set over netlink (IFLA_INET_CONF). */
int xv_link_ipv4_forwarding(int ifindex, bool on);

/* One IPv4 address of a link. */
struct xv_addr4 {
	__be32 addr;			/* IFA_LOCAL, network order */
	__u8 prefix;
	bool secondary;			/* IFA_F_SECONDARY */
};

/* The IPv4 addresses of ifindex, primaries first; caller frees *out. */
int xv_addr4_list(int ifindex, struct xv_addr4 **out, int *n);
/* The first primary IPv4 address of ifindex; -EADDRNOTAVAIL if none. */
int xv_addr4_primary(int ifindex, __be32 *addr);
/* Add ADDR/PREFIX (with its broadcast address); -EEXIST if present. */
int xv_addr4_add(int ifindex, __be32 addr, int prefix);
int xv_addr4_del(int ifindex, __be32 addr, int prefix);

/*
 * Enter the network namespace /run/netns/NAME like `ip -n`, keeping the mount
 * namespace (so /sys keeps describing the old one).  Only the calling thread
 * moves.  -ENOENT if there is no such namespace.
 */
int xv_netns_enter(const char *name);
/* Cookie of the current network namespace (SO_NETNS_COOKIE). */
int xv_netns_cookie(__u64 *cookie);

/* Driver name from ETHTOOL_GDRVINFO ("tun", "veth", ...). */
int xv_ethtool_driver(const char *ifname, char *driver, size_t len);
/* Turn GRO on or off (ETHTOOL_SGRO), like `ethtool -K IFNAME gro on`. */
int xv_ethtool_gro(const char *ifname, bool on);

/*
 * Send one complete rtnetlink request (its flags get NLM_F_REQUEST|NLM_F_ACK,
 * its seq is assigned) and wait for the kernel's ack.  For changes that have
 * no helper here, e.g. creating links.
 */
int xv_nl_change(struct nlmsghdr *nlh);

#endif
