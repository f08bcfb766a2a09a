#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# NAT sessions under pressure from a guest that opens them without end:
#  - max_sessions: vm2 opens UDP sessions to many outside ports; it gets
#    max_sessions of them, the rest are refused (session-limit), and vm1
#    still opens its own;
#  - a full table: vm2 (with max_sessions raised) fills the whole NAT
#    table; vm1's TCP stream, established before, keeps going, and only
#    new sessions are refused (nat-table-full) -- nothing is evicted;
#  - the collector: once the UDP timeout has passed, the kernel-side
#    collector has removed the expired sessions (the flow table empty
#    again, every outside port free but the forwards', the per-address
#    counts back to zero) and new sessions work;
#  - nat_sessions sizes the flow table: a reload that asks for another size
#    while it runs is refused (FILE:LINE, exit 1) and changes nothing; down
#    and up make it that size.
# Once with attach = xdp, once with attach = tc.
#
#   out                  host                          vm1, vm2
#  +-------------+      +-------------------------+   +--------------+
#  | out0        |------| up0 203.0.113.2         |---| eth0         |
#  | 203.0.113.1 | veth | [nat0] vm1p vm2p        |   | 192.168.100.1X
#  +-------------+      | xv-nat0 192.168.100.1   |   +--------------+
#                       +-------------------------+

. "$(dirname "$0")/../lib/ns.sh"
xvt_init
need ping jq python3 iperf3 bpftool
nat_python

H=$PFX-host OUT=$PFX-out VM1=$PFX-vm1 VM2=$PFX-vm2
T=3	# every NAT timeout, seconds: the collector's work shows soon
T_FULL=8	# ... while the table is full: long enough to look at it

# conf FILE MAX_SESSIONS TIMEOUT
conf() {
	local T=$3
	nat_conf "$1" "max_sessions = $2"
	sed -i "s/^\\[global\\]$/[global]\\nudp_timeout = $T\\nicmp_timeout = $T\\ntcp_transitory_timeout = $T\\ntcp_established_timeout = $T/" "$1"
}

