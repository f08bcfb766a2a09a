#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make fuzz: the long runs of both fuzzers, with their figures.
#
#   tests/fuzz/run.sh [SECONDS] [FRAMES]
#
# The config fuzzer (build/tests/config_fuzz, libFuzzer) runs SECONDS
# (default 60) over the seeds of tests/fuzz/corpus/config and what it found
# in earlier runs (build/fuzz/corpus-config); a crash leaves its input in
# build/fuzz/artifacts/. The packet fuzzer (build/tests/packet_fuzz) tries
# FRAMES frames (default 1000000) from seed $FUZZ_SEED (default: the time,
# printed). Ends with the figures; exits 1 if either found anything.

set -u
cd "$(dirname "$0")/../.." || exit 1

SECS=${1:-60}
FRAMES=${2:-1000000}
SEED=${FUZZ_SEED:-$(date +%s)}
OUT=build/fuzz
mkdir -p "$OUT/corpus-config" "$OUT/artifacts"
rc=0

echo "== config_fuzz: $SECS s"
# Smaller quarantine, no malloc fill: twice the inputs a second, same checks.
ASAN_OPTIONS=quarantine_size_mb=16:max_malloc_fill_size=0 \
	build/tests/config_fuzz -max_total_time="$SECS" -print_final_stats=1 \
	-dict=tests/fuzz/config.dict -artifact_prefix="$OUT/artifacts/" \
	"$OUT/corpus-config" tests/fuzz/corpus/config >"$OUT/config_fuzz.log" 2>&1
crc=$?
grep -E '^(stat::number_of_executed_units|stat::new_units_added|config_fuzz:)' \
	"$OUT/config_fuzz.log"
configs=$(sed -n 's/^config_fuzz: \([0-9]*\) inputs.*/\1/p' "$OUT/config_fuzz.log" | tail -n 1)
if [ $crc != 0 ]; then
	echo "config_fuzz: crash (exit $crc); the input is in $OUT/artifacts/:"
	grep -E 'config_fuzz: |ERROR|SUMMARY|Test unit written' "$OUT/config_fuzz.log" | head -n 20
	rc=1
fi

echo "== packet_fuzz: $FRAMES frames, seed $SEED"
build/tests/packet_fuzz -n "$FRAMES" -s "$SEED" >"$OUT/packet_fuzz.log" 2>&1
prc=$?
sed -n '/^packet_fuzz: seed/,$p' "$OUT/packet_fuzz.log"
[ $prc = 0 ] || { echo "packet_fuzz: see $OUT/packet_fuzz.log"; rc=1; }
frames=$(sed -n 's/^packet_fuzz: seed [0-9]*: \([0-9]*\) frames.*/\1/p' "$OUT/packet_fuzz.log")

echo "== fuzz: ${configs:-0} configs tried ($([ $crc = 0 ] && echo "no crash" || echo "a crash")), ${frames:-0} frames tried ($([ $prc = 0 ] && echo "no violation" || echo "violations"))"
exit $rc
