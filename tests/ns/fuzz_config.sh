#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Bounded pass of the config fuzzer (tests/fuzz/config_fuzz.c): every seed
# of tests/fuzz/corpus/config, then libFuzzer's mutations from a fixed seed
# for at most FUZZ_CONFIG_SECS seconds (default 15) or 100000 inputs. No
# namespace: the parser is pure. A crash leaves its input in
# build/fuzz/artifacts/ (rerun it: build/tests/config_fuzz FILE).
#
#   tests/fuzz/corpus/config ──> config_fuzz (ASan, UBSan) ──> PASS / FAIL

set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
FUZZER=$TOP/build/tests/config_fuzz
SECS=${FUZZ_CONFIG_SECS:-15}

if [ ! -x "$FUZZER" ]; then
	echo "SKIP fuzz-config: $FUZZER not built (run make)"
	exit 0
fi
work=$(mktemp -d /tmp/xvt-fuzz-config.XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT
mkdir -p "$TOP/build/fuzz/artifacts"

ASAN_OPTIONS=quarantine_size_mb=16:max_malloc_fill_size=0 \
	"$FUZZER" -seed=1 -runs=100000 -max_total_time="$SECS" \
	-dict="$TOP/tests/fuzz/config.dict" \
	-artifact_prefix="$TOP/build/fuzz/artifacts/" \
	"$work" "$TOP/tests/fuzz/corpus/config" >"$work/log" 2>&1
rc=$?
summary=$(sed -n 's/^config_fuzz: //p' "$work/log" | tail -n 1)
if [ $rc = 0 ] && [ -n "$summary" ]; then
	echo "PASS fuzz-config: $summary, no crash, no leak"
	exit 0
fi
echo "FAIL fuzz-config: exit $rc: $(grep -E '^config_fuzz: |ERROR:' "$work/log" | head -n 1)"
grep -E 'config_fuzz: |ERROR|SUMMARY|Test unit written|^    #[0-9]' "$work/log" |
	head -n 30 | sed -e 's/^/    | /'
exit 1
