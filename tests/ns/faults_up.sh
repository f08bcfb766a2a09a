#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The loader interrupted and raced (issue 7):
#  kill9    on a fresh host, "xvnet up" is killed (SIGKILL) after a random
#           delay inside the time an up takes, XVT_KILLS times a round
#           (default 3), alternately followed by "up" and by "down": the
#           "up" must succeed and the VMs reach each other, the LAN and
#           (NAT) the outside, and "down" then leave no residue; the
#           "down" alone must leave no residue. What the killed up left is
#           printed when a check fails.
#  kill9down "xvnet down" killed likewise, once a round: the next "down"
#           leaves no residue (first round), or the next "up" works (second).
#  kill9run over a running datapath, while VM1 floods VM2, an "up" to a
#           changed config (vm3p added, flood_pps changed) is killed after
#           a random delay: the flood loses nothing and the next "up"
#           applies the config (VM3 forwards).
#  lock     started together (the second 50 ms after the first): two "up"
#           on a fresh host; "up" and "reload" while VM1 floods VM2; "down"
#           and "up" at the same time; "up" then "down". Each
#           command must succeed, or fail saying that it gave up waiting
#           for the lock; no echo is lost; and the final state is
#           consistent: either up (status works, traffic flows) or down
#           (no residue).
# Once with attach = xdp, once with attach = tc.
#
#   lan (the LAN, NAT's outside)   host                                 VMs
#  +--------------------+         +------------------------------------+
#  | lan0  198.18.0.1   |  veth   | up0  198.18.0.2: uplink of "lan",  |  +----------------------+
#  |                    |---------|      and nat0's outside address    |  | vm1 .11 flood -> vm2 |
#  +--------------------+         | xvnet "lan" (bridge)        vm1p   |--|                      |
#                                 |   198.18.0.0/24             vm2p   |--| vm2 .12              |
#                                 |                 (kill9run)  vm3p   |--| vm3 .13              |
#                                 | xvnet "nat0" (nat, dhcp)    vm4p   |--| vm4 192.168.100.10   |
#                                 |   192.168.100.0/24, xv-nat0 .1     |  |                      |
#                                 +------------------------------------+  +----------------------+

. "$(dirname "$0")/../lib/ns.sh"
xvt_init
need ping ethtool jq tc python3 awk bpftool nsenter

. "$(dirname "$0")/../lib/faults.sh"

KILLS=${XVT_KILLS:-3}
ODD=1		# which kill9 iterations are repaired by up: odd in the first round

