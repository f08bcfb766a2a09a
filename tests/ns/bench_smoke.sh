#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The benchmark, smoke-tested (make bench itself is not part of make test):
# one short round of bench/l2.sh with three of its paths (attach=xdp, the
# bare XDP redirect, the Linux bridge), the per-packet cost tool with a
# small repeat count, and bench/report.py. Every part must run, measure
# something and write its files; no number is judged. Results go to this
# test's temp dir, namespaces and pins carry this test's prefix.
#
#   [gen = LAN] g0 ==veth== gp [host] sp ==veth== s0 [sink = the VM]

. "$(dirname "$0")/../lib/ns.sh"
xvt_init
need jq tc ethtool bpftool iperf3 sockperf python3 bc
for t in xdpgen cost sink.bpf.o bare.bpf.o; do
	if [ ! -e "$XVT_TOP/build/bench/$t" ]; then
		skip "$XVT_NAME" "build/bench/$t not built (run make)"
		exit 0
	fi
done

OUTD=$TMP/bench
mkdir -p "$OUTD"
export BENCH_OUT=$OUTD BENCH_PREFIX=$PFX-b BENCH_PIN=$PIN-bench \
	BENCH_ROUNDS=1 BENCH_SECS=1 L2_KINDS="xdp bare-xdp linux"

l2_runs() {
	timeout 50 "$XVT_TOP/bench/l2.sh" >"$TMP/l2.log" 2>&1 || { _indent "$TMP/l2.log"; return 1; }
}

# measured SECTION CASE KIND METRIC: a positive number was recorded.
measured() {
	awk -F'\t' -v s="$1" -v c="$2" -v k="$3" -v m="$4" \
		'$1 == s && $2 == c && $3 == k && $4 == m && $5 > 0 {found = 1}
		 END {exit !found}' "$OUTD/raw.tsv" || { echo "no $*"; return 1; }
}

pps_measured() {
	local k
	for k in xdp bare-xdp linux; do
		measured l2 pps-1flow "$k" pps || return 1
	done
}

tcp_latency_measured() {
	local k
	for k in xdp linux; do
		measured l2 tcp-1 "$k" gbps && measured l2 tcp-4 "$k" gbps &&
			measured l2 latency "$k" p99-us || return 1
	done
}

cost_runs() {
	(cd "$XVT_TOP" && timeout 30 build/bench/cost 20000) >"$TMP/cost.out" 2>"$TMP/cost.err" ||
		{ _indent "$TMP/cost.err"; return 1; }
	awk '{printf "cost\t%s\t%s\tns\t%s\n", $1, $2, $3}' "$TMP/cost.out" >>"$OUTD/raw.tsv"
	# six cases, each through xdp, tc and the two bare programs
	[ "$(awk '$3 > 0' "$TMP/cost.out" | wc -l)" = 24 ] || { cat "$TMP/cost.out"; return 1; }
}

report_written() {
	(cd "$XVT_TOP" && bench/report.py "$OUTD") >"$TMP/report.log" 2>&1 || { _indent "$TMP/report.log"; return 1; }
	jq -e '.results | length > 0' "$OUTD/results.json" >/dev/null &&
		grep -q "L2 forwarding" "$OUTD/results.md" &&
		grep -q "Per-packet cost" "$OUTD/results.md" &&
		[ -s "$OUTD/pps.png" ]
}

nothing_left() {
	local left
	left=$(ip netns list | awk '{print $1}' | grep "^$PFX-b")
	[ -z "$left" ] || { echo "namespaces left: $left"; return 1; }
	[ ! -e "$PIN-bench" ] && [ ! -e "$PIN-bench-bare" ] || { echo "pins left"; return 1; }
}

check bench-l2-runs l2_runs
check bench-pps-measured pps_measured
check bench-tcp-latency-measured tcp_latency_measured
check bench-cost-runs cost_runs
check bench-report-written report_written
check bench-nothing-left nothing_left
