// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "attach.h"
#include "common.h"
#include "journal.h"
#include "log.h"
#include "nl.h"

#define XV_UNDO_BUF	512

enum undo_kind {
	U_MAP, U_TC, U_CLSACT, U_XDP, U_PROMISC, U_PIN, U_LINK, U_ADDR, U_UP,
	U_CALL,
};

struct undo {
	enum undo_kind kind;
	int fd;			/* U_MAP: map; U_TC/U_XDP/U_PIN: old prog or -1 */
	int ifindex;
	int point;		/* U_ADDR: prefix */
	__be32 addr;		/* U_ADDR */
	bool existed;		/* U_MAP: key had a value; U_PROMISC: old flag */
	size_t ksz, vsz;
	unsigned char key[32];
	unsigned char val[XV_UNDO_BUF];
	char path[4200];	/* U_PIN */
	void (*call)(void *arg);	/* U_CALL */
	void *arg;		/* U_CALL: freed with the journal */
};

struct xv_journal {
	char pin_dir[4096];
	struct undo *undo;
	int n;
	int steps;
	int fail_at;
};

struct xv_journal *xv_journal_new(const char *pin_dir)
{
	struct xv_journal *j = calloc(1, sizeof(*j));
	const char *fail = getenv("XVNET_FAIL_AT");

	if (!j)
		return NULL;
	snprintf(j->pin_dir, sizeof(j->pin_dir), "%s", pin_dir);
	j->fail_at = fail ? atoi(fail) : 0;
	return j;
}

static struct undo *push(struct xv_journal *j, enum undo_kind kind)
{
	struct undo *grown = realloc(j->undo, (j->n + 1) * sizeof(*grown));

	if (!grown)
		return NULL;
	j->undo = grown;
	memset(&j->undo[j->n], 0, sizeof(*grown));
	j->undo[j->n].kind = kind;
	j->undo[j->n].fd = -1;
	return &j->undo[j->n++];
}

int xv_journal_injected_failure(struct xv_journal *j)
{
	if (++j->steps == j->fail_at) {
		pr_warn("XVNET_FAIL_AT=%d: injected failure\n", j->fail_at);
		return -EIO;
	}
	return 0;
}

int xv_journal_map_update(struct xv_journal *j, int map_fd, const void *key,
			  size_t ksz, const void *val, size_t vsz)
{
	struct undo *u;

	if (ksz > sizeof(u->key) || vsz > sizeof(u->val))
		return -E2BIG;
	u = push(j, U_MAP);
	if (!u)
		return -ENOMEM;
	u->fd = map_fd;
	u->ksz = ksz;
	u->vsz = vsz;
	memcpy(u->key, key, ksz);
	u->existed = !bpf_map_lookup_elem(map_fd, key, u->val);
	if (bpf_map_update_elem(map_fd, key, val, BPF_ANY)) {
		j->n--;
		return -errno;
	}
	return xv_journal_injected_failure(j);
}

static int prog_fd_by_id(__u32 id)
{
	return id ? bpf_prog_get_fd_by_id(id) : -1;
}

int xv_journal_tc(struct xv_journal *j, int ifindex,
		  enum bpf_tc_attach_point point, int prog_fd, bool *created)
{
	__u32 old_id = 0;
	bool made = false;
	struct undo *u;
	int err;

	xv_tc_query(ifindex, point, &old_id);
	u = push(j, U_TC);
	if (!u)
		return -ENOMEM;
	u->ifindex = ifindex;
	u->point = point;
	u->fd = prog_fd_by_id(old_id);
	err = xv_tc_attach(ifindex, point, prog_fd, &made);
	if (made) {
		/* The clsact goes after the filter on rollback. */
		struct undo tc = *u;

		u->kind = U_CLSACT;
		u->fd = -1;
		u = push(j, U_TC);
		if (!u)
			return -ENOMEM;
		*u = tc;
	}
	if (created)
		*created = made;
	if (err)
		return err;
	return xv_journal_injected_failure(j);
}

int xv_journal_xdp(struct xv_journal *j, int ifindex, const char *ifname,
		   int prog_fd, bool allow_generic, enum xv_xdp_mode *mode)
{
	char path[4200];
	struct undo *u;
	__u32 old_id = 0;
	int err, fd;

	/* Only a program behind our own pinned link is ours to restore. */
	xv_xdp_link_path(path, sizeof(path), j->pin_dir, ifindex);
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		xv_xdp_query(ifindex, &old_id);
		close(fd);
	}
	u = push(j, U_XDP);
	if (!u)
		return -ENOMEM;
	u->ifindex = ifindex;
	u->fd = prog_fd_by_id(old_id);
	err = xv_xdp_attach(j->pin_dir, ifindex, ifname, prog_fd,
			    allow_generic, mode);
	if (err) {
		if (u->fd >= 0)
			close(u->fd);
		j->n--;
		*mode = XV_XDP_NONE;
		return err;
	}
	return xv_journal_injected_failure(j);
}

