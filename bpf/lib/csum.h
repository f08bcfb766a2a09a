/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Checksum verification for XDP on virtual devices. A frame from a VM (tap,
 * veth) usually carries only a partial L4 checksum (checksum offload); XDP
 * cannot see that state and a redirect loses it, so such a frame would reach
 * its receiver with a bad checksum. Instead of guessing, XDP verifies the
 * checksum the way a receiver would: a frame whose L4 checksum is correct is
 * safe to redirect as it is; anything else (partial checksum, fragments, IPv6
 * extension headers, tunnels, VLAN tags) is handed to the tc path, which keeps
 * the skb's checksum state.
 */
#ifndef XV_CSUM_H
#define XV_CSUM_H

#include <stdbool.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define XV_CSUM_BLOCK		64
#define XV_CSUM_MAX_BLOCKS	64	/* 4 KiB: larger L4 payloads go to tc */

static __always_inline __u32 csum_add32(__u32 a, __u32 b)
{
	__u32 r = a + b;

	return r + (r < a);
}

static __always_inline __u16 csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/* Add the next n bytes at *p when len has bit n set; a negative sum sticks. */
static __always_inline __s64 csum_step(__u8 **p, void *data_end, __u32 len,
				       __u32 n, __s64 sum)
{
	__u8 *q = *p;

	if (sum < 0 || !(len & n))
		return sum;
	if ((void *)(q + n) > data_end)
		return -1;
	*p = q + n;
	return bpf_csum_diff(NULL, 0, (__be32 *)q, n, (__u32)sum);
}

/*
 * Ones'-complement sum of len bytes of packet memory at p, added to seed.
 * Returns a negative value if any byte lies outside [p, data_end).
 * Blocks are multiples of 4 bytes, so every block starts at an even offset
 * and the partial sums chain correctly.
 */
static __always_inline __s64 csum_bytes(__u8 *p, void *data_end, __u32 len,
					__u32 seed)
{
	__s64 sum = seed;
	__u8 tail[4] = {};
	__u32 i;

	for (i = 0; i < XV_CSUM_MAX_BLOCKS; i++) {
		if (len < XV_CSUM_BLOCK)
			break;
		if ((void *)(p + XV_CSUM_BLOCK) > data_end)
			return -1;
		sum = bpf_csum_diff(NULL, 0, (__be32 *)p, XV_CSUM_BLOCK, sum);
		if (sum < 0)
			return -1;
		p += XV_CSUM_BLOCK;
		len -= XV_CSUM_BLOCK;
	}
	if (len >= XV_CSUM_BLOCK)
		return -1;
	/* Under 64 bytes left: one call per power of two, not per word. */
	sum = csum_step(&p, data_end, len, 32, sum);
	sum = csum_step(&p, data_end, len, 16, sum);
	sum = csum_step(&p, data_end, len, 8, sum);
	sum = csum_step(&p, data_end, len, 4, sum);
	if (sum < 0)
		return -1;
	len &= 3;
	if (len >= 1) {
		if ((void *)(p + 1) > data_end)
			return -1;
		tail[0] = p[0];
	}
	if (len >= 2) {
		if ((void *)(p + 2) > data_end)
			return -1;
		tail[1] = p[1];
	}
	if (len >= 3) {
		if ((void *)(p + 3) > data_end)
			return -1;
		tail[2] = p[2];
	}
	if (len)
		sum = bpf_csum_diff(NULL, 0, (__be32 *)tail, 4, sum);
	return sum;
}

/*
 * csum_bytes() for a segment of at most XV_CSUM_BLOCK bytes (the L4 part of
 * a small frame: what a packet rate is made of), summed in line without a
 * helper call: 32-bit words into 64 bits, then the tail. Each word is read
 * at a fixed offset after its own bounds check, the form the verifier
 * follows (a loop is rewritten by the compiler into one it refuses).
 */
#define XV_CSUM_WORD(k)							\
	do {								\
		if (len < 4 * (k) + 4)					\
			goto tail;					\
		if ((void *)(p + 4 * (k) + 4) > data_end)		\
			return -1;					\
		sum += *(__u32 *)(p + 4 * (k));				\
	} while (0)

