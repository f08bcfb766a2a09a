# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers sourced by every namespace test (tests/ns/*.sh).
#
# A test builds its whole world out of network namespaces named
# "xvt<ID>-<name>" and pins its BPF state under /sys/fs/bpf/xvt-<ID>, where
# <ID> is unique to the run (tests/run.sh passes XVT_ID so that it can look
# for leftovers afterwards). Interface names live inside those namespaces,
# so they are short fixed names (up0, vm1p, eth0) and never collide with the
# machine's own. Nothing here touches the machine's own interfaces, every
# wait is bounded, and every process is stopped by its PID.
#
# Results are printed as "PASS name", "FAIL name: why" or "SKIP name: why";
# everything else a test prints is indented diagnostics.

XVT_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
XVNET=${XVNET:-$XVT_TOP/build/xvnet}
TAPIO=${TAPIO:-$XVT_TOP/build/tests/tapio}
XVT_ID=${XVT_ID:-$(printf '%x%03x' $$ $((RANDOM % 4096)))}
XVT_NAME=${XVT_NAME:-$(basename "$0" .sh)}
PFX=xvt$XVT_ID			# namespace name prefix
PIN=/sys/fs/bpf/xvt-$XVT_ID	# this test's pin_dir
RUN_DIR=/run/xvnet/sys-fs-bpf-xvt-$XVT_ID	# its dnsmasq files (loader/dhcp.h)
TMP=""				# this test's temp dir (made by xvt_init)

_XVT_NS=()	# namespaces we created
_XVT_PIDS=()	# background processes we started
_XVT_UP=()	# "NS CONF" pairs we ran "xvnet up" with
XVT_BROKEN=""	# set when a setup step failed: later checks fail fast

# --- results -----------------------------------------------------------------

pass() { echo "PASS $*"; }
fail() { local what=$1; shift; echo "FAIL $what: $*"; }
skip() { local what=$1; shift; echo "SKIP $what: $*"; }

# Print a command's captured output as indented diagnostics.
_indent() { sed -e 's/^/    | /' "$@" | tail -n 40; }

# check WHAT CMD...: run CMD, print PASS or FAIL. CMD runs in this shell, so
# a helper may set CHECK_NOTE (appended to PASS) or CHECK_WHY (the failure
# reason; default: the last line CMD printed).
check() {
	local what=$1 out rc
	shift
	if [ -n "$XVT_BROKEN" ]; then
		fail "$what" "not run: $XVT_BROKEN"
		return 1
	fi
	CHECK_NOTE="" CHECK_WHY=""
	out=$TMP/check.out
	"$@" >"$out" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		pass "$what${CHECK_NOTE:+ ($CHECK_NOTE)}"
		return 0
	fi
	[ $rc -eq 124 ] && [ -z "$CHECK_WHY" ] && CHECK_WHY="timed out: $*"
	[ -n "$CHECK_WHY" ] || CHECK_WHY=$(grep -v '^[[:space:]]*$' "$out" | tail -n 1)
	[ -n "$CHECK_WHY" ] || CHECK_WHY="'$*' exited $rc"
	fail "$what" "$CHECK_WHY"
	_indent "$out"
	return 1
}

# setup WHAT CMD...: a step the following checks depend on. Silent when it
# works; when it fails, it prints FAIL and makes the later checks of this
# round fail fast instead of each timing out.
setup() {
	local what=$1 out rc
	shift
	[ -n "$XVT_BROKEN" ] && return 1
	out=$TMP/setup.out
	"$@" >"$out" 2>&1
	rc=$?
	[ $rc -eq 0 ] && return 0
	fail "$what" "'$*' exited $rc: $(grep -v '^[[:space:]]*$' "$out" | tail -n 1)"
	_indent "$out"
	XVT_BROKEN="$what failed"
	return 1
}

# --- waiting and processes ---------------------------------------------------

# wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds or time is up.
wait_for() {
	local deadline=$(( $(date +%s%N) + $1 * 1000000000 ))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s%N)" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

# spawn LOGNAME CMD...: start the program CMD (not a shell function: its PID
# must be the program's) in the background, output in $TMP/LOGNAME.log; the
# PID is in BG_PID and teardown stops it.
spawn() {
	local log=$TMP/$1.log
	shift
	"$@" >"$log" 2>&1 &
	BG_PID=$!
	_XVT_PIDS+=("$BG_PID")
}

# spawn_in NS LOGNAME CMD...: the same, inside NS.
spawn_in() {
	local ns=$1
	shift
	spawn "$1" ip netns exec "$ns" "${@:2}"
}

