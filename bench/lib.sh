# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# What every benchmark script shares: the prologue (strict mode, paths,
# rounds and seconds, a private prefix, cleanup on exit), namespaces and
# veth pairs, the generator and the sink count, bare redirect programs,
# iperf3 and sockperf rounds, and the raw record every measurement ends in.
#
# A script sources this file, builds its topology with ns_new and veth2,
# and for each round and each kind calls its own setup/teardown and the
# measuring functions here, which print one number (or two); it records
# them with `record SECTION CASE KIND METRIC VALUE`. bench/report.py turns
# build/bench/raw.tsv into the tables, results.json and the chart.
#
# Environment: BENCH_ROUNDS (default 5), BENCH_SECS (seconds a measurement
# lasts, default 1), BENCH_GEN (xdpgen | trafgen, default xdpgen),
# BENCH_OUT (default build/bench), BENCH_PREFIX (of namespace names,
# default xvb<PID>), BENCH_PIN (pin directory, default /sys/fs/bpf/PREFIX).

set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

ROUNDS=${BENCH_ROUNDS:-5}
SECS=${BENCH_SECS:-1}
GENERATOR=${BENCH_GEN:-xdpgen}
XV=$PWD/build/xvnet
XDPGEN=$PWD/build/bench/xdpgen
OUT=${BENCH_OUT:-$PWD/build/bench}
RAW=$OUT/raw.tsv
P=${BENCH_PREFIX:-xvb$$}	# prefix of namespace names: unique to this run
PIN=${BENCH_PIN:-/sys/fs/bpf/$P}
BARE=$PIN-bare
mkdir -p "$OUT"
TMP=$(mktemp -d)
_NS=() _PIDS=() _XV_CONFS=()

bench_cleanup() {
	local pid ns conf
	for pid in "${_PIDS[@]}"; do kill -TERM -- -"$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true; done
	for conf in "${_XV_CONFS[@]}"; do
		"$XV" -q -n "${conf%% *}" -c "${conf#* }" down >/dev/null 2>&1 || true
	done
	rm -rf "$BARE" "$PIN"
	for ns in "${_NS[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
	rm -rf "$TMP"
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "$*" >&2; }

# record SECTION CASE KIND METRIC VALUE: one measurement of one round. An
# empty VALUE (the tool failed) is logged and left out, not taken as 0.
record() {
	if [ -z "${5:-}" ]; then
		log "  $1 $2 $3 $4: no measurement"
		return 0
	fi
	printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RAW"
	log "  $1 $2 $3 $4 = $5"
}

# ns_new NAME...: namespaces removed on exit, loopback up.
ns_new() {
	local ns
	for ns in "$@"; do
		ip netns add "$ns"
		_NS+=("$ns")
		ip -n "$ns" link set lo up
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	done
}

in_ns() { local ns=$1; shift; nsenter --net=/run/netns/"$ns" "$@"; }

# veth2 NS1 IF1 NS2 IF2: a veth pair with two queues each way (one per
# CPU, as a multi-queue NIC), both ends up, GRO on at both (a veth that
# receives XDP redirects or xdp frames needs its NAPI, see DESIGN.md).
veth2() {
	ip -n "$1" link add "$2" numtxqueues 2 numrxqueues 2 type veth \
		peer name "$4" netns "$3" numtxqueues 2 numrxqueues 2
	ip -n "$1" link set "$2" up
	ip -n "$3" link set "$4" up
	ip netns exec "$1" ethtool -K "$2" gro on >/dev/null
	ip netns exec "$3" ethtool -K "$4" gro on >/dev/null
}

mac_of() { ip -n "$1" -j link show "$2" | jq -r '.[0].address'; }
ifindex_of() { ip -n "$1" -j link show "$2" | jq '.[0].ifindex'; }

# xv_up NS CONF / xv_down NS CONF: xvnet in the host namespace.
xv_up() {
	_XV_CONFS+=("$1 $2")
	"$XV" -q -n "$1" -c "$2" up
}
xv_down() { "$XV" -q -n "$1" -c "$2" down; }

