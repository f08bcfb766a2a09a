#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Faults with traffic running (issue 7), around two TCP streams that
# prove every byte arrived (the sender sends until told to stop, then
# compares its count and md5 with the receiver's) and ping floods that
# count every lost echo:
#  reload  while VM1 streams to VM2, VM4 streams through NAT to the LAN and
#          VM1 floods VM2: "xvnet reload" to the same config, to a changed
#          flood_pps, "xvnet port add" of vm5p, a reload to a config that
#          lists vm5p, one that drops it again. Every byte arrives, no
#          reset, no echo lost; the retransmitted segments (and the drop
#          counters of the interfaces that moved) are reported.
#  uplink  up0 goes down for 1.5 s and comes back while VM1 floods VM2 and
#          VM3 pings the LAN: VM1 <-> VM2 loses nothing, VM <-> LAN (both
#          ways) and NAT work again by themselves; the time it takes is
#          reported.
#  portdel vm3p is deleted (ip link del) while VM3 and the LAN flood each
#          other and VM1 streams to and floods VM2: no byte or echo lost
#          between VM1 and VM2, the others still reach the LAN, "xvnet
#          status" works, "xvnet down" succeeds and leaves no residue.
# Once with attach = xdp, once with attach = tc. Interrupted and concurrent
# runs of the loader: faults_up.sh.
#
#   lan (the LAN, NAT's outside)   host                                 VMs
#  +--------------------+         +------------------------------------+
#  | lan0  198.18.0.1   |  veth   | up0  198.18.0.2: uplink of "lan",  |  +----------------------+
#  | sink :5002 (nat)   |---------|      and nat0's outside address    |  | vm1 .11 flood, send  |
#  +--------------------+         |                                    |  |       -> vm2:5001    |
#                                 | xvnet "lan" (bridge)        vm1p   |--| vm2 .12 sink :5001   |
#                                 |   198.18.0.0/24             vm2p   |--| vm3 .13 (deleted)    |
#                                 |                             vm3p   |--| vm5 .14 (reload adds)|
#                                 |                             vm5p   |--|                      |
#                                 | xvnet "nat0" (nat, dhcp)    vm4p   |--| vm4 192.168.100.10   |
#                                 |   192.168.100.0/24, xv-nat0 .1     |  |   send -> lan:5002   |
#                                 +------------------------------------+  +----------------------+

. "$(dirname "$0")/../lib/ns.sh"
xvt_init
need ping ethtool jq tc python3 awk

. "$(dirname "$0")/../lib/faults.sh"

# reload: reloads and a port add while two streams and a flood run.
fault_reload() {
	local t=$1 rate=4194304 b_send b_recv n_send n_recv fl r1 r4 alive=0 d
	conf "$TMP/c2.conf" "vm1p vm2p vm3p" "flood_pps = 20000"
	conf "$TMP/c3.conf" "vm1p vm2p vm3p vm5p"
	_XVT_UP+=("$H $TMP/c3.conf")
	r1=$(tcp_retrans "$VM1") r4=$(tcp_retrans "$VM4")
	if_drops >"$TMP/drops.before"
	setup "reload-streams-start$t" stream_start bridge "$VM1" "$VM2" "$VM2_IP" 5001 $rate || return
	b_send=$SEND_PID b_recv=$RECV_PID
	setup "reload-streams-start$t" stream_start nat "$VM4" "$LAN" "$LAN_IP" 5002 $rate || return
	n_send=$SEND_PID n_recv=$RECV_PID
	# 15 s of pings at 5 ms: enough to span the reloads on a loaded machine
	flood_start flood-reload "$VM1" "$VM2_IP" 3000
	fl=$FLOOD_PID
	sleep 0.3
	check "reload-same-config$t" xv "$H" reload -c "$TMP/c1.conf"
	check "reload-flood_pps-changed$t" xv "$H" reload -c "$TMP/c2.conf"
	check "reload-port-add$t" xv "$H" port add lan vm5p -c "$TMP/c2.conf"
	check "reload-added-port-forwards$t" ping_ok "$VM5" "$LAN_IP"
	check "reload-port-listed$t" xv "$H" reload -c "$TMP/c3.conf"
	check "reload-port-dropped$t" xv "$H" reload -c "$TMP/c1.conf"
	kill -0 "$b_send" 2>/dev/null && kill -0 "$n_send" 2>/dev/null &&
		kill -0 "$fl" 2>/dev/null && alive=1
	check "reload-traffic-spans-the-reloads$t" test $alive = 1
	check "reload-ping-flood-no-loss$t" flood_ok flood-reload "$fl"
	RELOAD_PING="$LOST of $SENT"
	check "reload-bridge-stream-intact$t" stream_ok bridge "$b_send" "$b_recv"
	RELOAD_B="$LOST of $SENT_BYTES bytes lost, $(retrans_since "$VM1" "$r1")"
	check "reload-nat-stream-intact$t" stream_ok nat "$n_send" "$n_recv"
	RELOAD_N="$LOST of $SENT_BYTES bytes lost, $(retrans_since "$VM4" "$r4")"
	d=$(diff "$TMP/drops.before" <(if_drops) | sed -n 's/^> //p' | tr '\n' ';')
	echo "    | reload loss$t: bridge stream $RELOAD_B; nat stream $RELOAD_N;" \
		"ping flood $RELOAD_PING lost; interface drops: ${d:-none}"
}

