// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark sink: drop every frame at tc ingress, so that the sink costs one
 * skb per frame and nothing more (the receiving VM's stack is not what the
 * benchmark measures). Frames are counted by the device's rx counter.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

SEC("tc")
int bench_sink(struct __sk_buff *skb)
{
	return TC_ACT_SHOT;
}

char LICENSE[] SEC("license") = "GPL";
