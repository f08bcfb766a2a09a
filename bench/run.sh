#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The whole benchmark (make bench): per-packet cost under BPF_PROG_TEST_RUN,
# L2 forwarding, NAT (and its scale with live sessions), memory and up/down
# time; then bench/report.py writes build/bench/results.{md,json} and
# pps.png and prints the tables. Each part builds its own namespaces, and
# each has a time limit, so that the run always ends.
#
# Environment: BENCH_ROUNDS, BENCH_SECS, BENCH_GEN, BENCH_OUT (bench/lib.sh), and
# BENCH_PARTS (default "cost l2 nat scale").
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${BENCH_OUT:-build/bench}
export BENCH_OUT=$OUT
ROUNDS=${BENCH_ROUNDS:-5}
mkdir -p "$OUT"
rm -f "$OUT/raw.tsv"
rc=0
# Each part gets a prefix of its own for its namespaces and pins; whatever
# a part leaves behind (killed at its time limit) is removed after it.
sweep() {
	local ns
	for ns in $(ip netns list | awk '{print $1}' | grep "^$1"); do
		ip netns del "$ns"
	done
	rm -rf /sys/fs/bpf/"$1" /sys/fs/bpf/"$1"-bare /run/xvnet/sys-fs-bpf-"$1"
}
for part in ${BENCH_PARTS:-cost l2 nat scale}; do
	echo "== $part ($(date +%T))" >&2
	pfx=xvb$$${part:0:1}
	case $part in
	cost)
		for r in $(seq 1 "$ROUNDS"); do
			timeout 60 build/bench/cost "${BENCH_COST_REPEAT:-100000}" |
				awk '{printf "cost\t%s\t%s\tns\t%s\n", $1, $2, $3}' >>"$OUT/raw.tsv" || rc=1
		done ;;
	l2|nat|scale)
		# nat: five rounds of five paths, then the scale rounds that
		# grow the table to a million sessions (about 5 of 7 minutes).
		limit=330
		[ "$part" != nat ] || limit=480
		BENCH_PREFIX=$pfx BENCH_PIN=/sys/fs/bpf/$pfx timeout -s INT $limit "bench/$part.sh" ||
			{ echo "bench/$part.sh failed" >&2; rc=1; }
		sweep "$pfx" ;;
	esac
done
echo "== report ($(date +%T))" >&2
bench/report.py "$OUT" || rc=1
exit $rc
