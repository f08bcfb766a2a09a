#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# L2 forwarding: xvnet bridged (attach=xdp, attach=tc) against a Linux
# bridge and against bare redirect programs with no logic (the ceilings,
# bench/bare.bpf.c), on one veth topology, rounds interleaved.
#
#   [gen = LAN]  g0 ==veth== gp [host] sp ==veth== s0  [sink = the VM]
#   198.18.0.1               \_ forwarding _/          198.18.0.2
#
# gp is the network's uplink (a veth standing in for a NIC: the generator
# puts 60-byte UDP frames with complete checksums on its receive queues, as
# a wire does), sp a VM port. Packets/s are counted at the sink (rx of s0,
# dropped by a tc program, GRO on). TCP (iperf3, 1 and 4 streams) and
# latency (sockperf ping-pong) run from the VM to the LAN with every
# offload at its default.
#
# Usage: bench/l2.sh     (BENCH_ROUNDS, BENCH_SECS: see bench/lib.sh)
. "$(dirname "$0")/lib.sh"

GEN=${P}g HOST=${P}h SINK=${P}s
GEN_IF=g0 SINK_IF=s0 LAN_IP=198.18.0.1 VM_IP=198.18.0.2
ns_new "$GEN" "$HOST" "$SINK"
veth2 "$HOST" gp "$GEN" g0
veth2 "$HOST" sp "$SINK" s0
ip -n "$GEN" addr add $LAN_IP/24 dev g0
ip -n "$SINK" addr add $VM_IP/24 dev s0
GEN_DMAC=$(mac_of "$SINK" s0) GEN_SMAC=$(mac_of "$GEN" g0)
GEN_SADDR=$LAN_IP GEN_DADDR=$VM_IP
CONF=$TMP/xv.conf

xv_conf() {
	cat >"$CONF" <<-EOC
	[global]
	attach = $1
	pin_dir = $PIN
	[network lan]
	mode = bridge
	uplink = gp
	ports = sp
	EOC
}

setup() {
	case $1 in
	linux)
		ip -n "$HOST" link add br0 type bridge
		ip -n "$HOST" link set gp master br0
		ip -n "$HOST" link set sp master br0
		ip -n "$HOST" link set br0 up ;;
	bare-*) bare_up "$HOST" gp sp "${1#bare-}"; return ;;
	*) xv_conf "$1"; xv_up "$HOST" "$CONF" ;;
	esac
	wait_path "$SINK" $LAN_IP	# both ends learned
}

teardown() {
	case $1 in
	linux) ip -n "$HOST" link del br0 ;;
	bare-*) bare_down "$HOST" gp "${1#bare-}" ;;
	*) xv_down "$HOST" "$CONF" ;;
	esac
}

# What attach = auto picks on these veths (the kind TCP is judged in).
xv_conf auto
xv_up "$HOST" "$CONF"
record l2 auto auto attach-uplink "$(xv_attach_of "$HOST" "$CONF" gp)"
record l2 auto auto attach-vm-port "$(xv_attach_of "$HOST" "$CONF" sp)"
xv_down "$HOST" "$CONF"

# Each round measures the packet rate of every path, then TCP and latency
# of every path: a packet rate never follows another path's TCP run (a
# minute of both CPUs at full load) while the others follow a light one.
KINDS=${L2_KINDS:-"xdp bare-xdp tc bare-tc linux"}
for r in $(seq 1 "$ROUNDS"); do
	for k in $KINDS; do
		log "l2 round $r: $k"
		setup "$k"
		record l2 pps-1flow "$k" pps "$(pps 1)"
		teardown "$k"
	done
	for k in $KINDS; do
		[[ $k != bare-* ]] || continue	# a bare redirect carries one way
		log "l2 round $r: $k, TCP and latency"
		setup "$k"
		tcp_latency l2 "$k" "$SINK" "$GEN" $LAN_IP
		teardown "$k"
	done
done
