/* SPDX-License-Identifier: GPL-2.0 */
/* The rtnetlink requests only the packet fuzzer's namespace needs (pf_nl.c). */
#ifndef XVF_PF_NL_H
#define XVF_PF_NL_H

#include <linux/types.h>

/* A veth pair with chosen ifindexes and MACs ("xfN"), both up. */
int pf_nl_veth(__u32 ifindex, __u32 peer, const __u8 *mac, const __u8 *peer_mac);

#endif
