/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rtnetlink and sysctl requests that the unit tests and the packet fuzzer
 * both make in their namespaces and that loader/nl.c has no helper for
 * (test_nl.c).
 */
#ifndef XVT_TEST_NL_H
#define XVT_TEST_NL_H

#include <linux/types.h>

/* A permanent neighbour addr (host order) -> mac on ifindex. */
int xvt_nl_neigh(__u32 ifindex, __u32 addr, const __u8 *mac);
/* The default route via gw (host order) on ifindex. */
int xvt_nl_default_route(__u32 ifindex, __u32 gw);
/* Write a sysctl of the current namespace. */
int xvt_sysctl(const char *path, const char *val);

#endif