static __always_inline __s64 csum_bytes_short(__u8 *p, void *data_end,
					      __u32 len, __u32 seed)
{
	__u64 sum = seed;
	__u8 *q;

	XV_CSUM_WORD(0); XV_CSUM_WORD(1); XV_CSUM_WORD(2); XV_CSUM_WORD(3);
	XV_CSUM_WORD(4); XV_CSUM_WORD(5); XV_CSUM_WORD(6); XV_CSUM_WORD(7);
	XV_CSUM_WORD(8); XV_CSUM_WORD(9); XV_CSUM_WORD(10); XV_CSUM_WORD(11);
	XV_CSUM_WORD(12); XV_CSUM_WORD(13); XV_CSUM_WORD(14); XV_CSUM_WORD(15);
tail:
	q = p + (len & (XV_CSUM_BLOCK - 4));
	if (len & 2) {
		if ((void *)(q + 2) > data_end)
			return -1;
		sum += *(__u16 *)q;
		q += 2;
	}
	if (len & 1) {	/* an odd last byte, padded with a zero after it */
		__u8 tail[2] = {};

		if ((void *)(q + 1) > data_end)
			return -1;
		tail[0] = q[0];
		sum += *(__u16 *)tail;
	}
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	return (__u32)sum;
}
#undef XV_CSUM_WORD

/* Sum of the L4 segment plus pseudo-header words; true if it verifies. */
static __always_inline bool csum_l4_ok(__u8 *l4, void *data_end, __u32 l4len,
				       __u32 pseudo)
{
	__s64 sum;

	if (l4len <= XV_CSUM_BLOCK)
		sum = csum_bytes_short(l4, data_end, l4len, pseudo);
	else
		sum = csum_bytes(l4, data_end, l4len, pseudo);
	return sum >= 0 && csum_fold((__u32)sum) == 0xffff;
}

static __always_inline bool csum_complete_ipv4(struct iphdr *iph, void *data_end)
{
	__u32 hlen, tot, l4len, pseudo = 0;
	__u8 *l4;

	if ((void *)(iph + 1) > data_end || iph->ihl < 5)
		return false;
	if (iph->frag_off & bpf_htons(0x3fff))	/* MF or offset: a fragment */
		return false;
	hlen = iph->ihl * 4;
	tot = bpf_ntohs(iph->tot_len);
	if (tot < hlen)
		return false;
	l4len = tot - hlen;
	l4 = (__u8 *)iph + hlen;

	switch (iph->protocol) {
	case IPPROTO_UDP: {
		struct udphdr *uh = (void *)l4;

		if ((void *)(uh + 1) > data_end)
			return false;
		if (!uh->check)		/* IPv4 UDP without a checksum */
			return true;
	}
		/* fall through */
	case IPPROTO_TCP:
		pseudo = csum_add32(iph->saddr, iph->daddr);
		pseudo = csum_add32(pseudo, bpf_htons(iph->protocol));
		pseudo = csum_add32(pseudo, bpf_htons(l4len));
		break;
	case IPPROTO_ICMP:
		break;
	default:
		return false;
	}
	return csum_l4_ok(l4, data_end, l4len, pseudo);
}

static __always_inline bool csum_complete_ipv6(struct ipv6hdr *ip6, void *data_end)
{
	__u32 l4len, pseudo;
	__s64 addrs;

	if ((void *)(ip6 + 1) > data_end)
		return false;
	switch (ip6->nexthdr) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_ICMPV6:
		break;
	default:		/* extension headers and the rest: tc path */
		return false;
	}
	l4len = bpf_ntohs(ip6->payload_len);
	addrs = bpf_csum_diff(NULL, 0, (__be32 *)&ip6->saddr, 32, 0);
	if (addrs < 0)
		return false;
	pseudo = csum_add32((__u32)addrs, bpf_htonl(l4len));
	pseudo = csum_add32(pseudo, bpf_htonl(ip6->nexthdr));
	return csum_l4_ok((__u8 *)(ip6 + 1), data_end, l4len, pseudo);
}

/*
 * True when the frame can leave through an XDP redirect as it is: no L4
 * checksum, or one that verifies.
 */
static __always_inline bool csum_complete(struct ethhdr *eth, void *data_end)
{
	switch (eth->h_proto) {
	case bpf_htons(ETH_P_IP):
		return csum_complete_ipv4((void *)(eth + 1), data_end);
	case bpf_htons(ETH_P_IPV6):
		return csum_complete_ipv6((void *)(eth + 1), data_end);
	case bpf_htons(ETH_P_8021Q):
	case bpf_htons(ETH_P_8021AD):
		return false;	/* offloads may apply under the tag */
	default:
		return true;	/* ARP and other non-IP frames */
	}
}

/*
 * csum_complete() on an XDP frame, as a global function: the verifier
 * checks it once, on its own, instead of once for every state of every
 * caller (its branches would multiply theirs past the verifier's limit).
 */
__attribute__((noinline)) int xdp_csum_complete(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return 0;
	return csum_complete(eth, data_end);
}

#endif
