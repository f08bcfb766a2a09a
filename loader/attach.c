// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "attach.h"
#include "common.h"
#include "log.h"

static void tc_hook_init(struct bpf_tc_hook *hook, int ifindex,
			 enum bpf_tc_attach_point point)
{
	memset(hook, 0, sizeof(*hook));
	hook->sz = sizeof(*hook);
	hook->ifindex = ifindex;
	hook->attach_point = point;
}

int xv_tc_attach(int ifindex, enum bpf_tc_attach_point point, int prog_fd,
		 bool *created)
{
	struct bpf_tc_hook hook;
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = XV_TC_HANDLE,
		    .priority = XV_TC_PRIO, .prog_fd = prog_fd,
		    .flags = BPF_TC_F_REPLACE);
	int err;

	tc_hook_init(&hook, ifindex, point);
	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST)
		return err;
	if (created)
		*created = !err;
	return bpf_tc_attach(&hook, &opts);
}

int xv_tc_query(int ifindex, enum bpf_tc_attach_point point, __u32 *prog_id)
{
	struct bpf_tc_hook hook;
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = XV_TC_HANDLE,
		    .priority = XV_TC_PRIO);
	int err;

	tc_hook_init(&hook, ifindex, point);
	*prog_id = 0;
	err = bpf_tc_query(&hook, &opts);
	if (err == -ENOENT || err == -EINVAL)
		return 0;
	if (!err)
		*prog_id = opts.prog_id;
	return err;
}

int xv_tc_detach(int ifindex, enum bpf_tc_attach_point point)
{
	struct bpf_tc_hook hook;
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = XV_TC_HANDLE,
		    .priority = XV_TC_PRIO);
	int err;

	tc_hook_init(&hook, ifindex, point);
	err = bpf_tc_detach(&hook, &opts);
	return err == -ENOENT || err == -EINVAL ? 0 : err;
}

int xv_tc_destroy_clsact(int ifindex)
{
	struct bpf_tc_hook hook;
	int err;

	tc_hook_init(&hook, ifindex, BPF_TC_INGRESS | BPF_TC_EGRESS);
	err = bpf_tc_hook_destroy(&hook);
	return err == -ENOENT || err == -EINVAL ? 0 : err;
}

void xv_xdp_link_path(char *buf, size_t len, const char *pin_dir, int ifindex)
{
	snprintf(buf, len, "%s/link_xdp_%d", pin_dir, ifindex);
}

static int xdp_link_create(int ifindex, int prog_fd, __u32 flags)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = flags);

	return bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);
}

int xv_xdp_attach(const char *pin_dir, int ifindex, const char *ifname,
		  int prog_fd, bool allow_generic, enum xv_xdp_mode *mode)
{
	char path[4200];
	__u32 other_id = 0;
	int fd, err;

	xv_xdp_link_path(path, sizeof(path), pin_dir, ifindex);
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		err = bpf_link_update(fd, prog_fd, NULL);
		close(fd);
		if (err)
			pr_warn("%s: cannot replace the XDP program: %s\n",
				ifname, strerror(-err));
		else
			*mode = xv_xdp_query(ifindex, &other_id);
		return err;
	}

	fd = xdp_link_create(ifindex, prog_fd, XDP_FLAGS_DRV_MODE);
	*mode = XV_XDP_NATIVE;
	if (fd < 0 && allow_generic && fd != -EBUSY && fd != -EEXIST) {
		pr_debug("%s: native XDP refused (%s), trying generic\n",
			 ifname, strerror(-fd));
		fd = xdp_link_create(ifindex, prog_fd, XDP_FLAGS_SKB_MODE);
		*mode = XV_XDP_GENERIC;
	}
	if (fd < 0) {
		if ((fd == -EBUSY || fd == -EEXIST) &&
		    xv_xdp_query(ifindex, &other_id) != XV_XDP_NONE)
			pr_warn("%s: another XDP program (id %u) is attached; xvnet does not replace it\n",
				ifname, other_id);
		else
			pr_warn("%s: cannot attach XDP: %s\n", ifname,
				strerror(-fd));
		*mode = XV_XDP_NONE;
		return fd;
	}
	err = bpf_obj_pin(fd, path);
	if (err) {
		err = -errno;
		pr_warn("%s: cannot pin the XDP link at %s: %s\n", ifname,
			path, strerror(errno));
		bpf_link_detach(fd);
		close(fd);
		*mode = XV_XDP_NONE;
		return err;
	}
	close(fd);
	return 0;
}

int xv_xdp_detach(const char *pin_dir, int ifindex)
{
	char path[4200];
	int fd;

	xv_xdp_link_path(path, sizeof(path), pin_dir, ifindex);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	/* Detach now, not when the last reference goes. */
	bpf_link_detach(fd);
	close(fd);
	return unlink(path) ? -errno : 0;
}

enum xv_xdp_mode xv_xdp_query(int ifindex, __u32 *prog_id)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, opts);

	*prog_id = 0;
	if (bpf_xdp_query(ifindex, 0, &opts))
		return XV_XDP_NONE;
	switch (opts.attach_mode) {
	case XDP_ATTACHED_DRV:
	case XDP_ATTACHED_HW:
		*prog_id = opts.drv_prog_id ? opts.drv_prog_id : opts.hw_prog_id;
		return XV_XDP_NATIVE;
	case XDP_ATTACHED_SKB:
		*prog_id = opts.skb_prog_id;
		return XV_XDP_GENERIC;
	case XDP_ATTACHED_MULTI:
		*prog_id = opts.drv_prog_id;
		return XV_XDP_NATIVE;
	default:
		return XV_XDP_NONE;
	}
}
