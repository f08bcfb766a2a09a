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
/* Set or clear IFF_PROMISC, the user-visible flag (`ip link set promisc`). */
int xv_link_set_promisc(int ifindex, bool on);
/* Set or clear IFF_UP (like `ip link set up/down`). */
int xv_link_set_up(int ifindex, bool up);

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

/*
 * Send one complete rtnetlink request (its flags get NLM_F_REQUEST|NLM_F_ACK,
 * its seq is assigned) and wait for the kernel's ack.  For changes that have
 * no helper here, e.g. creating links.
 */
int xv_nl_change(struct nlmsghdr *nlh);

#endif
