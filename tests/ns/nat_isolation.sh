#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# NAT mode, nothing unsolicited gets in. The host forwards (ip_forward=1)
# and the outside routes 192.168.100.0/24 via the host's uplink address:
# still, outside pings and TCP connects to a VM fail, a UDP datagram to the
# VM's address is not delivered, and a capture in the VM sees none of it.
# A UDP datagram to the uplink address on a nat port without a session is
# not delivered either. Filtering is address-and-port dependent (the
# default): after VM1 talks to outside :7000, a datagram from :7000 to its
# outside port arrives, one from :7001 does not. Once with attach = xdp,
# once with attach = tc.
#
#   outside                        host  ip_forward=1                   vm1
#  +--------------------+         +--------------------------------+   +------------------+
#  | out0  203.0.113.1  |  veth   | up0  203.0.113.2  (uplink)     |   | eth0  .100.10    |
#  | route 192.168.100.0|---------|                                |   | http :80         |
#  |  /24 via .113.2    |         |  xvnet network "nat0"    vm1p  |---| udp :45003       |
#  | udp echo :7000     |         |  192.168.100.0/24        vm2p  |   | ^ tcpdump        |
#  |  (+ probe :7001)   |         |  xv-nat0 192.168.100.1         |   +------------------+
#  +--------------------+         +--------------------------------+

. "$(dirname "$0")/../lib/ns.sh"
xvt_init
need ping ethtool python3 jq tcpdump

H=$PFX-host OUT=$PFX-out VM1=$PFX-vm1 VM2=$PFX-vm2

# routed_in: the precondition: the host forwards and the outside has a
# route to the VM subnet through it.
routed_in() {
	run_in "$H" sysctl -qw net.ipv4.ip_forward=1 &&
	ip -n "$OUT" route add "$NAT_SUBNET" via "$NAT_UP"
}

# tcp_fails NS DEST PORT
tcp_fails() {
	local out rc
	out=$(py_run "$1" 10 tcp-try "$2" "$3" 2 2>&1)
	rc=$?
	echo "$out"
	[ $rc -ne 0 ] && return 0
	CHECK_WHY="$1 connected to $2:$3"
	return 1
}

# udp_not_delivered DEST PORT: a datagram from the outside to DEST:PORT
# does not reach VM1's socket on 45003 (udp-recv logging to udp-vm1.log).
udp_not_delivered() {
	local before after
	before=$(grep -c '^from' "$TMP/udp-vm1.log")
	py_run "$OUT" 5 udp-shot "$1" "$2" "unsolicited to $1:$2" || {
		CHECK_WHY="could not send from the outside"
		return 1
	}
	sleep 0.5
	after=$(grep -c '^from' "$TMP/udp-vm1.log")
	cat "$TMP/udp-vm1.log"
	[ "$after" = "$before" ] && return 0
	CHECK_WHY="VM1 received: $(grep '^from' "$TMP/udp-vm1.log" | tail -n 1)"
	return 1
}

# nothing_arrived: the capture in VM1 saw nothing from the outside host.
nothing_arrived() {
	local n
	cap_stop "$CAP1"
	n=$(cap_count vm1 "src host $NAT_OUT")
	cap_show vm1
	[ "$n" = 0 ] && return 0
	CHECK_WHY="$n packet(s) from $NAT_OUT reached VM1"
	return 1
}

# filtered: VM1 sends from 45002 to outside :7000 and listens 1.5 s. The
# echo server answers from :7000, sends "probe" from :7001 at once and
# "late" from :7000 half a second later: the echo and "late" arrive, the probe
# does not.
filtered() {
	local out
	out=$(py_run "$VM1" 10 udp-send "$NAT_OUT" 7000 --bind 45002 --listen 1.5 2>&1)
	echo "$out"
	cat "$TMP/echo.log"
	if ! grep -q "^out $NAT_UP " <<<"$out"; then
		CHECK_WHY="no echo from $NAT_OUT:7000: $(tail -n 1 <<<"$out")"
		return 1
	fi
	if grep -q "^from $NAT_OUT 7001" <<<"$out"; then
		CHECK_WHY="a datagram from $NAT_OUT:7001 (no session with that endpoint) reached VM1"
		return 1
	fi
	if ! grep -q "^from $NAT_OUT 7000: late" <<<"$out"; then
		CHECK_WHY="the second datagram from $NAT_OUT:7000 (the session's endpoint) did not reach VM1"
		return 1
	fi
	if ! grep -q "sent probe" "$TMP/echo.log"; then
		CHECK_WHY="the echo server sent no probe"
		return 1
	fi
}

round() {
	local t="[$ATTACH]" conf=$TMP/nat.conf

	setup "nat-iso-topology$t" nat_world || return
	nat_conf "$conf"
	up_check "nat-iso-up$t" "$H" "$conf"
	setup "nat-iso-routed-in$t" routed_in
	py_in "$VM1" http-vm1 http vm1 80
	py_in "$VM1" udp-vm1 udp-recv 45003 50
	py_in "$OUT" echo udp-echo out 7000 --probe 7001 --late 0.5
	setup "nat-iso-servers$t" wait_listen "$VM1" 80 10
	setup "nat-iso-servers$t" wait_udp "$VM1" 45003 10
	setup "nat-iso-servers$t" wait_udp "$OUT" 7000 10
	setup "nat-iso-capture$t" cap_start "$VM1" eth0 vm1
	CAP1=$CAP_PID

	check "nat-iso-outside-route-exists$t" ip -n "$OUT" route get "$NAT_VM1"
	check "nat-iso-ping-vm-refused$t" ping_fails "$OUT" "$NAT_VM1"
	check "nat-iso-tcp-vm-refused$t" tcp_fails "$OUT" "$NAT_VM1" 80
	check "nat-iso-udp-vm-refused$t" udp_not_delivered "$NAT_VM1" 45003
	check "nat-iso-udp-no-session$t" udp_not_delivered "$NAT_UP" 45003
	check "nat-iso-vm-saw-nothing$t" nothing_arrived

	check "nat-iso-filter-by-endpoint$t" filtered
	# And the way out still works with the host forwarding.
	check "nat-iso-vm-reaches-outside$t" ping_ok "$VM2" "$NAT_OUT"
}

for_each_attach round
