// SPDX-License-Identifier: GPL-2.0
/*
 * watch: stay running and keep the ports in step with the interfaces.
 * Listens to rtnetlink link events: an interface that appears and matches
 * a network's `ports` (a name or a glob) becomes a port of it at once; a
 * port whose interface disappears is forgotten (flood list, FDB entries,
 * the NAT sessions behind it); one that comes back is attached again.
 * SIGHUP reloads the config (xvnet reload), SIGTERM and SIGINT end the
 * watch and leave the datapath as it is. Each change takes the lock, so
 * watch and the other commands never interleave. Logs go to stderr.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/rtnetlink.h>
#include <sys/signalfd.h>
#include <bpf/bpf.h>

#include "commands.h"
#include "config.h"
#include "lock.h"
#include "log.h"
#include "nl.h"
#include "port.h"
#include "state.h"

struct watch {
	struct xv_opts *o;
	struct xv_config cfg;
	struct xv_state st;
};

static double ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1e3 + (t.tv_nsec - t0->tv_nsec) / 1e6;
}

static bool is_port(const struct watch *w, __u32 ifindex, struct xv_port *p)
{
	return !bpf_map_lookup_elem(w->st.port_fd, &ifindex, p);
}

/* A link that exists: make it a port if the config says it is one. */
static void link_present(struct watch *w, const struct xv_link *l)
{
	const struct xv_netcfg *n = xv_config_net_match_port(&w->cfg, l->name);
	struct timespec t0;
	struct xv_port p;
	int lock;

	if (!n || is_port(w, l->ifindex, &p))
		return;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	lock = xv_lock_take(w->cfg.pin_dir);
	if (lock < 0)
		return;
	if (!xv_port_add(&w->cfg, n->name, l->name))
		pr_info("watch: %s attached to %s in %.1f ms\n", l->name,
			n->name, ms_since(&t0));
	xv_lock_release(lock, w->cfg.pin_dir, false);
}

static void link_gone(struct watch *w, __u32 ifindex, const char *name)
{
	struct xv_port p;
	int lock;

	if (!is_port(w, ifindex, &p) || !(p.flags & XV_PORT_VM))
		return;
	lock = xv_lock_take(w->cfg.pin_dir);
	if (lock < 0)
		return;
	if (!xv_port_forget(&w->st, ifindex))
		pr_info("watch: %s is gone: forgotten\n", name);
	xv_lock_release(lock, w->cfg.pin_dir, false);
}

static void on_event(int type, const struct xv_link *l, void *arg)
{
	struct watch *w = arg;

	if (type == RTM_NEWLINK)
		link_present(w, l);
	else
		link_gone(w, l->ifindex, l->name);
}

/* Everything at once: after start, a reload, or lost events. */
static int sync_all(struct watch *w)
{
	struct xv_port_ent *ports = NULL;
	struct xv_link *links = NULL, l;
	int nlinks = 0, nports = 0, err;

	err = xv_link_list(&links, &nlinks);
	if (err)
		return err;
	for (int i = 0; i < nlinks; i++)
		link_present(w, &links[i]);
	free(links);
	err = xv_state_ports(&w->st, &ports, &nports);
	for (int i = 0; !err && i < nports; i++)
		if (xv_link_by_index(ports[i].ifindex, &l) == -ENODEV)
			link_gone(w, ports[i].ifindex, ports[i].val.name);
	free(ports);
	return err;
}

static int load(struct watch *w)
{
	int err;

	if (xv_config_load(w->o->config, &w->cfg))
		return -XV_EUSAGE;
	err = xv_state_open_running(w->cfg.pin_dir, &w->st);
	if (err)
		xv_config_free(&w->cfg);
	return err;
}

static void unload(struct watch *w)
{
	xv_state_close(&w->st);
	xv_config_free(&w->cfg);
}

/* SIGHUP: xvnet reload, then the new config's view of the links. */
static int reload(struct watch *w)
{
	int err;

	pr_info("watch: SIGHUP: reloading %s\n", w->o->config);
	unload(w);
	err = xv_cmd_reload(w->o);
	if (err)
		pr_warn("watch: reload failed; the datapath keeps its last state\n");
	err = load(w);
	return err ? err : sync_all(w);
}

int xv_cmd_watch(struct xv_opts *o)
{
	struct watch w = { .o = o };
	struct xv_link_monitor *mon;
	struct signalfd_siginfo si;
	struct pollfd pfd[2];
	sigset_t mask;
	int err;

	err = load(&w);
	if (err)
		return err;
	mon = xv_link_monitor_open();
	if (!mon) {
		err = -errno;
		pr_warn("watch: cannot listen to link events: %s\n",
			strerror(errno));
		unload(&w);
		return err;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	pfd[0].fd = xv_link_monitor_fd(mon);
	pfd[0].events = POLLIN;
	pfd[1].fd = signalfd(-1, &mask, SFD_CLOEXEC);
	pfd[1].events = POLLIN;
	/* Listening first, then the links: nothing falls between the two. */
	err = sync_all(&w);
	pr_info("watch: watching %s (pid %d)\n", o->config, (int)getpid());
	while (!err) {
		if (poll(pfd, 2, -1) < 0) {
			err = errno == EINTR ? 0 : -errno;
			continue;
		}
		if (pfd[1].revents & POLLIN &&
		    read(pfd[1].fd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo != SIGHUP) {
				pr_info("watch: signal %u: leaving the datapath as it is\n",
					si.ssi_signo);
				break;
			}
			err = reload(&w);
			continue;
		}
		if (!(pfd[0].revents & POLLIN))
			continue;
		err = xv_link_monitor_read(mon, on_event, &w);
		if (err == -ENOBUFS) {
			pr_warn("watch: link events lost; looking at every link again\n");
			err = sync_all(&w);
		}
	}
	close(pfd[1].fd);
	xv_link_monitor_close(mon);
	unload(&w);
	return err;
}
