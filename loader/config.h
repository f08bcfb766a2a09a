/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The config file (/etc/xvnet.conf): parsed with inih, validated as a whole,
 * and refused with FILE:LINE: messages. DESIGN.md "Config file" is the
 * contract; this header is what the rest of the loader sees of it.
 */
#ifndef XV_CONFIG_H
#define XV_CONFIG_H

#include <linux/types.h>
#include <stdbool.h>
#include "xvnet.h"

#define XV_CONFIG_DEFAULT_PATH	"/etc/xvnet.conf"

enum xv_attach { XV_ATTACH_INHERIT = 0, XV_ATTACH_AUTO, XV_ATTACH_XDP, XV_ATTACH_TC };
enum xv_nat_filter {
	XV_FILTER_APD = 0,	/* address-port-dependent */
	XV_FILTER_EIM,		/* endpoint-independent */
};

/*
 * Every key of the contract. key_line[] below records the line a key was
 * first set on (0 = not set), so that checks done after parsing (mode
 * restrictions, host checks) can point at it.
 */
enum xv_key {
	/* [global] (attach also in [network]) */
	XV_KEY_ATTACH,
	XV_KEY_PIN_DIR,
	XV_KEY_AGEING,
	XV_KEY_UDP_TIMEOUT,
	XV_KEY_TCP_ESTABLISHED_TIMEOUT,
	XV_KEY_TCP_TRANSITORY_TIMEOUT,
	XV_KEY_ICMP_TIMEOUT,
	XV_KEY_NAT_SESSIONS,
	/* [network NAME] */
	XV_KEY_MODE,
	XV_KEY_PORTS,
	XV_KEY_UPLINK,
	XV_KEY_SUBNET,
	XV_KEY_GATEWAY,
	XV_KEY_HOST_IF,
	XV_KEY_NAT_PORTS,
	XV_KEY_NAT_FILTER,
	XV_KEY_FORWARD,
	XV_KEY_DHCP,
	XV_KEY_HOST,
	XV_KEY_DNS,
	XV_KEY_SPOOFCHECK,
	XV_KEY_LOCK,
	XV_KEY_MAX_MACS,
	XV_KEY_MAX_SESSIONS,
	XV_KEY_FLOOD_PPS,
	XV_KEY_MAX
};

/* Ports (port, to_port) are in host byte order, addresses in network order. */
struct xv_forward {
	__u8 proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	__u16 port;		/* outside port on the uplink address */
	__u32 addr;		/* VM address, network order */
	__u16 to_port;		/* VM port */
	int line;
};

struct xv_static_host {
	__u8 mac[6];
	__u32 addr;		/* network order */
	char name[64];		/* "" if none */
	int line;
};

struct xv_lock {
	char port[XV_NAME_LEN];
	__u8 mac[6];
	__u32 addr;		/* network order, 0 = none */
	int line;
};

struct xv_netcfg {
	char name[XV_NAME_LEN];
	int line;		/* line of the [network NAME] header */
	enum xv_mode mode;
	int mode_line;
	enum xv_attach attach;	/* INHERIT unless set in the section */
	char uplink[XV_NAME_LEN];
	int uplink_line;
	char **ports;		/* names or shell globs, in order */
	int nports;
	int ports_line;
	__u32 subnet;		/* network order */
	__u8 prefix;
	__u32 gateway;		/* network order; default: first host */
	char host_if[XV_NAME_LEN]; /* default "xv-" + name (nat, hostonly) */
	char adapter[XV_NAME_LEN]; /* the host adapter's peer, a member
				    * port: "xvp" + name (nat, hostonly) */
	__u16 nat_port_lo, nat_port_hi; /* default 20000-29999 */
	int nat_ports_line;
	enum xv_nat_filter nat_filter;
	struct xv_forward *forwards;
	int nforwards;
	__u32 dhcp_lo, dhcp_hi;	/* network order; 0 = no dhcp */
	struct xv_static_host *hosts;
	int nhosts;
	bool dns;		/* default on */
	bool spoofcheck;	/* default on for nat/hostonly, off for bridge */
	struct xv_lock *locks;
	int nlocks;
	__u32 max_macs, max_sessions, flood_pps; /* defaults 64, 4096, 10000 */
	int key_line[XV_KEY_MAX]; /* first line of each key, 0 = not set */
};

struct xv_config {
	char path[4096];
	enum xv_attach attach;	/* [global] attach, default AUTO */
	char pin_dir[4096];	/* default /sys/fs/bpf/xvnet */
	/* seconds: 300, 300, 7440, 240, 60 */
	__u32 ageing, udp_timeout, tcp_established_timeout,
	      tcp_transitory_timeout, icmp_timeout;
	__u32 nat_sessions;	/* entries of xv_nat_flow, default XV_NAT_SIZE */
	struct xv_netcfg *nets;
	int nnets;
	int key_line[XV_KEY_MAX]; /* [global] keys, 0 = not set */
};

/*
 * Parse and validate PATH. Prints every error as "PATH:LINE: message" on
 * stderr, sorted by line. Returns 0, -errno if the file cannot be read
 * (message "PATH: cannot open: strerror"), or -EINVAL on any config error.
 * On error cfg is freed and zeroed.
 */
int xv_config_load(const char *path, struct xv_config *cfg);
void xv_config_free(struct xv_config *cfg);

/* Network that lists port NAME (exact name match, not glob), or NULL. */
const struct xv_netcfg *xv_config_net_by_name(const struct xv_config *cfg,
					      const char *name);
/*
 * Network whose ports match interface IFNAME: an exact listing wins, else
 * the first shell glob that matches, in config order. NULL if none.
 */
const struct xv_netcfg *xv_config_net_match_port(const struct xv_config *cfg,
						 const char *ifname);
/* Network called NAME (the NAME of [network NAME]), or NULL. */
const struct xv_netcfg *xv_config_find_net(const struct xv_config *cfg,
					   const char *name);

/* Effective attach of a network: its own, else the global one. */
enum xv_attach xv_config_attach(const struct xv_config *cfg,
				const struct xv_netcfg *net);

/*
 * Checks against the running host, separate from xv_config_load so that
 * "check" of a config meant for another machine stays possible. Today: the
 * nat_ports of nat networks must not overlap net.ipv4.ip_local_port_range.
 * Returns 0, -EINVAL (errors printed as FILE:LINE:) or -errno.
 */
int xv_config_check_host(const struct xv_config *cfg);
/* Same check against a given ephemeral range LO-HI (for tests). */
int xv_config_check_host_range(const struct xv_config *cfg,
			       unsigned int lo, unsigned int hi);

const char *xv_mode_name(enum xv_mode m);	/* "bridge", "nat", "hostonly" */
const char *xv_attach_name(enum xv_attach a);	/* "auto", "xdp", "tc" */
const char *xv_nat_filter_name(enum xv_nat_filter f);
const char *xv_key_name(enum xv_key k);

#endif /* XV_CONFIG_H */
