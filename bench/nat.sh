#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# NAT benchmark: xvnet NAT (attach=xdp, attach=tc) against the Linux way, a
# bridge with the gateway address plus routing and nftables masquerade, on
# the same veth topology, rounds interleaved, medians and ratios.
#
#   [gen = the VM]  g0 ==veth== vmp [host] up0 ==veth== s0 [sink = outside]
#   192.168.100.10       gateway .1    203.0.113.2          203.0.113.1
#
# trafgen sends 60-byte UDP from the VM to the outside through its gateway
# (one flow); the sink counts what arrives (translated) and drops it at tc
# ingress. TCP: one iperf3 stream VM -> outside, every offload at its default.
#
# Usage: bench/nat.sh [ROUNDS] [SECONDS]     (defaults 5 rounds of 3 s)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
ROUNDS=${1:-5}
SECS=${2:-3}
XV=$PWD/build/xvnet
P=xvn$$
GEN=${P}g HOST=${P}h SINK=${P}s SINK_IP=203.0.113.1
PIN=/sys/fs/bpf/${P}
OUT=build/bench
mkdir -p "$OUT"
TMP=$(mktemp -d)

cleanup() {
	"$XV" -q -n "$HOST" -c "$TMP/xv.conf" down >/dev/null 2>&1 || true
	for ns in "$GEN" "$HOST" "$SINK"; do ip netns del "$ns" 2>/dev/null || true; done
	rm -rf "$TMP"
}
trap cleanup EXIT

for ns in "$GEN" "$HOST" "$SINK"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
ip -n "$HOST" link add vmp type veth peer name g0 netns "$GEN"
ip -n "$HOST" link add up0 type veth peer name s0 netns "$SINK"
ip -n "$HOST" link set vmp up
ip -n "$HOST" link set up0 up
ip -n "$HOST" addr add 203.0.113.2/24 dev up0
ip netns exec "$HOST" sysctl -qw net.ipv4.ip_local_port_range="32768 39999"
ip -n "$GEN" link set g0 up
ip -n "$GEN" addr add 192.168.100.10/24 dev g0
ip -n "$GEN" route add default via 192.168.100.1
ip -n "$SINK" link set s0 up
ip -n "$SINK" addr add 203.0.113.1/24 dev s0
ip netns exec "$SINK" ethtool -K s0 gro on >/dev/null
ip netns exec "$GEN" ethtool -K g0 gro on >/dev/null
SINK_MAC=$(ip -n "$SINK" -j link show s0 | jq -r '.[0].address')
GEN_MAC=$(ip -n "$GEN" -j link show g0 | jq -r '.[0].address')
# The sink drops everything during a round, ARP included: resolve it for good.
ip -n "$HOST" neigh replace 203.0.113.1 lladdr "$SINK_MAC" dev up0 nud permanent

cat > "$TMP/xv.conf.in" <<EOC
[global]
attach = ATTACH
pin_dir = $PIN
[network nat0]
mode = nat
subnet = 192.168.100.0/24
gateway = 192.168.100.1
uplink = up0
ports = vmp
nat_ports = 40000-49999
EOC

frame() {	# the frame trafgen sends: to the gateway's MAC
	cat > "$TMP/frame.cfg" <<EOC
{ eth(da=$1, sa=$GEN_MAC), ipv4(saddr=192.168.100.10, daddr=203.0.113.1, ttl=64), udp(sp=4000, dp=9), fill(0x00, 18) }
EOC
}

setup() {	# $1: xdp | tc | linux
	local gw_mac
	case $1 in
	linux)
		ip -n "$HOST" link add br0 type bridge
		ip -n "$HOST" link set vmp master br0
		ip -n "$HOST" addr add 192.168.100.1/24 dev br0
		ip -n "$HOST" link set br0 up
		ip netns exec "$HOST" sysctl -qw net.ipv4.ip_forward=1
		ip netns exec "$HOST" nft -f - <<-EON
		table ip xvbench {
			chain post {
				type nat hook postrouting priority 100;
				ip saddr 192.168.100.0/24 oifname "up0" masquerade
			}
		}
		EON
		gw_mac=$(ip -n "$HOST" -j link show br0 | jq -r '.[0].address') ;;
	*)
		sed "s/ATTACH/$1/" "$TMP/xv.conf.in" > "$TMP/xv.conf"
		"$XV" -q -n "$HOST" -c "$TMP/xv.conf" up
		gw_mac=$(ip -n "$HOST" -j link show xv-nat0 | jq -r '.[0].address') ;;
	esac
	frame "$gw_mac"
	ip -n "$GEN" neigh flush dev g0
	for _ in $(seq 1 50); do
		ip netns exec "$GEN" ping -c1 -W1 203.0.113.1 >/dev/null 2>&1 && break
		sleep 0.2
	done
}

teardown() {
	case $1 in
	linux)
		ip netns exec "$HOST" nft delete table ip xvbench
		ip netns exec "$HOST" sysctl -qw net.ipv4.ip_forward=0
		ip -n "$HOST" link del br0 ;;
	*) "$XV" -q -n "$HOST" -c "$TMP/xv.conf" down ;;
	esac
}

KINDS="xdp tc linux"
BASE=linux
kind_name() {
	case $1 in
	linux) echo "bridge + nftables masquerade" ;;
	*) echo "xvnet NAT, attach=$1" ;;
	esac
}
run_rounds
print_table "$OUT/nat.md" "60-byte UDP (one flow) from trafgen -P 2 in the VM to the outside, counted at the sink; TCP: iperf3 VM -> outside, one stream, offloads at defaults."
