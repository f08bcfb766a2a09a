// SPDX-License-Identifier: GPL-2.0
/*
 * The datapath (bpf/xvnet.bpf.c) built once more for the packet fuzzer,
 * with its redirect helpers wrapped: each call goes to the real helper and
 * is also recorded in xvf_trace (trace.h), because a BPF_PROG_TEST_RUN
 * returns the verdict but never says where a redirect would have gone.
 * Nothing else differs: the wrappers are defined, then the helper names
 * are redefined to them, then the datapath source is included whole.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "trace.h"

struct xvf_trace xvf_trace;

static __always_inline struct xvf_event *xvf_event(__u32 kind, __u32 ifindex,
						   __u64 flags)
{
	__u32 n = xvf_trace.n;
	struct xvf_event *e;

	xvf_trace.n = n + 1;
	if (n >= XVF_EVENTS)
		return 0;
	e = &xvf_trace.ev[n];
	e->kind = kind;
	e->ifindex = ifindex;
	e->flags = flags;
	return e;
}

static __always_inline long xvf_redirect(__u32 ifindex, __u64 flags)
{
	long r = bpf_redirect(ifindex, flags);
	struct xvf_event *e = xvf_event(XVF_REDIRECT, ifindex, flags);

	if (e)
		e->ret = r;
	return r;
}

static __always_inline __attribute__((unused)) long
xvf_redirect_peer(__u32 ifindex, __u64 flags)
{
	long r = bpf_redirect_peer(ifindex, flags);
	struct xvf_event *e = xvf_event(XVF_PEER, ifindex, flags);

	if (e)
		e->ret = r;
	return r;
}

static __always_inline long xvf_redirect_neigh(__u32 ifindex,
					       struct bpf_redir_neigh *params,
					       int plen, __u64 flags)
{
	long r = bpf_redirect_neigh(ifindex, params, plen, flags);
	struct xvf_event *e = xvf_event(XVF_NEIGH, ifindex, flags);

	if (e)
		e->ret = r;
	return r;
}

static __always_inline long xvf_redirect_map(void *map, __u64 key, __u64 flags)
{
	long r = bpf_redirect_map(map, key, flags);
	struct xvf_event *e = xvf_event(XVF_MAP, (__u32)key, flags);

	if (e)
		e->ret = r;
	return r;
}

static __always_inline long xvf_clone_redirect(struct __sk_buff *skb,
					       __u32 ifindex, __u64 flags)
{
	struct xvf_event *e = xvf_event(XVF_CLONE, ifindex, flags);
	__u32 len = skb->len;
	long r;

	if (e) {
		e->mark = skb->mark;
		e->len = len;
		if (len > XVF_SNAP)
			len = XVF_SNAP;
		if (len > 0)
			bpf_skb_load_bytes(skb, 0, e->snap, len);
	}
	r = bpf_clone_redirect(skb, ifindex, flags);
	if (e)
		e->ret = r;
	return r;
}

#define bpf_redirect		xvf_redirect
#define bpf_redirect_peer	xvf_redirect_peer
#define bpf_redirect_neigh	xvf_redirect_neigh
#define bpf_redirect_map	xvf_redirect_map
#define bpf_clone_redirect	xvf_clone_redirect

#include "xvnet.bpf.c"