# The attach kind xvnet used on a port: xdp-native, xdp-generic or tc.
xv_attach_of() {
	"$XV" -n "$1" -c "$2" status --json 2>/dev/null |
		jq -r --arg p "$3" '[.. | objects | select(.name? == $p) | .attach?] | map(select(. != null)) | .[0] // "?"'
}

# --- the sink: frames are counted by the rx counter of SINK_IF in SINK and
# dropped by a tc ingress program (GRO on), so the receiving end costs one
# skb per frame and nothing more.
sink_on() {
	tc -n "$SINK" qdisc add dev "$SINK_IF" clsact
	tc -n "$SINK" filter add dev "$SINK_IF" ingress bpf da obj build/bench/sink.bpf.o sec tc
}
sink_off() { tc -n "$SINK" qdisc del dev "$SINK_IF" clsact; }
rx_packets() { ip -n "$SINK" -s -j link show "$SINK_IF" | jq '.[0].stats64.rx.packets'; }

# --- the generator: 60-byte UDP frames with complete checksums, written
# into GEN_IF of GEN (a veth whose peer is the path's ingress port).
# GEN_DMAC, GEN_SMAC, GEN_SADDR, GEN_DADDR describe the frame.
#
# xdpgen (default, bench/xdpgen.c): BPF_PROG_TEST_RUN in live-frames mode,
# one thread per CPU, each filling its own queue of the peer's NAPI ring as
# a NIC's receive queue fills: the only arrangement found that shows XDP's
# rate on veths (README, Benchmark). trafgen: netsniff-ng's packet-socket
# generator, -P 2, restarted whenever it exits on EAGAIN.

# gen_run SECS FLOWS: generate for SECS seconds (blocking).
gen_run() {
	local secs=$1 flows=$2
	case $GENERATOR in
	xdpgen)
		ip netns exec "$GEN" timeout $((${secs%.*} + 10)) "$XDPGEN" -i "$GEN_IF" \
			-d "$GEN_DMAC" -s "$GEN_SMAC" -S "$GEN_SADDR" -D "$GEN_DADDR" \
			-p 10000 -f "$flows" -t "$secs" -T "$(nproc)" >/dev/null ;;
	trafgen)
		trafgen_run "$secs" "$flows" ;;
	*) log "unknown BENCH_GEN $GENERATOR"; exit 1 ;;
	esac
}

