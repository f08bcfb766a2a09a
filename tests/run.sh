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
# behind. Environment: XVT_TIMEOUT (seconds per test file, default 300;
# XVT_LONG_TIMEOUT for rollback, default twice that),
# XVT_ATTACH (attach kinds the ns tests run, default "xdp tc"), XVT_JOBS
# (test files run at once, default 3: every test has its own namespaces,
# pins and run directory; each file's output is printed whole when it ends).

set -u
cd "$(dirname "$0")/.." || exit 1

TIMEOUT=${XVT_TIMEOUT:-300}
# rollback fails every step of up and reload in turn (about 200 s alone, and
# more while other files run): it gets twice the time.
LONG_TIMEOUT=${XVT_LONG_TIMEOUT:-$((TIMEOUT * 2))}
JOBS=${XVT_JOBS:-3}
# The longest first, so that the others fill in around them.
LONG="rollback qemu_guest faults faults_up hostile dhcp nat_limits sanitizers lifecycle"
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
	local start=$SECONDS id passed=0 failed=0 skipped=0 limit
	name=$(basename "$path" .sh)
	limit=$TIMEOUT
	[ "$name" = rollback ] && limit=$LONG_TIMEOUT
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
			timeout -k 10 "$limit" "$path" 2>&1
		else
			XVT_ID=$id XVT_NAME=$name timeout -k 10 "$limit" bash "$path" 2>&1
		fi
		echo "@@rc $?"
	)
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		echo "FAIL $name: timed out after ${limit}s"
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
	echo "@@counts $passed $failed $skipped"
}

# Long tests first, then the rest in their order.
ordered() {
	local t l
	for l in $LONG; do
		for t in $tests; do
			[ "$(basename "${t#*:}" .sh)" = "$l" ] && echo "$t"
		done
	done
	for t in $tests; do
		case " $LONG " in
		*" $(basename "${t#*:}" .sh) "*) ;;
		*) echo "$t" ;;
		esac
	done
}

# Print the output of every finished job not printed yet, add its counts.
collect() {
	local k line
	for k in "${!job_out[@]}"; do
		[ -e "$out_dir/$k.done" ] || continue
		while IFS= read -r line; do
			case $line in
			"@@counts "*)
				read -r _ p f s <<<"$line"
				passed=$((passed + p)) failed=$((failed + f))
				skipped=$((skipped + s))
				;;
			*) printf '%s\n' "$line" ;;
			esac
		done <"${job_out[$k]}"
		unset "job_out[$k]"
		running=$((running - 1))
	done
}

tests=$(select_tests "$@") || exit 1
out_dir=$(mktemp -d /tmp/xvt-run.XXXXXX) || exit 1
trap 'rm -rf "$out_dir"' EXIT
declare -A job_out
n=0 running=0 start=$SECONDS
for t in $(ordered); do
	n=$((n + 1))
	while [ $running -ge "$JOBS" ]; do
		wait -n
		collect
	done
	job_out[$n]=$out_dir/$n.out
	(run_one "$t" >"$out_dir/$n.out" 2>&1; : >"$out_dir/$n.done") &
	running=$((running + 1))
done
while [ $running -gt 0 ]; do
	wait -n
	collect
done
echo "== all: $((SECONDS - start))s with $JOBS at once"
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed = 0 ]
