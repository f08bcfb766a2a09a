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
	# Pins the loader failed to remove would keep programs alive.
	rm -rf "$PIN" "$PIN"-* 2>/dev/null
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
