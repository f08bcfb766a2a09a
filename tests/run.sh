#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The test suite: the unit-test binaries that exist, then every namespace
# test in tests/ns/, each in its own bash process under a timeout.
#
#   tests/run.sh                 run everything
#   tests/run.sh NAME...         run only these (unit_test, config_test,
#                                nl_test, or a tests/ns/ file name, with or
#                                without .sh)
#
# Every test prints "PASS name", "FAIL name: why" or "SKIP name: why" lines;
# this script echoes all output, counts those lines and ends with one line
# "N passed, N failed, N skipped". It exits 1 if anything failed, if a test
# died or timed out without reporting a failure, or left namespaces or pins
# behind. Environment: XVT_TIMEOUT (seconds per test file, default 300),
# XVT_ATTACH (attach kinds the ns tests run, default "xdp tc").

set -u
cd "$(dirname "$0")/.." || exit 1

TIMEOUT=${XVT_TIMEOUT:-300}
UNITS=(unit_test config_test nl_test)
passed=0 failed=0 skipped=0

# The list of things to run: "unit:PATH" or "ns:PATH".
all_tests() {
	local u f
	for u in "${UNITS[@]}"; do
		echo "unit:build/tests/$u"
	done
	for f in tests/ns/*.sh; do
		[ -e "$f" ] && echo "ns:$f"
	done
}

select_tests() {
	local name t found
	if [ $# -eq 0 ]; then
		all_tests
		return 0
	fi
	for name in "$@"; do
		name=${name##*/}
		name=${name%.sh}
		found=0
		while read -r t; do
			if [ "$(basename "${t#*:}" .sh)" = "$name" ]; then
				echo "$t"
				found=1
			fi
		done < <(all_tests)
		if [ $found = 0 ]; then
			echo "no such test: $name" >&2
			return 1
		fi
	done
}

# Anything a namespace test with this id left behind: report, then remove.
leftovers() {
	local name=$1 id=$2 left ns
	left=$(ip netns list 2>/dev/null | awk '{print $1}' | grep "^xvt$id-")
	if [ -n "$left" ]; then
		echo "FAIL $name-teardown: namespaces left behind: $(echo $left)"
		failed=$((failed + 1))
		for ns in $left; do
			ip netns del "$ns"
		done
	fi
	left=$(ls -d /sys/fs/bpf/xvt-"$id" /sys/fs/bpf/xvt-"$id"-* 2>/dev/null)
	if [ -n "$left" ]; then
		echo "FAIL $name-teardown: pins left behind: $(echo $left)"
		failed=$((failed + 1))
		rm -rf $left
	fi
	# dnsmasq daemons and their run directories (/run/xvnet/<pin dir>).
	left=$(ls -d /run/xvnet/sys-fs-bpf-xvt-"$id" /run/xvnet/sys-fs-bpf-xvt-"$id"-* 2>/dev/null)
	if [ -n "$left" ]; then
		echo "FAIL $name-teardown: dnsmasq run directories left behind: $(echo $left)"
		failed=$((failed + 1))
		kill_daemons_of $left
		rm -rf $left
		rmdir /run/xvnet 2>/dev/null
	fi
}

# kill_daemons_of DIR...: stop the dnsmasq whose pid files are in DIR, by PID,
# once its command line shows it is that daemon.
kill_daemons_of() {
	local d f pid
	for d in "$@"; do
		for f in "$d"/*.pid; do
			[ -e "$f" ] || continue
			pid=$(cat "$f")
			tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "--conf-file=$d/" &&
				kill "$pid"
		done
	done
}

run_one() {
	local kind=${1%%:*} path=${1#*:} name rc=0 line results=0 fails=0
	local start=$SECONDS id
	name=$(basename "$path" .sh)
	id=$(printf '%04x%02d' $((RANDOM)) $((n % 100)))
	echo "== $name"
	while IFS= read -r line; do
		case $line in
		"@@rc "*)
			rc=${line#@@rc }
			continue
			;;
		"PASS "*) passed=$((passed + 1)); results=$((results + 1)) ;;
		"FAIL "*) failed=$((failed + 1)); results=$((results + 1)); fails=$((fails + 1)) ;;
		"SKIP "*) skipped=$((skipped + 1)); results=$((results + 1)) ;;
		esac
		printf '%s\n' "$line"
	done < <(
		if [ "$kind" = unit ]; then
			timeout -k 10 "$TIMEOUT" "$path" 2>&1
		else
			XVT_ID=$id XVT_NAME=$name timeout -k 10 "$TIMEOUT" bash "$path" 2>&1
		fi
		echo "@@rc $?"
	)
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		echo "FAIL $name: timed out after ${TIMEOUT}s"
		failed=$((failed + 1))
	elif [ "$rc" != 0 ] && [ $fails = 0 ]; then
		echo "FAIL $name: exited with status $rc"
		failed=$((failed + 1))
	elif [ $results = 0 ]; then
		echo "FAIL $name: reported no results"
		failed=$((failed + 1))
	fi
	[ "$kind" = ns ] && leftovers "$name" "$id"
	echo "-- $name: $((SECONDS - start))s"
}

tests=$(select_tests "$@") || exit 1
n=0
for t in $tests; do
	n=$((n + 1))
	run_one "$t"
done
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed = 0 ]