trafgen_run() {
	local secs=$1 flows=$2 sp pid
	sp=10000
	[ "$flows" -gt 1 ] && sp="dinc(10000, $((10000 + flows - 1)), 1)"
	cat >"$TMP/frame.cfg" <<-EOC
	{ eth(da=$GEN_DMAC, sa=$GEN_SMAC), ipv4(saddr=$GEN_SADDR, daddr=$GEN_DADDR, ttl=64), udp(sp=$sp, dp=9), fill(0x00, 18) }
	EOC
	rm -f "$TMP/stop"
	# trafgen exits on the EAGAIN its full send buffer gives: restart it,
	# in a process group of its own so that it is stopped whole.
	setsid bash -c "while [ ! -e $TMP/stop ]; do ip netns exec $GEN trafgen --no-sock-mem --notouch-irq -C -P 2 -i $TMP/frame.cfg -o $GEN_IF >>$TMP/trafgen.log 2>&1; echo r >>$TMP/restarts; done" &
	pid=$!
	sleep "$secs"
	touch "$TMP/stop"
	kill -INT -- -"$pid" 2>/dev/null || true
	sleep 0.2
	kill -KILL -- -"$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# pps FLOWS: warm up (sessions, learning), then frames/s at the sink.
pps() {
	local before after
	sink_on
	gen_run "$([ "$1" -gt 1 ] && echo 0.5 || echo 0.2)" "$1"
	before=$(rx_packets)
	gen_run "$SECS" "$1"
	after=$(rx_packets)
	sink_off
	awk -v n=$((after - before)) -v s="$SECS" 'BEGIN {printf "%d\n", n / s}'
}

# --- bare redirect programs (bench/bare.bpf.c), the ceilings: everything
# arriving on IN goes out of OUT, no logic at all. Loaded with bpftool
# inside NS so that the devmap resolves OUT's ifindex there.
bare_up() {	# NS IN OUT xdp|tc
	local ns=$1 in=$2 idx v
	idx=$(ifindex_of "$ns" "$3")
	v=$(printf '%d %d %d %d' $((idx & 255)) $((idx >> 8 & 255)) 0 0)
	in_ns "$ns" bpftool prog loadall build/bench/bare.bpf.o "$BARE" pinmaps "$BARE/maps"
	in_ns "$ns" bpftool map update pinned "$BARE/maps/bare_tx" key 0 0 0 0 value $v	# four bytes: split on purpose
	in_ns "$ns" bpftool map update pinned "$BARE/maps/bare_target" key 0 0 0 0 value $v	# four bytes: split on purpose
	if [ "$4" = xdp ]; then
		in_ns "$ns" bpftool net attach xdpdrv pinned "$BARE/bare_xdp" dev "$in"
	else
		tc -n "$ns" qdisc add dev "$in" clsact
		in_ns "$ns" tc filter add dev "$in" ingress bpf da pinned "$BARE/bare_tc"
	fi
}

bare_down() {	# NS IN xdp|tc
	if [ "$3" = xdp ]; then
		in_ns "$1" bpftool net detach xdpdrv dev "$2"
	else
		tc -n "$1" qdisc del dev "$2" clsact
	fi
	rm -rf "$BARE"
}

# --- TCP and latency, client in CNS, server at SIP in SNS.

# tcp CNS SNS SIP STREAMS: iperf3 Gbit/s (received), offloads at defaults.
tcp() {
	local pid out
	ip netns exec "$2" timeout $((${SECS%.*} + 15)) iperf3 -s -1 -B "$3" >/dev/null 2>&1 &
	pid=$!
	sleep 0.3
	out=$(ip netns exec "$1" timeout $((${SECS%.*} + 12)) iperf3 -c "$3" -t "$SECS" -P "$4" -J 2>/dev/null |
		jq '.end.sum_received.bits_per_second / 1e9 * 100 | round / 100' 2>/dev/null) || true
	wait "$pid" 2>/dev/null || true
	[ "${out:-0}" != 0 ] && echo "$out"	# nothing when iperf3 failed
	return 0
}

# latency CNS SNS SIP: UDP request/response (sockperf ping-pong, 64-byte
# messages); prints p50 and p99 in microseconds (nothing if it failed). sockperf reports half the
# round trip; the numbers here are whole round trips.
latency() {
	local pid out
	ip netns exec "$2" timeout $((${SECS%.*} + 10)) sockperf sr -i "$3" -p 11111 >/dev/null 2>&1 &
	pid=$!
	sleep 0.3
	out=$(ip netns exec "$1" timeout $((${SECS%.*} + 8)) sockperf pp -i "$3" -p 11111 -m 64 -t "$SECS" 2>&1 | sed 's/\x1b\[[0-9;]*m//g')
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	echo "$out" | awk '/percentile 50.000/ {p50 = $NF * 2} /percentile 99.000/ {p99 = $NF * 2}
		END {if (p99 > 0) printf "%.1f %.1f\n", p50, p99; else print ""}'
}

# tcp_latency SECTION KIND CNS SNS SIP: TCP with 1 and 4 streams, then
# latency, from CNS to SIP in SNS, each recorded for KIND.
tcp_latency() {
	local p50="" p99=""
	record "$1" tcp-1 "$2" gbps "$(tcp "$3" "$4" "$5" 1)"
	record "$1" tcp-4 "$2" gbps "$(tcp "$3" "$4" "$5" 4)"
	read -r p50 p99 < <(latency "$3" "$4" "$5") || true
	record "$1" latency "$2" p50-us "$p50"
	record "$1" latency "$2" p99-us "$p99"
}

# wait_path CNS IP: until ping from CNS reaches IP (learning, ARP), bounded.
wait_path() {
	local _
	for _ in $(seq 1 50); do
		ip netns exec "$1" ping -c1 -W1 "$2" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	log "no path from $1 to $2"
	return 1
}
