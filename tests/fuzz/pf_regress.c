// SPDX-License-Identifier: GPL-2.0
/*
 * Frames the packet fuzzer found that once broke an invariant, made
 * minimal and run first on every pass (checksums valid unless said). Each
 * is the frame's first bytes in hex, then n bytes of the pattern
 * (i * 7 + 1) & 0xff that the checksums in the hex already account for.
 * Addresses are those of pf_topo.c.
 */
#include <string.h>

#include "pf.h"

static const struct {
	const char *what;
	__u32 ifindex;
	bool egress;
	const char *hex;
	__u16 n;
} frames[] = {
	/*
	 * nat_egress parses only untagged IPv4: a tagged packet the host
	 * sends out of a nat uplink (a VLAN device on it, no tx VLAN
	 * offload) leaves with its inside source.
	 */
	{ "egress: 802.1Q-tagged UDP from 192.168.100.21 out of nat uplink 20",
	  20, true,
	  "02f20000020102f00000020081000064080045000024123440004011d9a2"
	  "c0a86415c633640114e900350010ce8278766e65742d7231", 0 },
	/*
	 * The router does not look behind tags: a priority-tagged packet to
	 * the gateway MAC is bridged to the host adapter untranslated; the
	 * host strips the tag and routes it (the loader turned forwarding
	 * on on the host adapter), here out of bridge uplink 50, which no
	 * nat egress program guards. On the wire it has two priority tags:
	 * the kernel takes the outer one off before tc.
	 */
	{ "vm 21: priority-tagged UDP to the gateway for 198.19.0.9 (routed via bridge uplink 50)",
	  21, false,
	  "02f00000020102f100000221810000000800450000241234400040113dbb"
	  "c0a86415c61300099c4000350010ab4278766e65742d7232", 0 },
	/*
	 * fragmentation-needed is handed to the host before the route's
	 * device is checked against the uplink: a DF-less packet over the
	 * MTU reaches the host, which fragments it out of bridge uplink 50.
	 */
	{ "vm 21: 1600-byte UDP without DF to 198.19.0.9 (routed via bridge uplink 50)",
	  21, false,
	  "02f00000020102f100000221080045000640123400004011779f"
	  "c0a86415c61300099c400035062c74ce", 1572 },
	/* ... and the host's first fragment of it, leaving uplink 50. */
	{ "egress: the host's first fragment of it out of bridge uplink 50",
	  50, true,
	  "02f20000050102f0000005000800450005dc1234200040115803"
	  "c0a86415c61300099c400035062c74ce", 1472 },
	/*
	 * The NAT parses up to the end of the frame, not of the datagram:
	 * an ICMP error whose IPv4 total length ends after the quoted ports
	 * has its quoted UDP checksum (past the datagram) rewritten and the
	 * ICMP checksum adjusted for it, which breaks the ICMP checksum.
	 */
	{ "uplink 20: ICMP error quoting 4 bytes of a mapped UDP header, 4 more in the frame",
	  20, false,
	  "02f00000020002f200000201080045000034123440004001c25dc6336401"
	  "cb0071020303aea60000000045000024123440004011c25dcb007102c633"
	  "64014e2100350010e3d0", 0 },
};

static int hexval(char c)
{
	return c <= '9' ? c - '0' : c - 'a' + 10;
}

const char *pf_regress(struct pf_case *c, size_t i)
{
	const char *h;
	__u32 k;

	if (i >= sizeof(frames) / sizeof(frames[0]))
		return NULL;
	h = frames[i].hex;
	memset(c, 0, sizeof(*c));
	for (c->f.len = 0; h[2 * c->f.len]; c->f.len++)
		c->f.b[c->f.len] = (__u8)(hexval(h[2 * c->f.len]) << 4 |
					  hexval(h[2 * c->f.len + 1]));
	for (k = 0; k < frames[i].n; k++)
		c->f.b[c->f.len++] = (__u8)(k * 7 + 1);
	c->ifindex = frames[i].ifindex;
	c->egress = frames[i].egress;
	c->what = "regression";
	return frames[i].what;
}
