/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Frame parsing helpers shared by the XDP and tc programs: Ethernet address
 * tests, and the IPv4/IPv6 header walk used where XDP must look at L3/L4.
 * Every access is bounds-checked against data_end; a short frame is reported
 * as such, never read past.
 */
#ifndef XV_PARSE_H
#define XV_PARSE_H

#include <stdbool.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <bpf/bpf_endian.h>

static __always_inline bool mac_is_multicast(const __u8 *mac)
{
	return mac[0] & 1;
}

static __always_inline bool mac_is_zero(const __u8 *mac)
{
	return !(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]);
}

static __always_inline bool mac_equal(const __u8 *a, const __u8 *b)
{
	return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] &&
	       a[3] == b[3] && a[4] == b[4] && a[5] == b[5];
}

static __always_inline void mac_copy(__u8 *dst, const __u8 *src)
{
	__builtin_memcpy(dst, src, ETH_ALEN);
}

#endif
