/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the traced build of the datapath (xvnet_traced.bpf.c) records of
 * each redirect helper call, in its .bss, for the packet fuzzer to read
 * through the skeleton's mmap: BPF_PROG_TEST_RUN returns a verdict but
 * never performs a redirect, so this is how a run's targets are known.
 * Shared by the BPF side and user space.
 */
#ifndef XVF_TRACE_H
#define XVF_TRACE_H

#include <linux/types.h>

#define XVF_EVENTS	16	/* calls recorded per run; later ones counted */
#define XVF_SNAP	128	/* bytes of a clone kept (its headers) */

enum xvf_kind {
	XVF_REDIRECT = 1,	/* bpf_redirect(ifindex, flags) */
	XVF_NEIGH,		/* bpf_redirect_neigh(ifindex, ...) */
	XVF_PEER,		/* bpf_redirect_peer(ifindex, flags) */
	XVF_MAP,		/* bpf_redirect_map(map, key, flags): key */
	XVF_CLONE,		/* bpf_clone_redirect(skb, ifindex, flags) */
};

struct xvf_event {
	__u32 kind;		/* enum xvf_kind */
	__u32 ifindex;		/* target (bpf_redirect_map: the key) */
	__u64 flags;		/* BPF_F_INGRESS etc. */
	__s64 ret;		/* what the helper returned */
	__u32 mark;		/* clone: skb->mark the copy carries */
	__u32 len;		/* clone: skb->len */
	__u8 snap[XVF_SNAP];	/* clone: its first bytes (min(len, SNAP)) */
};

struct xvf_trace {
	__u32 n;		/* calls since user space zeroed it */
	__u32 pad;
	struct xvf_event ev[XVF_EVENTS];
};

#endif
