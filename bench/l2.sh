#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# L2 forwarding benchmark: xvnet bridged (attach=xdp, attach=tc) against a
# Linux bridge and against bare redirect programs with no logic (the
# ceilings, bench/bare.bpf.c), on the same veth topology, rounds interleaved,
# medians and ratios. Absolute numbers depend on the machine; ratios are the
# point.
#
#   [gen] g0 ==veth== gp [host] sp ==veth== s0 [sink]
#                     \___ forwarding ___/
#
# gp is the network's uplink (a veth standing in for a NIC: trafgen writes
# frames with complete checksums, as a wire does), sp a VM port. The sink
# counts what arrives (veth rx counter) and drops it with a tc ingress BPF
# program (bench/sink.bpf.c), with GRO
# on (an XDP redirect into a veth needs the receiving side NAPI-ready).
# TCP: iperf3 gen -> sink with every offload at its default.
#
# Usage: bench/l2.sh [ROUNDS] [SECONDS]     (defaults 5 rounds of 3 s)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
ROUNDS=${1:-5}
SECS=${2:-3}
XV=$PWD/build/xvnet
P=xvb$$
GEN=${P}g HOST=${P}h SINK=${P}s SINK_IP=198.18.0.2
PIN=/sys/fs/bpf/${P}
OUT=build/bench
mkdir -p "$OUT"
TMP=$(mktemp -d)
PIDS=()

cleanup() {
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	"$XV" -q -n "$HOST" -c "$TMP/xv.conf" down >/dev/null 2>&1 || true
	rm -rf "$BARE"
	for ns in "$GEN" "$HOST" "$SINK"; do ip netns del "$ns" 2>/dev/null || true; done
	rm -rf "$TMP"
}
trap cleanup EXIT

for ns in "$GEN" "$HOST" "$SINK"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
ip -n "$HOST" link add gp type veth peer name g0 netns "$GEN"
ip -n "$HOST" link add sp type veth peer name s0 netns "$SINK"
ip -n "$HOST" link set gp up
ip -n "$HOST" link set sp up
ip -n "$GEN" link set g0 up
ip -n "$GEN" addr add 198.18.0.1/24 dev g0
ip -n "$SINK" link set s0 up
ip -n "$SINK" addr add 198.18.0.2/24 dev s0
ip netns exec "$SINK" ethtool -K s0 gro on >/dev/null
ip netns exec "$GEN" ethtool -K g0 gro on >/dev/null
SINK_MAC=$(ip -n "$SINK" -j link show s0 | jq -r '.[0].address')
GEN_MAC=$(ip -n "$GEN" -j link show g0 | jq -r '.[0].address')

cat > "$TMP/frame.cfg" <<EOC
{ eth(da=$SINK_MAC, sa=$GEN_MAC), ipv4(saddr=198.18.0.1, daddr=198.18.0.2, ttl=64), udp(sp=4000, dp=9), fill(0x00, 18) }
EOC

BARE=/sys/fs/bpf/${P}-bare
in_host() { nsenter --net=/run/netns/"$HOST" "$@"; }

# A bare program on gp redirecting everything to sp. Loaded with bpftool
# inside the host namespace, so the devmap resolves sp's ifindex there.
bare_up() {	# $1: xdp | tc
	local sp_idx
	sp_idx=$(ip -n "$HOST" -j link show sp | jq '.[0].ifindex')
	in_host bpftool prog loadall build/bench/bare.bpf.o "$BARE" pinmaps "$BARE/maps"
	in_host bpftool map update pinned "$BARE/maps/bare_tx" key 0 0 0 0 \
		value $(printf '%d %d %d %d' $((sp_idx & 255)) $((sp_idx >> 8 & 255)) 0 0)
	in_host bpftool map update pinned "$BARE/maps/bare_target" key 0 0 0 0 \
		value $(printf '%d %d %d %d' $((sp_idx & 255)) $((sp_idx >> 8 & 255)) 0 0)
	if [ "$1" = xdp ]; then
		in_host bpftool net attach xdpdrv pinned "$BARE/bare_xdp" dev gp
	else
		tc -n "$HOST" qdisc add dev gp clsact
		in_host tc filter add dev gp ingress bpf da pinned "$BARE/bare_tc"
	fi
}

bare_down() {
	if [ "$1" = xdp ]; then
		in_host bpftool net detach xdpdrv dev gp
	else
		tc -n "$HOST" qdisc del dev gp clsact
	fi
	rm -rf "$BARE"
}

xv_conf() {
	cat > "$TMP/xv.conf" <<EOC
[global]
attach = $1
pin_dir = $PIN
[network lan]
mode = bridge
uplink = gp
ports = sp
EOC
}

setup() {	# $1: xdp | tc | linux
	case $1 in
	linux)
		ip -n "$HOST" link add br0 type bridge
		ip -n "$HOST" link set gp master br0
		ip -n "$HOST" link set sp master br0
		ip -n "$HOST" link set br0 up ;;
	bare-xdp|bare-tc)
		bare_up "${1#bare-}"
		return ;;	# no learning needed: it sends everything to sp
	*)
		xv_conf "$1"
		"$XV" -q -n "$HOST" -c "$TMP/xv.conf" up ;;
	esac
	# Let both ends be learned, then wait for the bridge to forward.
	for _ in $(seq 1 50); do
		ip netns exec "$SINK" ping -c1 -W1 198.18.0.1 >/dev/null 2>&1 && break
		sleep 0.2
	done
}

teardown() {
	case $1 in
	linux) ip -n "$HOST" link del br0 ;;
	bare-xdp|bare-tc) bare_down "${1#bare-}" ;;
	*) "$XV" -q -n "$HOST" -c "$TMP/xv.conf" down ;;
	esac
}

KINDS="xdp bare-xdp tc bare-tc linux"
BASE=linux
kind_name() {
	case $1 in
	linux) echo "Linux bridge" ;;
	bare-*) echo "bare ${1#bare-} redirect (ceiling)" ;;
	*) echo "xvnet bridged, attach=$1" ;;
	esac
}
run_rounds
print_table "$OUT/l2.md" "60-byte UDP from trafgen -P 2 (restarted when veth backpressure stops it) into the uplink, counted at the sink; TCP: iperf3, one stream, offloads at defaults."
