#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# NAT mode, ICMP and fragments, through a router namespace: ping and
# `ping -s 3000` (fragmented both ways, and fragmented again by the
# router's 1400-byte link) from a VM; a UDP datagram to a closed outside
# port surfaces as ECONNREFUSED in the VM (the port-unreachable error
# translated back, inner header included); a TCP connect to a closed port
# is refused; tracepath shows the router hop, reaches the destination and
# learns the 1400-byte path MTU (time-exceeded and fragmentation-needed
# translated back); with the uplink's MTU lowered to 1450, a DF packet too
# big for it is answered with fragmentation-needed and one without DF
# still gets through. Once with attach = xdp, once with attach = tc.
#
#   outside               router                     host                              vm1
#  +-------------+       +-----------------+        +-----------------------------+   +------------+
#  | out0        | MTU   | r1 203.0.113.254|        | up0 198.18.0.2 (uplink)     |   | eth0       |
#  | 203.0.113.1 |-1400--|                 |        |   default via 198.18.0.1    |   | .100.10    |
#  | route to    |       | r0 198.18.0.1   |--------|                             |   | gw .100.1  |
#  | 198.18.0/24 |       | ip_forward=1    |  veth  | xvnet "nat0"          vm1p  |---|            |
#  |             |       +-----------------+        | 192.168.100.0/24      vm2p  |-  +------------+
#  +-------------+        ^ tcpdump on r0:          | xv-nat0 192.168.100.1       |
#                           never 192.168.x         +-----------------------------+

. "$(dirname "$0")/../lib/ns.sh"
xvt_init
need ping ethtool python3 jq tcpdump tracepath

H=$PFX-host OUT=$PFX-out R=$PFX-router VM1=$PFX-vm1 VM2=$PFX-vm2

# ping_via_router: VM1 pings the outside; the router sees the requests
# from the uplink address 198.18.0.2 and nothing of 192.168.x.
ping_via_router() {
	local n leak rc
	cap_start "$R" r0 ping icmp || { CHECK_WHY="tcpdump did not start"; return 1; }
	ping_ok "$VM1" "$NAT_OUT"
	rc=$?
	cap_stop "$CAP_PID"
	[ $rc -eq 0 ] || return 1
	n=$(cap_count ping "icmp[icmptype] == icmp-echo and src host $NAT_R_UP")
	leak=$(cap_count ping "net 192.168.0.0/16")
	cap_show ping
	if [ "$leak" != 0 ]; then
		CHECK_WHY="$leak packet(s) with a 192.168.x address on the router"
		return 1
	fi
	[ "$n" -ge 3 ] || { CHECK_WHY="the router saw $n echo request(s) from $NAT_R_UP, want 3"; return 1; }
	CHECK_NOTE="router saw $n requests from $NAT_R_UP"
}

# fragments_ok: ping -s 3000 from VM1; the router saw the VM's
# fragments (with the uplink address) and the outside's reply fragments.
fragments_ok() {
	local out_frags in_frags rc
	cap_start "$R" r0 frag "ip[6:2] & 0x3fff != 0" ||
		{ CHECK_WHY="tcpdump did not start"; return 1; }
	ping_ok "$VM1" "$NAT_OUT" -s 3000
	rc=$?
	cap_stop "$CAP_PID"
	out_frags=$(cap_count frag "src host $NAT_R_UP")
	in_frags=$(cap_count frag "dst host $NAT_R_UP")
	cap_show frag
	[ $rc -eq 0 ] || return 1
	if [ "$out_frags" = 0 ] || [ "$in_frags" = 0 ]; then
		CHECK_WHY="the router saw $out_frags fragment(s) out, $in_frags in: want both"
		return 1
	fi
	CHECK_NOTE="$out_frags fragments out, $in_frags in"
}

# udp_refused: a connected UDP socket in VM1 sends to a closed outside
# port; recv fails with ECONNREFUSED.
udp_refused() {
	local out rc
	out=$(py_run "$VM1" 10 udp-send "$NAT_OUT" 9 --wait 3 2>&1)
	rc=$?
	echo "$out"
	[ $rc -eq 3 ] && return 0
	CHECK_WHY="UDP to closed $NAT_OUT:9 from the VM: $(tail -n 1 <<<"$out") (exit $rc), want ECONNREFUSED"
	return 1
}

