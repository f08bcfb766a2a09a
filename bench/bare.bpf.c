// SPDX-License-Identifier: GPL-2.0
/*
 * The ceiling: redirect every frame to one port with no logic at all, in XDP
 * (devmap, key 0) and in tc (bpf_redirect to bare_target[0]). The benchmark
 * runs these next to xvnet so that its ratios say how much the bridge logic
 * costs on top of the hook itself.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} bare_tx SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} bare_target SEC(".maps");

SEC("xdp")
int bare_xdp(struct xdp_md *ctx)
{
	return bpf_redirect_map(&bare_tx, 0, 0);
}

SEC("tc")
int bare_tc(struct __sk_buff *skb)
{
	__u32 zero = 0, *target = bpf_map_lookup_elem(&bare_target, &zero);

	return target ? bpf_redirect(*target, 0) : TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