int xv_journal_promisc(struct xv_journal *j, int ifindex, bool on)
{
	struct xv_link link;
	struct undo *u;
	int err;

	err = xv_link_by_index(ifindex, &link);
	if (err)
		return err;
	u = push(j, U_PROMISC);
	if (!u)
		return -ENOMEM;
	u->ifindex = ifindex;
	u->existed = link.flags & 0x100; /* IFF_PROMISC */
	err = xv_link_set_promisc(ifindex, on);
	if (err)
		return err;
	return xv_journal_injected_failure(j);
}

int xv_journal_veth(struct xv_journal *j, const char *name, const char *peer,
		    const __u8 *mac, const __u8 *peer_mac)
{
	struct xv_link link;
	struct undo *u;
	int err;

	u = push(j, U_LINK);
	if (!u)
		return -ENOMEM;
	err = xv_veth_create(name, peer, mac, peer_mac);
	if (!err)
		err = xv_link_by_name(name, &link);
	if (err) {
		j->n--;
		return err;
	}
	u->ifindex = link.ifindex;
	return xv_journal_injected_failure(j);
}

int xv_journal_addr4(struct xv_journal *j, int ifindex, __be32 addr,
		     int prefix)
{
	struct undo *u = push(j, U_ADDR);
	int err;

	if (!u)
		return -ENOMEM;
	u->ifindex = ifindex;
	u->addr = addr;
	u->point = prefix;
	err = xv_addr4_add(ifindex, addr, prefix);
	if (err) {
		j->n--;
		return err;
	}
	return xv_journal_injected_failure(j);
}

int xv_journal_link_up(struct xv_journal *j, int ifindex)
{
	struct undo *u = push(j, U_UP);
	int err;

	if (!u)
		return -ENOMEM;
	u->ifindex = ifindex;
	err = xv_link_set_up(ifindex, true);
	if (err) {
		j->n--;
		return err;
	}
	return xv_journal_injected_failure(j);
}

int xv_journal_pin(struct xv_journal *j, const char *name, int fd)
{
	struct undo *u = push(j, U_PIN);
	int err;

	if (!u)
		return -ENOMEM;
	err = xv_pin_path(u->path, sizeof(u->path), j->pin_dir, name);
	if (err)
		return err;
	u->fd = bpf_obj_get(u->path);
	unlink(u->path);
	if (bpf_obj_pin(fd, u->path)) {
		err = -errno;
		pr_warn("cannot pin %s: %s\n", u->path, strerror(errno));
		return err;
	}
	return xv_journal_injected_failure(j);
}

int xv_journal_call(struct xv_journal *j, void (*undo)(void *arg), void *arg)
{
	struct undo *u = push(j, U_CALL);

	if (!u) {
		undo(arg);
		free(arg);
		return -ENOMEM;
	}
	u->call = undo;
	u->arg = arg;
	return xv_journal_injected_failure(j);
}

static void undo_one(struct xv_journal *j, struct undo *u)
{
	enum xv_xdp_mode mode;

	switch (u->kind) {
	case U_MAP:
		if (u->existed)
			bpf_map_update_elem(u->fd, u->key, u->val, BPF_ANY);
		else
			bpf_map_delete_elem(u->fd, u->key);
		break;
	case U_TC:
		if (u->fd >= 0)
			xv_tc_attach(u->ifindex, u->point, u->fd, NULL);
		else
			xv_tc_detach(u->ifindex, u->point);
		break;
	case U_CLSACT:
		xv_tc_destroy_clsact(u->ifindex);
		break;
	case U_XDP:
		if (u->fd >= 0)
			xv_xdp_attach(j->pin_dir, u->ifindex, "?", u->fd, true,
				      &mode);
		else
			xv_xdp_detach(j->pin_dir, u->ifindex);
		break;
	case U_PROMISC:
		xv_link_set_promisc(u->ifindex, u->existed);
		break;
	case U_PIN:
		unlink(u->path);
		if (u->fd >= 0)
			bpf_obj_pin(u->fd, u->path);
		break;
	case U_LINK:
		xv_link_del(u->ifindex);
		break;
	case U_ADDR:
		xv_addr4_del(u->ifindex, u->addr, u->point);
		break;
	case U_UP:
		xv_link_set_up(u->ifindex, false);
		break;
	case U_CALL:
		u->call(u->arg);
		break;
	}
}

void xv_journal_rollback(struct xv_journal *j)
{
	for (int i = j->n - 1; i >= 0; i--)
		undo_one(j, &j->undo[i]);
}

void xv_journal_free(struct xv_journal *j)
{
	if (!j)
		return;
	/* Tests count the steps of an up to fail exactly the ones they want. */
	pr_debug("journal: %d change(s)\n", j->steps);
	for (int i = 0; i < j->n; i++) {
		if (j->undo[i].kind != U_MAP && j->undo[i].fd >= 0)
			close(j->undo[i].fd);
		free(j->undo[i].arg);
	}
	free(j->undo);
	free(j);
}