# stop PID: stop one background process we started and reap it.
stop() {
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null || return 0
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

# --- namespaces and links ----------------------------------------------------

# ns_new NAME...: create namespaces (full names, e.g. "$PFX-host"), lo up.
ns_new() {
	local ns
	for ns in "$@"; do
		ip netns add "$ns" || return 1
		_XVT_NS+=("$ns")
		ip -n "$ns" link set lo up || return 1
	done
}

run_in() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# veth NS1 IF1 NS2 IF2 [MAC2]: a veth pair between two namespaces, both up.
veth() {
	ip -n "$1" link add "$2" type veth peer name "$4" netns "$3" || return 1
	if [ -n "${5:-}" ]; then
		ip -n "$3" link set "$4" address "$5" || return 1
	fi
	ip -n "$1" link set "$2" up && ip -n "$3" link set "$4" up
}

# addr NS IF CIDR...: add addresses; IPv6 ones without duplicate detection so
# they are usable at once.
addr() {
	local ns=$1 dev=$2 a
	shift 2
	for a in "$@"; do
		case $a in
		*:*) ip -n "$ns" -6 addr add "$a" dev "$dev" nodad || return 1 ;;
		*) ip -n "$ns" addr add "$a" dev "$dev" || return 1 ;;
		esac
	done
}

# gro_on NS IF: make IF's receive side NAPI-ready, so that XDP may redirect
# into its peer. Only GRO: the transmit offloads stay at their defaults.
gro_on() { run_in "$1" ethtool -K "$2" gro on >/dev/null; }

# vm_new NS HOSTNS PORT MAC CIDR...: a VM namespace whose eth0 (MAC) is
# wired to PORT in HOSTNS, with its addresses and GRO on.
vm_new() {
	local ns=$1 host=$2 port=$3 mac=$4
	shift 4
	ns_new "$ns" &&
	veth "$host" "$port" "$ns" eth0 "$mac" &&
	addr "$ns" eth0 "$@" &&
	gro_on "$ns" eth0
}

# lan_new [LAN_CIDR...]: the bridged world most tests share: namespace $H
# with uplink up0 (198.18.0.2/24) wired to lan0 in namespace $LAN
# (198.18.0.1/24 plus any LAN_CIDR given), GRO on the LAN side. VMs are
# added with vm_new.
lan_new() {
	ns_new "$H" "$LAN" &&
	veth "$H" up0 "$LAN" lan0 &&
	addr "$H" up0 198.18.0.2/24 &&
	addr "$LAN" lan0 198.18.0.1/24 "$@" &&
	gro_on "$LAN" lan0
}

# bridge_conf FILE PORTS...: one bridged network "lan" on uplink up0 with
# the round's $ATTACH and this test's pin_dir.
bridge_conf() {
	local file=$1
	shift
	printf '[global]\nattach = %s\npin_dir = %s\n\n[network lan]\nmode = bridge\nuplink = up0\nports = %s\n' \
		"$ATTACH" "$PIN" "$*" >"$file"
}

# mac_of NS IF
mac_of() { ip -n "$1" -j link show dev "$2" | jq -r '.[0].address'; }

# --- the loader ----------------------------------------------------------------

# xv NS ARGS...: run the loader inside NS. Not "ip netns exec": that gives
# the command a fresh /sys and with it a bpffs without our pins. Bounded:
# a loader that hangs fails its check instead of the whole file timing out.
xv() {
	local ns=$1
	shift
	timeout --foreground -k 5 "${XV_TIMEOUT:-60}" "$XVNET" -n "$ns" "$@"
}

# xv_up NS CONF: "xvnet up", remembered for teardown even if it fails (a
# half-done up must be undone too).
xv_up() {
	_XVT_UP+=("$1 $2")
	xv "$1" up -c "$2"
}

# xv_down NS CONF
xv_down() { xv "$1" down -c "$2"; }

# up_check WHAT NS CONF: "xvnet up" as a check; when it fails the rest of
# the round fails fast.
up_check() {
	check "$1" xv_up "$2" "$3" || XVT_BROKEN="xvnet up failed"
}

# --- inspection ----------------------------------------------------------------

# ping_ok NS DEST [PING ARGS...]: every one of 3 echo requests answered.
ping_ok() {
	local ns=$1 dst=$2 out
	shift 2
	out=$(run_in "$ns" ping -c 3 -i 0.2 -W 2 "$@" "$dst" 2>&1)
	echo "$out"
	if ! echo "$out" | grep -q ' 3 received'; then
		CHECK_WHY="ping${*:+ $*} $dst from $ns: $(echo "$out" | grep 'packets transmitted' || echo "$out" | tail -n 1)"
		return 1
	fi
}

