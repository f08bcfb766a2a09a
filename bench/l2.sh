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
ROUNDS=${1:-5}
SECS=${2:-3}
XV=$PWD/build/xvnet
P=xvb$$
GEN=${P}g HOST=${P}h SINK=${P}s
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

rx_packets() {
	ip -n "$SINK" -s -j link show s0 | jq '.[0].stats64.rx.packets'
}

# trafgen exits on the EAGAIN a backpressuring veth returns (an XDP port's
# ring is full): keep it running for the whole window by restarting it in a
# loop, in a process group of its own so that it can be stopped whole.
generate() {
	local stop=$1
	while [ ! -e "$stop" ]; do
		ip netns exec "$GEN" trafgen --no-sock-mem --notouch-irq -C -P 2 \
			-i "$TMP/frame.cfg" -o g0 >>"$TMP/trafgen.log" 2>&1
		echo restart >>"$TMP/restarts"
	done
}

pps_round() {
	local before after pid
	tc -n "$SINK" qdisc add dev s0 clsact
	tc -n "$SINK" filter add dev s0 ingress bpf da obj build/bench/sink.bpf.o sec tc
	rm -f "$TMP/stop" "$TMP/restarts"
	setsid bash -c "$(declare -f generate); GEN=$GEN TMP=$TMP generate $TMP/stop" &
	pid=$!
	sleep 1		# ramp-up, not counted
	before=$(rx_packets)
	sleep "$SECS"
	after=$(rx_packets)
	touch "$TMP/stop"
	kill -INT -- -"$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	tc -n "$SINK" qdisc del dev s0 clsact
	echo "  trafgen restarts: $(cat "$TMP/restarts" 2>/dev/null | wc -l)" >&2
	echo $(( (after - before) / SECS ))
}

tcp_round() {
	ip netns exec "$SINK" timeout $((SECS + 10)) iperf3 -s -1 -B 198.18.0.2 >/dev/null 2>&1 &
	local pid=$!
	sleep 0.5
	ip netns exec "$GEN" timeout $((SECS + 8)) iperf3 -c 198.18.0.2 -t "$SECS" -J 2>/dev/null |
		jq '.end.sum_received.bits_per_second / 1e9 * 100 | round / 100'
	wait "$pid" 2>/dev/null || true
}

KINDS="xdp bare-xdp tc bare-tc linux"
declare -A PPS TCP
for r in $(seq 1 "$ROUNDS"); do
	for k in $KINDS; do
		setup "$k"
		pps=$(pps_round)
		case $k in
		bare-*) tcp=0 ;;	# one-way programs: no TCP through them
		*) tcp=$(tcp_round) ;;
		esac
		if ! [[ $pps =~ ^[0-9]+$ && $tcp =~ ^[0-9.]+$ ]]; then
			echo "round $r $k: no measurement (pps '$pps', tcp '$tcp')" >&2
			exit 1
		fi
		PPS[$k]+="$pps "
		TCP[$k]+="$tcp "
		teardown "$k"
		echo "round $r $k: $pps pps, $tcp Gbit/s" >&2
	done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
minmax() { tr ' ' '\n' | grep -v '^$' | sort -g | awk 'NR==1{lo=$1} {hi=$1} END {print lo "-" hi}'; }

lin_pps=$(echo "${PPS[linux]}" | median)
lin_tcp=$(echo "${TCP[linux]}" | median)
{
	echo "| path | Mpps (median, min-max) | vs Linux bridge | TCP Gbit/s (median, min-max) | vs Linux bridge |"
	echo "|---|---|---|---|---|"
	for k in $KINDS; do
		p=$(echo "${PPS[$k]}" | median); t=$(echo "${TCP[$k]}" | median)
		case $k in
		linux) name="Linux bridge" ;;
		bare-*) name="bare ${k#bare-} redirect (ceiling)" ;;
		*) name="xvnet bridged, attach=$k" ;;
		esac
		if [[ $k == bare-* ]]; then
			tcp_cols="n/a (one-way) | -"
		else
			tcp_cols=$(printf "%.2f (%s) | %.2fx" "$t" "$(echo "${TCP[$k]}" | minmax)" \
				"$(echo "$t / $lin_tcp" | bc -l)")
		fi
		printf "| %s | %.2f (%s) | %.2fx | %s |\n" "$name" \
			"$(echo "$p / 1000000" | bc -l)" \
			"$(echo "${PPS[$k]}" | minmax | awk -F- '{printf "%.2f-%.2f", $1/1e6, $2/1e6}')" \
			"$(echo "$p / $lin_pps" | bc -l)" "$tcp_cols"
	done
	echo
	echo "$ROUNDS rounds of ${SECS}s, interleaved; 60-byte UDP from trafgen -P 2 (restarted when veth backpressure stops it) into the uplink, counted at the sink; TCP: iperf3, one stream, offloads at defaults."
} | tee "$OUT/l2.md"