# tcp_refused: a TCP connect to a closed outside port is refused at once
# (the RST comes back translated), not timed out.
tcp_refused() {
	local out
	out=$(py_run "$VM1" 10 tcp-try "$NAT_OUT" 9 3 2>&1)
	echo "$out"
	grep -q 'refused' <<<"$out" && return 0
	CHECK_WHY="TCP connect to closed $NAT_OUT:9: $(tail -n 1 <<<"$out"), want refused"
	return 1
}

# tracepath_run DEST: tracepath from VM1 into $TMP/tracepath.out.
tracepath_run() {
	run_in "$VM1" timeout --foreground 30 tracepath -n -m 6 "$1" >"$TMP/tracepath.out" 2>&1
	cat "$TMP/tracepath.out"
}

# tracepath_ok: the router's hop, and the destination reached.
tracepath_ok() {
	tracepath_run "$NAT_OUT"
	if ! grep -Eq "^ *[0-9]+: +$NAT_R_IN " "$TMP/tracepath.out"; then
		CHECK_WHY="tracepath $NAT_OUT shows no hop $NAT_R_IN: $(tail -n 1 "$TMP/tracepath.out")"
		return 1
	fi
	if ! grep -Eq "^ *[0-9]+: +$NAT_OUT .*reached" "$TMP/tracepath.out"; then
		CHECK_WHY="tracepath did not reach $NAT_OUT: $(tail -n 1 "$TMP/tracepath.out")"
		return 1
	fi
	CHECK_NOTE=$(grep -o 'Resume:.*' "$TMP/tracepath.out")
}

# pmtu_is WANT: the last tracepath learned path MTU WANT.
pmtu_is() {
	cat "$TMP/tracepath.out"
	grep -q "Resume: pmtu $1 " "$TMP/tracepath.out" && return 0
	CHECK_WHY="tracepath: $(grep -o 'Resume:.*' "$TMP/tracepath.out" || tail -n 1 "$TMP/tracepath.out"), want pmtu $1"
	return 1
}

# df_too_big: with up0 at MTU 1450, a 1500-byte DF ping to the router is
# answered with fragmentation-needed (mtu 1450), like a router would.
df_too_big() {
	local out
	out=$(run_in "$VM1" ping -c 2 -i 0.3 -W 2 -M "do" -s 1472 "$NAT_R_OUT" 2>&1)
	echo "$out"
	grep -Eiq 'frag needed.*mtu = 1450|mtu=1450|mtu 1450' <<<"$out" && return 0
	CHECK_WHY="ping -M do -s 1472 $NAT_R_OUT over the 1450-byte uplink: $(grep -m1 -Ei 'frag|mtu|transmitted' <<<"$out")"
	return 1
}

# mtu_uplink MTU: the uplink and the router's side of it at MTU.
mtu_uplink() {
	ip -n "$H" link set up0 mtu "$1" && ip -n "$R" link set r0 mtu "$1"
}

no_leak() {
	local n
	cap_stop "$LEAK_PID"
	n=$(cap_count leak "net 192.168.0.0/16")
	cap_show leak "net 192.168.0.0/16"
	[ "$n" = 0 ] && return 0
	CHECK_WHY="$n packet(s) with a 192.168.x address reached the router"
	return 1
}

round() {
	local t="[$ATTACH]" conf=$TMP/nat.conf

	setup "nat-icmp-topology$t" nat_world router 1400 || return
	nat_conf "$conf"
	check "nat-icmp-outside-has-no-route$t" no_route "$OUT" "$NAT_VM1"
	up_check "nat-icmp-up$t" "$H" "$conf"
	setup "nat-icmp-leak-capture$t" cap_start "$R" r0 leak "net 192.168.0.0/16"
	LEAK_PID=$CAP_PID

	check "nat-icmp-ping-outside$t" ping_via_router
	check "nat-icmp-ping-fragments$t" fragments_ok
	check "nat-icmp-udp-refused$t" udp_refused
	check "nat-icmp-tcp-refused$t" tcp_refused
	check "nat-icmp-tracepath$t" tracepath_ok
	check "nat-icmp-tracepath-pmtu$t" pmtu_is 1400

	# The uplink itself narrower than the VM's link.
	setup "nat-icmp-uplink-mtu$t" mtu_uplink 1450
	check "nat-icmp-df-too-big-for-uplink$t" df_too_big
	check "nat-icmp-fragmented-for-uplink$t" ping_ok "$VM2" "$NAT_R_OUT" -M dont -s 1472

	check "nat-icmp-nothing-private-outside$t" no_leak
}

for_each_attach round