# ping_fails NS DEST [PING ARGS...]: no echo request answered.
ping_fails() {
	local ns=$1 dst=$2 out
	shift 2
	out=$(run_in "$ns" ping -c 3 -i 0.2 -W 1 "$@" "$dst" 2>&1)
	echo "$out"
	if echo "$out" | grep -q ' 0 received'; then
		return 0
	fi
	CHECK_WHY="ping $dst from $ns got replies: $(echo "$out" | grep 'packets transmitted')"
	return 1
}

# wait_listen NS PORT SECONDS: a TCP listener on PORT in NS.
wait_listen() {
	wait_for "$3" _listening "$1" "$2"
}
_listening() { [ -n "$(ip netns exec "$1" ss -Hltn "sport = :$2")" ]; }

# bpf_residue NS: print every XDP program and tc BPF filter found on the
# interfaces of NS; succeed if there is none.
bpf_residue() {
	local ns=$1 dev devs dir found=0
	devs=$(ip -n "$ns" -j link show | jq -r '.[].ifname')
	if [ -z "$devs" ]; then
		echo "cannot list the interfaces of $ns"
		return 1
	fi
	for dev in $devs; do
		if ip -n "$ns" -d link show dev "$dev" | grep -q 'prog/xdp'; then
			echo "$dev: XDP program attached"
			found=1
		fi
		for dir in ingress egress; do
			if tc -n "$ns" filter show dev "$dev" "$dir" 2>/dev/null | grep -qw bpf; then
				echo "$dev: tc $dir BPF filter: $(tc -n "$ns" filter show dev "$dev" "$dir" | grep -w bpf | head -n 1)"
				found=1
			fi
		done
	done
	return $found
}

# tc_state NS: every qdisc and tc filter in NS, to compare before and after.
tc_state() {
	local ns=$1 dev dir
	for dev in $(ip -n "$ns" -j link show | jq -r '.[].ifname'); do
		tc -n "$ns" qdisc show dev "$dev" | sed "s/^/$dev: /"
		for dir in ingress egress; do
			tc -n "$ns" filter show dev "$dev" "$dir" 2>/dev/null |
				sed "s/^/$dev $dir: /"
		done
	done
}

# promiscuity NS IF: the interface's promiscuity counter.
promiscuity() { ip -n "$1" -d -j link show dev "$2" | jq -r '.[0].promiscuity'; }

# dhcp_lease NS: a real DHCP client (busybox udhcpc) on NS's eth0 until it
# has a lease, which it configures (address, default route if the server
# gave a router). What it got is in $TMP/NS.lease: ip=, router=, dns=,
# server= lines.
dhcp_lease() {
	local script=$TMP/udhcpc.sh
	if [ ! -x "$script" ]; then
		cat >"$script" <<-'EOF'
		#!/bin/sh
		case "$1" in
		bound|renew)
			ip addr flush dev "$interface"
			ip addr add "$ip/${mask:-24}" dev "$interface"
			[ -z "$router" ] || ip route replace default via "${router%% *}" dev "$interface"
			printf 'ip=%s\nrouter=%s\ndns=%s\nserver=%s\n' "$ip" "$router" \
				"$dns" "$serverid" >"$XV_LEASE"
			;;
		deconfig)
			ip addr flush dev "$interface"
			;;
		esac
		exit 0
		EOF
		chmod +x "$script"
	fi
	rm -f "$TMP/$1.lease"
	run_in "$1" env XV_LEASE="$TMP/$1.lease" timeout 30 \
		busybox udhcpc -i eth0 -f -q -n -t 8 -T 1 -s "$script" &&
	[ -s "$TMP/$1.lease" ] && cat "$TMP/$1.lease"
}

# dnsmasq_pids: the dnsmasq daemons started for this test's pin dirs, from
# their command lines (whatever their pid files say).
dnsmasq_pids() {
	ps -eo pid=,args= | awk -v conf="--conf-file=$RUN_DIR" \
		'$2 == "dnsmasq" && (index($3, conf "/") == 1 || index($3, conf "-") == 1) { print $1 }'
}

# --- set-up and teardown ---------------------------------------------------------

