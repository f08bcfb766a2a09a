// SPDX-License-Identifier: GPL-2.0
/*
 * rtnetlink requests for the packet fuzzer's namespace that loader/nl.c
 * has no helper for: veth pairs with fixed ifindexes (so that a reported
 * frame names the same devices in every run). Neighbours, the default route
 * and sysctls: tests/lib/test_nl.c.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "nl.h"
#include "pf_nl.h"

static void put_link(struct nlmsghdr *nlh, __u32 ifindex, const __u8 *mac)
{
	struct ifinfomsg *ifm;
	char name[16];

	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = (int)ifindex;
	snprintf(name, sizeof(name), "xf%u", ifindex);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
}

int pf_nl_veth(__u32 ifindex, __u32 peer, const __u8 *mac, const __u8 *peer_mac)
{
	char buf[1024] = {};
	struct nlattr *info, *data, *p;
	struct nlmsghdr *nlh;
	int err;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	put_link(nlh, ifindex, mac);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	p = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	put_link(nlh, peer, peer_mac);
	mnl_attr_nest_end(nlh, p);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	err = xv_nl_change(nlh);
	if (!err)
		err = xv_link_set_up((int)peer, true);
	if (!err)
		err = xv_link_set_up((int)ifindex, true);
	return err;
}
