/* SPDX-License-Identifier: GPL-2.0 */
/* The few rtnetlink requests the packet fuzzer's namespace needs (pf_nl.c). */
#ifndef XVF_PF_NL_H
#define XVF_PF_NL_H

#include <linux/types.h>

/* A veth pair with chosen ifindexes and MACs ("xfN"), both up. */
int pf_nl_veth(__u32 ifindex, __u32 peer, const __u8 *mac, const __u8 *peer_mac);
/* A permanent neighbour addr (host order) -> mac on ifindex. */
int pf_nl_neigh(__u32 ifindex, __u32 addr, const __u8 *mac);
/* The default route via gw (host order) on ifindex. */
int pf_nl_default_route(__u32 ifindex, __u32 gw);
/* Write a sysctl of the current namespace. */
int pf_sysctl(const char *path, const char *val);

#endif