# xvt_reset: undo everything this test made so far (loader state, processes,
# namespaces, pins), ready for the next round.
xvt_reset() {
	local i ns conf pid
	for ((i = ${#_XVT_UP[@]} - 1; i >= 0; i--)); do
		read -r ns conf <<<"${_XVT_UP[i]}"
		[ -x "$XVNET" ] && xv "$ns" down -c "$conf" >/dev/null 2>&1
	done
	_XVT_UP=()
	for pid in "${_XVT_PIDS[@]}"; do
		stop "$pid"
	done
	_XVT_PIDS=()
	for ns in "${_XVT_NS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	_XVT_NS=()
	# Pins the loader failed to remove would keep programs alive, and
	# daemons it failed to stop would serve on.
	rm -rf "$PIN" "$PIN"-* 2>/dev/null
	for pid in $(dnsmasq_pids); do
		kill "$pid" 2>/dev/null
	done
	rm -rf "$RUN_DIR" "$RUN_DIR"-* 2>/dev/null
	rmdir /run/xvnet 2>/dev/null
	XVT_BROKEN=""
	return 0
}

# for_each_attach FUNC: run FUNC once with ATTACH=xdp and once with
# ATTACH=tc (or only the kinds listed in $XVT_ATTACH), each round in a
# fresh world.
for_each_attach() {
	for ATTACH in ${XVT_ATTACH:-xdp tc}; do
		"$1"
		xvt_reset
	done
}

# teardown: the EXIT trap. XVT_KEEP=1 keeps the temp dir (logs, captures).
teardown() {
	xvt_reset
	[ -n "$TMP" ] || return 0
	if [ -n "${XVT_KEEP:-}" ]; then
		echo "    | kept $TMP"
	else
		rm -rf "$TMP"
	fi
}

# xvt_init: call once at the top of a test, after sourcing this file. Exits
# with a SKIP line if the test cannot run here.
xvt_init() {
	if [ "$(id -u)" != 0 ]; then
		skip "$XVT_NAME" "needs root"
		exit 0
	fi
	if [ ! -x "$XVNET" ]; then
		skip "$XVT_NAME" "$XVNET not built (run make)"
		exit 0
	fi
	TMP=$(mktemp -d "/tmp/xvt-$XVT_ID.XXXXXX") || exit 1
	trap teardown EXIT
	trap 'exit 143' TERM INT HUP
}

# need TOOL...: SKIP the whole test if a tool is missing.
need() {
	local t
	for t in "$@"; do
		if ! command -v "$t" >/dev/null 2>&1 && [ ! -x "$t" ]; then
			skip "$XVT_NAME" "$t not installed"
			exit 0
		fi
	done
}

# =============================================================================
# NAT helpers (tests/ns/nat_*.sh). Generic pieces for the nat-mode tests:
# the host/outside/VM world, the config, and small python3 clients and
# servers that report the peer address they saw.
# =============================================================================

# The NAT world's names and addresses. The outside has no route to the VM
# subnet: whatever reaches it from a VM must carry the uplink's address.
NAT_SUBNET=192.168.100.0/24
NAT_GW=192.168.100.1
NAT_VM1=192.168.100.10 NAT_VM2=192.168.100.11
NAT_VM1_MAC=02:78:76:00:64:10 NAT_VM2_MAC=02:78:76:00:64:11
NAT_OUT=203.0.113.1		# the outside host
NAT_UP=203.0.113.2		# the host's uplink address (no router)
NAT_R_UP=198.18.0.2		# the host's uplink address behind the router
NAT_R_IN=198.18.0.1 NAT_R_OUT=203.0.113.254	# the router's two sides
NAT_PORTS=40000-49999		# SNAT ports; the host's ephemeral ports end below
NAT_HOST_EPHEMERAL="32768 39999"

# nat_vm NS PORT MAC ADDR: a VM on port PORT of $H, default route via the
# gateway.
nat_vm() {
	vm_new "$1" "$H" "$2" "$3" "$4/24" &&
	ip -n "$1" route add default via "$NAT_GW"
}

# nat_world [router [MTU]]: namespaces $H (the host), $OUT (the outside) and
# VMs $VM1 (vm1p, .10) and $VM2 (vm2p, .11). Without "router": $H's uplink
# up0 (203.0.113.2/24) is wired to $OUT's out0 (203.0.113.1/24). With
# "router": $H up0 198.18.0.2/24 -- r0 198.18.0.1 in $R, r1 203.0.113.254
# -- out0 203.0.113.1 in $OUT (r1 and out0 with MTU, default 1500); $H's
# default route is the router, $OUT routes only 198.18.0.0/24 back to it.
# $H's ephemeral ports are moved below nat_ports.
nat_world() {
	local mtu=${2:-1500}
	nat_python
	if [ "${1:-}" != router ]; then
		outside_new || return 1
	else
		ns_new "$H" "$OUT" "$R" &&
		run_in "$H" sysctl -qw net.ipv4.ip_local_port_range="$NAT_HOST_EPHEMERAL" &&
		veth "$H" up0 "$R" r0 &&
		veth "$R" r1 "$OUT" out0 &&
		ip -n "$R" link set r1 mtu "$mtu" &&
		ip -n "$OUT" link set out0 mtu "$mtu" &&
		addr "$H" up0 "$NAT_R_UP/24" &&
		addr "$R" r0 "$NAT_R_IN/24" &&
		addr "$R" r1 "$NAT_R_OUT/24" &&
		addr "$OUT" out0 "$NAT_OUT/24" &&
		run_in "$R" sysctl -qw net.ipv4.ip_forward=1 &&
		ip -n "$H" route add default via "$NAT_R_IN" &&
		ip -n "$OUT" route add 198.18.0.0/24 via "$NAT_R_OUT" &&
		gro_on "$R" r0 || return 1
	fi
	nat_vm "$VM1" vm1p "$NAT_VM1_MAC" "$NAT_VM1" &&
	nat_vm "$VM2" vm2p "$NAT_VM2_MAC" "$NAT_VM2"
}

# outside_new: namespaces $H (the host) and $OUT (the outside): $H's uplink
# up0 (203.0.113.2/24) wired to $OUT's out0 (203.0.113.1/24), GRO on out0,
# $H's ephemeral ports below nat_ports.
outside_new() {
	ns_new "$H" "$OUT" &&
	run_in "$H" sysctl -qw net.ipv4.ip_local_port_range="$NAT_HOST_EPHEMERAL" &&
	veth "$H" up0 "$OUT" out0 &&
	addr "$H" up0 "$NAT_UP/24" &&
	addr "$OUT" out0 "$NAT_OUT/24" &&
	gro_on "$OUT" out0
}

# nat_conf FILE [LINE...]: network "nat0" on uplink up0, ports vm1p vm2p,
# the round's $ATTACH and this test's pin_dir; each LINE (e.g.
# "forward = tcp 8080 192.168.100.10:80") is added to the network.
nat_conf() {
	local file=$1 l
	shift
	{
		printf '[global]\nattach = %s\npin_dir = %s\n\n' "$ATTACH" "$PIN"
		printf '[network nat0]\nmode = nat\nsubnet = %s\ngateway = %s\n' \
			"$NAT_SUBNET" "$NAT_GW"
		printf 'uplink = up0\nports = vm1p vm2p\nnat_ports = %s\n' "$NAT_PORTS"
		for l in "$@"; do
			printf '%s\n' "$l"
		done
	} >"$file"
}

# no_route NS DEST: NS has no route to DEST.
no_route() {
	if ip -n "$1" route get "$2" >/dev/null 2>&1; then
		CHECK_WHY="$1 has a route to $2: $(ip -n "$1" route get "$2" | head -n 1)"
		return 1
	fi
}

# --- captures --------------------------------------------------------------

# cap_start NS IF NAME [FILTER...]: tcpdump on IF in NS into $TMP/NAME.pcap,
# PID in CAP_PID; returns once it listens.
cap_start() {
	local ns=$1 dev=$2 name=$3
	shift 3
	rm -f "$TMP/$name.pcap"
	spawn_in "$ns" "cap-$name" timeout 60 \
		tcpdump -Z root -i "$dev" -nn -U --immediate-mode -w "$TMP/$name.pcap" "$@"
	CAP_PID=$BG_PID
	wait_for 10 grep -q 'listening on' "$TMP/cap-$name.log"
}

# cap_stop PID: let the capture write what it has, then stop it.
cap_stop() {
	sleep 0.5
	stop "$1"
}

# cap_count NAME FILTER...: packets of $TMP/NAME.pcap that match FILTER.
cap_count() {
	local name=$1
	shift
	tcpdump -r "$TMP/$name.pcap" -nn "$@" 2>/dev/null | wc -l
}

# cap_show NAME [FILTER...]: the first packets of a capture, as diagnostics.
cap_show() {
	local name=$1
	shift
	tcpdump -r "$TMP/$name.pcap" -nn "$@" 2>/dev/null | head -n 20
}

# --- python3 clients and servers --------------------------------------------

# nat_py: write the helper program (once per test) and print its path.
# Subcommands (every one bounded by its own timeouts):
#   http NAME PORT [DIR] [--rate BYTES_PER_S]
#                          HTTP server on 0.0.0.0:PORT. GET /whoami answers
#                          "NAME CLIENT_IP CLIENT_PORT"; /slow/FILE sends
#                          FILE from DIR paced at --rate (default 2 MiB/s);
#                          other paths are files from DIR.
#   udp-echo NAME PORT [--probe PORT2] [--late S]
#                          answers each datagram with "NAME IP PORT LEN\n"
#                          plus the payload; --probe: also sends "probe"
#                          to the client from PORT2 (another endpoint);
#                          --late: sends "late" from PORT S seconds later.
#   udp-send HOST PORT [--size N] [--bind P] [--wait S] [--listen S]
#                          connected UDP socket: send N bytes, print the
#                          reply's first line, check the echoed payload.
#                          Exit 0 reply, 2 timeout, 3 ECONNREFUSED, 4 bad
#                          payload. --listen: then print every datagram
#                          for S more seconds ("from IP PORT: TEXT").
#   udp-recv PORT S        print every datagram arriving on PORT for S s.
#   udp-shot [--bind P] HOST PORT TEXT   send one datagram, do not wait.
#   tcp-try HOST PORT S    exit 0 if a TCP connect succeeds within S s.
nat_py() {
	local f=$TMP/nattool.py
	[ -s "$f" ] || cat >"$f" <<'PY'
import http.server, socket, socketserver, sys, threading, time

# "--name value" options anywhere on the command line; the rest positional.
OPT, POS = {}, []
_a = sys.argv[2:]
while _a:
    if _a[0].startswith("--"):
        OPT[_a[0][2:]] = _a[1]
        _a = _a[2:]
    else:
        POS.append(_a.pop(0))

def http_main(name, port, root="/nonexistent"):
    class H(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=root, **k)
        def do_GET(self):
            if self.path.startswith("/whoami"):
                body = ("%s %s %d\n" % (name, self.client_address[0],
                                        self.client_address[1])).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            if self.path.startswith("/slow/"):
                # The file at --rate bytes/s, paced by the sender so that
                # the transfer really is on the wire that long.
                rate = float(OPT.get("rate", 2097152))
                with open(root + "/" + self.path[6:], "rb") as f:
                    data = f.read()
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                start = time.time()
                for off in range(0, len(data), 65536):
                    self.wfile.write(data[off:off + 65536])
                    ahead = start + (off + 65536) / rate - time.time()
                    if ahead > 0:
                        time.sleep(ahead)
                return
            super().do_GET()
        def log_message(self, fmt, *a):
            sys.stderr.write("%s:%d %s\n" % (self.client_address[0],
                             self.client_address[1], fmt % a))
    class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
        allow_reuse_address = True
        daemon_threads = True
    S(("0.0.0.0", int(port)), H).serve_forever()

def udp_echo(name, port):
    probe, late = OPT.get("probe"), OPT.get("late")
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", int(port)))
    print("listening", flush=True)
    while True:
        data, peer = s.recvfrom(65535)
        print("from %s %d len %d" % (peer[0], peer[1], len(data)), flush=True)
        s.sendto(("%s %s %d %d\n" % (name, peer[0], peer[1], len(data))).encode()
                 + data, peer)
        if probe:
            p = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            p.bind(("0.0.0.0", int(probe)))
            p.sendto(b"probe\n", peer)
            p.close()
            print("sent probe from %s to %s %d" % (probe, peer[0], peer[1]), flush=True)
        if late:
            def later(peer=peer):
                time.sleep(float(late))
                s.sendto(b"late\n", peer)
                print("sent late to %s %d" % peer, flush=True)
            threading.Thread(target=later, daemon=True).start()

def recv_all(s, secs):
    end = time.time() + secs
    while True:
        left = end - time.time()
        if left <= 0:
            return
        s.settimeout(left)
        try:
            data, peer = s.recvfrom(65535)
        except socket.timeout:
            return
        except ConnectionRefusedError:
            print("ECONNREFUSED", flush=True)
            continue
        print("from %s %d: %s" % (peer[0], peer[1],
              data.split(b"\n")[0].decode(errors="replace")), flush=True)

def udp_send(host, port):
    size = int(OPT.get("size", 16))
    wait = float(OPT.get("wait", 3))
    listen = float(OPT.get("listen", 0))
    payload = bytes((i * 7 + 3) % 251 for i in range(size))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", int(OPT.get("bind", 0))))
    s.settimeout(wait)
    if listen:
        # Unconnected: datagrams from any endpoint reach the socket, so
        # whatever the NAT lets through is seen here.
        s.sendto(payload, (host, int(port)))
    else:
        # Connected: an ICMP error about the datagram surfaces as errno.
        s.connect((host, int(port)))
        s.send(payload)
    try:
        while True:
            data, peer = s.recvfrom(65535)
            if peer == (host, int(port)):
                break
            print("from %s %d before the reply: %s" % (peer[0], peer[1],
                  data.split(b"\n")[0].decode(errors="replace")), flush=True)
    except ConnectionRefusedError:
        print("ECONNREFUSED")
        return 3
    except socket.timeout:
        print("no reply within %g s" % wait)
        return 2
    head, _, body = data.partition(b"\n")
    print(head.decode(errors="replace"), flush=True)
    if body != payload:
        print("payload differs: sent %d bytes, got %d back" % (len(payload), len(body)))
        return 4
    if listen:
        recv_all(s, listen)
    return 0

def udp_recv(port, secs):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", int(port)))
    print("listening", flush=True)
    recv_all(s, float(secs))

def udp_shot(host, port, text):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", int(OPT.get("bind", 0))))
    s.sendto(text.encode() + b"\n", (host, int(port)))

def tcp_try(host, port, secs):
    try:
        socket.create_connection((host, int(port)), timeout=float(secs)).close()
    except OSError as e:
        print("connect %s:%s: %s" % (host, port, e))
        return 1
    print("connected to %s:%s" % (host, port))
    return 0

fn = {"http": http_main, "udp-echo": udp_echo, "udp-send": udp_send,
      "udp-recv": udp_recv, "udp-shot": udp_shot, "tcp-try": tcp_try}[sys.argv[1]]
sys.exit(fn(*POS) or 0)
PY
	echo "$f"
}

# nat_python: NAT_PYTHON, the python3 interpreter itself (a version
# manager's "python3" may be a slow wrapper script).
nat_python() {
	[ -n "${NAT_PYTHON:-}" ] ||
		NAT_PYTHON=$(python3 -c 'import sys; print(sys.executable)') ||
		NAT_PYTHON=python3
}

# py_in NS LOGNAME ARGS...: the helper program as a background process in NS
# (bounded by a 60 s timeout); PID in BG_PID.
py_in() {
	local ns=$1 log=$2
	shift 2
	nat_python
	spawn_in "$ns" "$log" timeout 60 "$NAT_PYTHON" "$(nat_py)" "$@"
}

# py_run NS SECONDS ARGS...: the helper program in the foreground.
py_run() {
	local ns=$1 secs=$2
	shift 2
	nat_python
	run_in "$ns" timeout --foreground -k 2 "$secs" "$NAT_PYTHON" "$(nat_py)" "$@"
}

# wait_udp NS PORT SECONDS: a UDP socket bound to PORT in NS.
wait_udp() { wait_for "$3" _udp_bound "$1" "$2"; }
_udp_bound() { [ -n "$(ip netns exec "$1" ss -Hlun "sport = :$2")" ]; }

# whoami NS URL [CURL ARGS...]: GET URL from NS; prints the body
# ("NAME CLIENT_IP CLIENT_PORT" from an "http" server) and sets WHO_NAME,
# WHO_IP, WHO_PORT.
whoami() {
	local ns=$1 url=$2 body rc
	shift 2
	body=$(run_in "$ns" curl -sS --max-time 5 "$@" "$url" 2>&1)
	rc=$?
	echo "$body"
	WHO_NAME="" WHO_IP="" WHO_PORT=""
	if [ $rc -ne 0 ]; then
		CHECK_WHY="curl $* $url from $ns exited $rc: $(tail -n 1 <<<"$body")"
		return 1
	fi
	read -r WHO_NAME WHO_IP WHO_PORT <<<"$body"
}

# nat_sessions CONF: "xvnet nat --json" of the round's network into
# $TMP/nat.json; fails if it fails or is not JSON.
nat_sessions() {
	xv "$H" nat nat0 -c "$1" --json >"$TMP/nat.json" || {
		CHECK_WHY="xvnet nat nat0 --json exited $?: $(tail -n 1 "$TMP/nat.json")"
		return 1
	}
	jq . "$TMP/nat.json" >/dev/null 2>&1 || {
		CHECK_WHY="xvnet nat --json printed no JSON: $(head -c 200 "$TMP/nat.json")"
		return 1
	}
}

# nat_has CONF PROTO INSIDE_ADDR INSIDE_PORT REMOTE_ADDR OUTSIDE_PORT:
# "xvnet nat --json" lists a session with these fields and the outside
# address $NAT_OUTSIDE_ADDR (default: the uplink's); an empty INSIDE_PORT
# or OUTSIDE_PORT matches any. Field names are not relied on: a session is
# an object whose own values (or those of objects directly inside it, such
# as "inside": {"addr": ..., "port": ...}) hold the protocol (under a key
# named proto*, by name or number), the addresses (alone or as
# "addr:port") and the ports.
nat_has() {
	local conf=$1 proto=$2 in=$3 inport=$4 rem=$5 outport=$6
	local outside=${NAT_OUTSIDE_ADDR:-$NAT_UP}
	nat_sessions "$conf" || return 1
	jq -c . "$TMP/nat.json" | head -c 3000
	echo
	if ! jq -e --arg p "$proto" --arg in "$in" --arg ip "$inport" \
		--arg rem "$rem" --arg op "$outport" --arg out "$outside" '
		# An object and the objects directly inside it.
		def own: ., (.[]? | objects);
		def vals: [own | .[]? | scalars | tostring];
		# The values under keys that name one side ("outside_port",
		# "inside": {...}); all values if no key does.
		def side($re): [to_entries[] | select(.key | test($re; "i")) | .value
			| if type == "object" then .[] else . end | scalars | tostring];
		def pnum: {"icmp": "1", "tcp": "6", "udp": "17"}[$p];
		def proto_ok: any(own | to_entries[] | select(.key | test("proto"; "i"))
			| .value | tostring | ascii_downcase; . == $p or . == pnum);
		def has_addr($a): any(.[]; . == $a or startswith($a + ":"));
		def has_addr_port($a; $port):
			any(.[]; . == ($a + ":" + $port)) or
			(has_addr($a) and any(.[]; . == $port));
		def has_port($port): $port == "" or
			any(.[]; . == $port or endswith(":" + $port));
		def pick($re): side($re) as $s | if ($s | length) > 0 then $s else vals end;
		[.. | objects | select(proto_ok)
		 | select(pick("^in|inside|internal|private")
			| if $ip == "" then has_addr($in) else has_addr_port($in; $ip) end)
		 | select(vals | has_addr($rem))
		 | select(pick("^out|outside|external|public") | has_port($op))
		 | select(vals | has_addr($out))] | length > 0' "$TMP/nat.json" >/dev/null; then
		CHECK_WHY="no $proto session $in${inport:+:$inport} -> $rem${outport:+ (outside $outside:$outport)} in xvnet nat --json"
		return 1
	fi
}

# iperf_run SERVER_NS SERVER_IP CLIENT_NS SECONDS [IPERF3 ARGS]: iperf3
# against a one-shot server; passes if the client exits 0 and data
# arrived; CHECK_NOTE gets the rate.
iperf_run() {
	local srv=$1 ip=$2 cli=$3 secs=$4 json=$TMP/iperf.json pid rc bytes bps
	shift 4
	spawn_in "$srv" iperfd timeout 40 iperf3 -s -1 -p 5201
	pid=$BG_PID
	if ! wait_listen "$srv" 5201 10; then
		CHECK_WHY="iperf3 server in $srv not listening after 10 s"
		cat "$TMP/iperfd.log"
		stop "$pid"
		return 1
	fi
	run_in "$cli" timeout --foreground 30 \
		iperf3 -c "$ip" -p 5201 -t "$secs" -J --connect-timeout 3000 "$@" >"$json"
	rc=$?
	stop "$pid"
	bytes=$(jq -r '.end.sum_received.bytes // 0' "$json" 2>/dev/null)
	bps=$(jq -r '.end.sum_received.bits_per_second // 0' "$json" 2>/dev/null)
	if [ $rc -ne 0 ] || [ "${bytes:-0}" = 0 ]; then
		CHECK_WHY="iperf3 -c $ip $* from $cli exited $rc, received ${bytes:-0} bytes$(jq -r '.error // empty | " (" + . + ")"' "$json" 2>/dev/null)"
		jq -c '.intervals[]?.sum | {start, bytes, retransmits}' "$json" 2>/dev/null
		return 1
	fi
	CHECK_NOTE=$(awk -v b="$bps" -v n="$bytes" \
		'BEGIN { printf "%.2f Gbit/s, %.0f MB", b / 1e9, n / 1e6 }')
}
# ============================== end of NAT helpers ===========================