# ms_sleep MS
ms_sleep() { sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"; }

# killed_up CONF MS: "xvnet up -c CONF" killed by SIGKILL after MS ms;
# KILLED says whether it still ran then.
killed_up() {
	local pid
	spawn killed-up "$XVNET" -n "$H" up -c "$1"
	pid=$BG_PID
	ms_sleep "$2"
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid"
		KILLED="killed at $2 ms of ~$UP_MS"
	else
		KILLED="not killed: up ended before $2 ms"
	fi
	wait "$pid" 2>/dev/null
}

# up_ms CONF: time an uninterrupted up and down into UP_MS and DOWN_MS.
up_ms() {
	local s e
	s=$(date +%s%N)
	xv_up "$H" "$1" || return 1
	e=$(date +%s%N)
	UP_MS=$(((e - s) / 1000000))
	# The loader itself, as killed_down runs it (no timeout wrapper).
	s=$(date +%s%N)
	"$XVNET" -n "$H" down -c "$1" || return 1
	DOWN_MS=$((($(date +%s%N) - s) / 1000000))
}

# a random delay within the time an up takes (5 % to 95 %)
random_ms() { echo $((RANDOM % (UP_MS * 9 / 10) + UP_MS / 20)); }

fault_kill9() {
	local t=$1 c=$TMP/k.conf i ms
	conf "$c" "vm1p vm2p"
	_XVT_UP+=("$H $c")
	setup "kill9-timed-up$t" up_ms "$c" || return
	for i in $(seq "$KILLS"); do
		ms=$(random_ms)
		killed_up "$c" "$ms"
		{
			echo "after xvnet up $KILLED:"
			residue
		} >"$TMP/killed-$i.state" 2>&1
		if [ $(((i + ODD) % 2)) = 0 ]; then
			if ! check "kill9-$i-then-up-repairs$t ($KILLED)" xv_up "$H" "$c"; then
				_indent "$TMP/killed-$i.state"
				xv_down "$H" "$c" >/dev/null 2>&1
				continue
			fi
			check "kill9-$i-repaired-traffic$t" traffic_ok
			check "kill9-$i-repaired-then-down$t" xv_down "$H" "$c"
			check "kill9-$i-repaired-down-no-residue$t" residue
		else
			check "kill9-$i-then-down$t ($KILLED)" xv_down "$H" "$c" ||
				_indent "$TMP/killed-$i.state"
			check "kill9-$i-then-down-no-residue$t" residue ||
				_indent "$TMP/killed-$i.state"
		fi
	done
}

# kill9down: "down" killed after a random delay inside the time a down
# takes; then "down" again (first round) or "up" (second round) repairs.
fault_kill9_down() {
	local t=$1 c=$TMP/k.conf ms pid what
	setup "kill9down-up$t" xv_up "$H" "$c" || return
	ms=$((RANDOM % (DOWN_MS * 8 / 10 + 1) + 2))
	spawn killed-down "$XVNET" -n "$H" down -c "$c"
	pid=$BG_PID
	ms_sleep "$ms"
	if kill -KILL "$pid" 2>/dev/null; then
		what="killed at $ms ms of ~$DOWN_MS"
	else
		what="not killed: down ended before $ms ms"
	fi
	wait "$pid" 2>/dev/null
	residue >"$TMP/killed-down.state" 2>&1
	if [ "$ODD" = 1 ]; then
		check "kill9down-then-down$t ($what)" xv_down "$H" "$c"
		check "kill9down-then-down-no-residue$t" residue ||
			_indent "$TMP/killed-down.state"
	else
		check "kill9down-then-up$t ($what)" xv_up "$H" "$c" ||
			_indent "$TMP/killed-down.state"
		check "kill9down-then-up-traffic$t" traffic_ok
		check "kill9down-then-up-down$t" xv_down "$H" "$c"
		check "kill9down-then-up-down-no-residue$t" residue
	fi
}

fault_kill9_running() {
	local t=$1 c1=$TMP/k.conf c2=$TMP/k2.conf ms fl
	conf "$c2" "vm1p vm2p vm3p" "flood_pps = 20000"
	_XVT_UP+=("$H $c2")
	setup "kill9run-up$t" xv_up "$H" "$c1" || return
	setup "kill9run-warm$t" ping_ok "$VM1" "$VM2_IP" || return
	ms=$(random_ms)
	flood_start flood-k "$VM1" "$VM2_IP" $(((ms + 1300) / 5))
	fl=$FLOOD_PID
	sleep 0.3
	killed_up "$c2" "$ms"
	check "kill9run-flood-no-loss$t ($KILLED)" flood_ok flood-k "$fl"
	check "kill9run-then-up$t" xv_up "$H" "$c2"
	check "kill9run-then-traffic$t" traffic_ok
	check "kill9run-added-port-forwards$t" ping_ok "$VM3" "$LAN_IP"
	check "kill9run-down$t" xv_down "$H" "$c2"
	check "kill9run-down-no-residue$t" residue
}

# --- two at once ---------------------------------------------------------------------

# pair NAME CMD_A CONF_A CMD_B CONF_B: "xvnet CMD_A" and, PAIR_MS (50) ms
# later, "xvnet CMD_B"; each must exit 0, or fail saying that it gave up
# waiting for the lock. The note says what happened.
pair() {
	local name=$1 pa pb ra rb ms=${PAIR_MS:-50}
	spawn "$name-a" "$XVNET" -n "$H" "$2" -c "$3"
	pa=$BG_PID
	ms_sleep "$ms"
	spawn "$name-b" "$XVNET" -n "$H" "$4" -c "$5"
	pb=$BG_PID
	finish "$pa" 70
	ra=$?
	finish "$pb" 70
	rb=$?
	echo "$2: exit $ra"
	cat "$TMP/$name-a.log"
	echo "$4: exit $rb"
	cat "$TMP/$name-b.log"
	CHECK_NOTE="$2 exit $ra, $4 exit $rb"
	grep -q 'another xvnet' "$TMP/$name-a.log" "$TMP/$name-b.log" &&
		CHECK_NOTE+=", one waited for the other"
	if [ $ra != 0 ] && ! grep -q 'giving up' "$TMP/$name-a.log"; then
		CHECK_WHY="$2 exited $ra: $(grep -v 'another xvnet' "$TMP/$name-a.log" | head -n 1)"
		return 1
	fi
	if [ $rb != 0 ] && ! grep -q 'giving up' "$TMP/$name-b.log"; then
		CHECK_WHY="$4 (started $ms ms after $2) exited $rb: $(grep -v 'another xvnet' "$TMP/$name-b.log" | head -n 1)"
		return 1
	fi
}

# consistent CONF: the state is all up (status works, the VMs forward) or
# all down (no residue).
consistent() {
	if [ -e "$PIN" ]; then
		status_ok "$1" || return 1
		traffic_ok || return 1
		CHECK_NOTE="up"
	else
		residue || return 1
		CHECK_NOTE="down"
	fi
}

fault_lock() {
	local t=$1 c1=$TMP/k.conf c2=$TMP/k2.conf fl
	check "lock-two-ups$t" pair ups up "$c1" up "$c1"
	check "lock-two-ups-state$t" consistent "$c1"
	if [ ! -e "$PIN" ]; then
		setup "lock-up$t" xv_up "$H" "$c1" || return
	fi
	setup "lock-warm$t" ping_ok "$VM1" "$VM2_IP" || return
	flood_start flood-lock "$VM1" "$VM2_IP" $(((UP_MS * 2 + 1000) / 5))
	fl=$FLOOD_PID
	sleep 0.3
	check "lock-up-and-reload$t" pair upreload up "$c1" reload "$c2"
	check "lock-up-and-reload-flood-no-loss$t" flood_ok flood-lock "$fl"
	check "lock-up-and-reload-state$t" consistent "$c1"
	# At once: down, quick to take the lock, holds it while up plans.
	PAIR_MS=0 check "lock-down-then-up$t" pair downup down "$c2" up "$c2"
	check "lock-down-then-up-state$t" consistent "$c2"
	[ -e "$PIN" ] || xv_up "$H" "$c2" >/dev/null 2>&1
	check "lock-up-then-down$t" pair updown up "$c2" down "$c2"
	check "lock-up-then-down-state$t" consistent "$c2"
	check "lock-down$t" xv_down "$H" "$c2"
	check "lock-down-no-residue$t" residue
}

round() {
	local t="[$ATTACH]"
	setup "faults-up-topology$t" world 1 2 3 || return
	QD0=$(tc -n "$H" qdisc show)
	PROMISC0=$(promiscuity "$H" up0)
	fault_kill9 "$t"
	XVT_BROKEN=""
	fault_kill9_down "$t"
	XVT_BROKEN=""
	fault_kill9_running "$t"
	XVT_BROKEN=""
	fault_lock "$t"
	ODD=$((1 - ODD))
}

for_each_attach round