# udp_burst NS N [PORT0]: N datagrams, from two source ports in turn, to
# outside ports from PORT0 on: each one a new session.
udp_burst() {
	run_in "$1" timeout 60 python3 - "$2" "${3:-1000}" <<-'EOF'
	import socket, sys
	n, p0 = int(sys.argv[1]), int(sys.argv[2])
	socks = []
	for port in (5555, 5556):
	    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	    s.bind(("0.0.0.0", port))
	    socks.append(s)
	for i in range(n):
	    try:
	        socks[i % 2].sendto(b"x", ("203.0.113.1", (p0 + i // 2) % 60000 + 1024))
	    except OSError:
	        pass
	EOF
}

drops() {
	xv "$H" status -c "$CONF" --json |
		jq -r --arg r "$1" '.networks[] | select(.name == "nat0") | .drops[$r]'
}

dropped() {
	local n
	n=$(drops "$1")
	[ "${n:-0}" -ge "$2" ] && { CHECK_NOTE="$n"; return 0; }
	CHECK_WHY="$1 drops are ${n:-none}, expected at least $2"
	return 1
}

# flows_of ADDR: live NAT flows of inside address ADDR.
flows_of() {
	xv "$H" nat nat0 -c "$CONF" --json |
		jq --arg a "$1" '[.[] | select(.kind == "flow" and .inside_addr == $a)] | length'
}

flows_are() {
	local n
	n=$(flows_of "$1")
	[ "$n" = "$2" ] && return 0
	CHECK_WHY="$1 holds $n flows, expected $2"
	return 1
}

map_entries() {
	bpftool map dump pinned "$PIN/$1" -j 2>/dev/null | jq length
}

# dyn_ports: words of xv_nat_port held by dynamic mappings: neither free
# (all zero) nor reserved by a forward (mark, the last byte, 0xff). From
# the raw bytes, with or without BTF.
dyn_ports() {
	bpftool map dump pinned "$PIN/xv_nat_port" -j 2>/dev/null |
		jq '[.[] | .value | select(.[7] != "0xff" and any(.[]; . != "0x00"))] | length'
}

# collected: every flow, every dynamic port and every count is gone. The
# collector removes a flow at the first tick past its timeout, then frees
# its port two ticks later at the earliest and sweeps all of them in three
# (bpf/lib/gc.h, a tick a second): up to ~4 s after the flow went.
collected() {
	local f p c end=$((SECONDS + 6))
	while :; do
		f=$(map_entries xv_nat_flow) p=$(dyn_ports)
		c=$(bpftool map dump pinned "$PIN/xv_nat_count" -j |
			jq '[.[] | select(.formatted.value != 0)] | length')
		[ "$f" = 0 ] && [ "$p" = 0 ] && [ "$c" = 0 ] && return 0
		[ $SECONDS -ge $end ] && break
		sleep 1
	done
	CHECK_WHY="left after the timeout: $f flows, $p dynamic ports, $c counts"
	return 1
}

# A TCP stream from vm1 to the outside, running across the table filling up.
stream_start() {
	spawn_in "$OUT" iperfd timeout 60 iperf3 -s -1 -p 5201
	wait_listen "$OUT" 5201 10 || return 1
	spawn_in "$VM1" stream timeout 60 iperf3 -c "$NAT_OUT" -p 5201 -t 8 -i 1 -J
	STREAM=$BG_PID
}

stream_intact() {
	local bytes
	wait "$STREAM"
	bytes=$(jq -r '[.intervals[].sum.bytes] | map(select(. > 0)) | length' "$TMP/stream.log" 2>/dev/null)
	[ "${bytes:-0}" -ge 7 ] && { CHECK_NOTE="$bytes of 8 seconds carried data"; return 0; }
	CHECK_WHY="the established stream stalled: ${bytes:-0} of 8 intervals carried data"
	jq -c '.intervals[]?.sum | {start, bytes}' "$TMP/stream.log" 2>/dev/null
	return 1
}

# table_size N: the pinned flow table has room for N flows.
table_size() {
	local n
	n=$(bpftool map show pinned "$PIN/xv_nat_flow" -j | jq .max_entries)
	[ "$n" = "$1" ] && return 0
	CHECK_WHY="xv_nat_flow has $n entries, expected $1"
	return 1
}

# status_table N: status says the flow table has room for N and holds
# at least one flow (vm1's).
status_table() {
	local t
	t=$(xv "$H" status -c "$CONF" --json | jq -c .nat_flow_table)
	jq -e --argjson n "$1" '.size == $n and .entries >= 1' <<<"$t" >/dev/null && return 0
	CHECK_WHY="status says $t"
	return 1
}

# resize_refused: a reload to another nat_sessions fails and says why.
resize_refused() {
	local out rc line
	line=$(grep -n '^nat_sessions' "$CONF" | cut -d: -f1)
	out=$(xv "$H" reload -c "$CONF" 2>&1)
	rc=$?
	echo "$out"
	[ "$rc" = 1 ] && grep -q "^$CONF:$line: nat_sessions 131072, but the running flow table holds 65536" <<<"$out" &&
		return 0
	CHECK_WHY="reload exited $rc"
	return 1
}

round() {
	local t="[$ATTACH]"
	CONF=$TMP/limits.conf
	conf "$CONF" 20 $T
	setup "topology$t" nat_world || return
	up_check "limits-up$t" "$H" "$CONF"

	check "limits-burst$t" udp_burst "$VM2" 60
	check "limits-session-limit-counted$t" dropped session-limit 40
	check "limits-vm2-holds-max$t" flows_are "$NAT_VM2" 20
	check "limits-vm1-unaffected$t" ping_ok "$VM1" "$NAT_OUT"
	check "limits-vm1-tcp$t" iperf_run "$OUT" "$NAT_OUT" "$VM1" 1
	sleep $((T + 3))
	check "limits-collected$t" collected

	# A full table: vm2 may now hold all of it.
	conf "$CONF" 1048576 $T_FULL
	check "limits-reload$t" xv "$H" reload -c "$CONF"
	setup "stream$t" stream_start || return
	sleep 1
	check "limits-fill-table$t" udp_burst "$VM2" 70000 2000
	check "limits-table-full-counted$t" dropped nat-table-full 1000
	check "limits-new-session-refused-when-full$t" ping_fails "$VM1" "$NAT_OUT"
	check "limits-established-not-evicted$t" stream_intact
	sleep $((T_FULL + 3))
	check "limits-collected-after-full$t" collected
	check "limits-new-sessions-again$t" ping_ok "$VM1" "$NAT_OUT"

	# nat_sessions: fixed while the table runs, taken at the next up.
	check "limits-flow-table-default$t" table_size 65536
	sed -i 's/^\[global\]$/[global]\nnat_sessions = 131072/' "$CONF"
	check "limits-resize-refused$t" resize_refused
	check "limits-resize-refused-changed-nothing$t" table_size 65536
	check "limits-resize-refused-vm1-still-out$t" ping_ok "$VM1" "$NAT_OUT"
	check "limits-down$t" xv_down "$H" "$CONF"
	up_check "limits-up-resized$t" "$H" "$CONF"
	check "limits-flow-table-resized$t" table_size 131072
	check "limits-resized-vm1-out$t" ping_ok "$VM1" "$NAT_OUT"
	check "limits-status-table-size$t" status_table 131072
}

for_each_attach round