# uplink: up0 down for 1.5 s under a VM <-> VM flood and a VM -> LAN ping.
fault_uplink() {
	local t=$1 fl lp i s e
	flood_start flood-uplink "$VM1" "$VM2_IP" 550
	fl=$FLOOD_PID
	spawn_in "$VM3" lanping timeout 30 ping -q -n -c 70 -i 0.05 -W 1 "$LAN_IP"
	lp=$BG_PID
	sleep 0.5
	ip -n "$H" link set up0 down
	sleep 1.5
	ip -n "$H" link set up0 up
	check "uplink-flap-vm-vm-no-loss$t" flood_ok flood-uplink "$fl"
	# How long until VM3 reaches the LAN again (single pings, bounded).
	s=$(date +%s%N)
	for i in $(seq 50); do
		run_in "$VM3" ping -q -n -c 1 -W 0.2 "$LAN_IP" >/dev/null 2>&1 && break
	done
	e=$(date +%s%N)
	finish "$lp" 10
	echo "    | uplink down 1.5 s$t: VM3 -> LAN $(grep -o '[0-9]* packets transmitted, [0-9]* received' "$TMP/lanping.log");" \
		"back $(((e - s) / 1000000)) ms after up0 came up"
	check "uplink-back-vm-to-lan$t" ping_ok "$VM3" "$LAN_IP"
	check "uplink-back-lan-to-vm$t" ping_ok "$LAN" "$VM1_IP"
	check "uplink-back-nat$t" ping_ok "$VM4" "$LAN_IP"
	check "uplink-back-status$t" status_ok "$TMP/c1.conf"
}

# portdel: vm3p deleted while VM3 and the LAN ping each other and VM1
# streams to VM2; then down.
fault_portdel() {
	local t=$1 s r fl
	setup "portdel-stream-start$t" stream_start del "$VM1" "$VM2" "$VM2_IP" 5003 4194304 || return
	s=$SEND_PID r=$RECV_PID
	flood_start flood-del "$VM1" "$VM2_IP" 500
	fl=$FLOOD_PID
	spawn_in "$VM3" vm3ping timeout 30 ping -q -n -c 400 -i 0.005 -W 1 "$LAN_IP"
	spawn_in "$LAN" lanvm3 timeout 30 ping -q -n -c 400 -i 0.005 -W 1 "$VM3_IP"
	sleep 0.7
	ip -n "$H" link del vm3p
	check "portdel-ping-flood-no-loss$t" flood_ok flood-del "$fl"
	check "portdel-stream-intact$t" stream_ok del "$s" "$r"
	check "portdel-status-works$t" status_ok "$TMP/c1.conf"
	check "portdel-others-reach-lan$t" ping_ok "$VM2" "$LAN_IP"
	check "portdel-nat-works$t" ping_ok "$VM4" "$LAN_IP"
	check "portdel-down$t" xv_down "$H" "$TMP/c1.conf"
	check "portdel-down-no-residue$t" residue vm3p
}

round() {
	local t="[$ATTACH]"
	setup "faults-topology$t" world 1 2 3 5 || return
	conf "$TMP/c1.conf" "vm1p vm2p vm3p"
	QD0=$(tc -n "$H" qdisc show)
	PROMISC0=$(promiscuity "$H" up0)
	up_check "faults-up$t" "$H" "$TMP/c1.conf"
	check "faults-traffic$t" traffic_ok
	check "faults-vm3-reaches-lan$t" ping_ok "$VM3" "$LAN_IP"
	[ -n "$XVT_BROKEN" ] && return
	fault_reload "$t"
	XVT_BROKEN=""
	fault_uplink "$t"
	XVT_BROKEN=""
	fault_portdel "$t"
}

for_each_attach round
