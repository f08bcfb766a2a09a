// SPDX-License-Identifier: GPL-2.0
/*
 * The benchmark's packet generator, run by bench/xdpgen.c through
 * BPF_PROG_TEST_RUN in live-frames mode: the kernel runs this program over
 * a page pool of copies of one frame and transmits every frame it
 * redirects, 64 at a time, with ndo_xdp_xmit. Into a veth, that puts
 * ready-made frames on the peer's NAPI ring the way a NIC's receive ring
 * fills: no socket, no skb, no send buffer to run out (trafgen's packet
 * socket holds every frame in flight against its send buffer and stops).
 *
 * The kernel copies the frame into a page only when the page is new: a
 * recycled page still holds what the last user left in it, and the paths
 * under test rewrite frames in place (NAT rewrites addresses and ports, a
 * router the TTL and the MACs). So every frame's headers are written anew
 * here from the template (hdr), before anything else.
 *
 * With nflows > 1, each frame's UDP source port is sport0 + (n mod nflows),
 * round robin, and its checksum is set incrementally from the template's.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

const volatile __u32 target_ifindex;
const volatile __u32 nflows;
const volatile __u16 sport0;	/* host order */
const volatile __u16 csum0;	/* the template's UDP checksum, as stored */
#define HDR_LEN (sizeof(struct ethhdr) + sizeof(struct iphdr) + sizeof(struct udphdr))
__u64 hdr[(HDR_LEN + 7) / 8];	/* Ethernet, IPv4, UDP of the template
				 * (not const: read at run time) */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} gen_ctr SEC(".maps");

static __always_inline __u16 fold(__u32 s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return s;
}

SEC("xdp")
int gen_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct udphdr *udp = data + sizeof(struct ethhdr) + sizeof(struct iphdr);
	__u32 zero = 0, *ctr, k;
	__u16 port, sum;

	if ((void *)(udp + 1) > data_end)
		return XDP_ABORTED;
	/* word stores: the packet may be unaligned, x86 does not mind */
	((__u64 *)data)[0] = hdr[0];
	((__u64 *)data)[1] = hdr[1];
	((__u64 *)data)[2] = hdr[2];
	((__u64 *)data)[3] = hdr[3];
	((__u64 *)data)[4] = hdr[4];
	*(__u16 *)(data + 40) = (__u16)hdr[5];
	if (nflows > 1) {
		ctr = bpf_map_lookup_elem(&gen_ctr, &zero);
		if (ctr) {
			k = (*ctr)++ % nflows;
			port = sport0 + k;
			udp->source = bpf_htons(port);
			/* RFC 1624: HC' = ~(~HC + ~m + m') */
			sum = ~fold((__u16)~csum0 + (__u16)~bpf_htons(sport0) +
				    (__u32)bpf_htons(port));
			udp->check = sum ? sum : 0xffff;
		}
	}
	return bpf_redirect(target_ifindex, 0);
}

char LICENSE[] SEC("license") = "GPL";
