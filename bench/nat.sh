#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# NAT: xvnet NAT (attach=xdp, attach=tc) against the Linux way, a bridge
# with the gateway address plus routing and nftables masquerade, and bare
# redirect programs (no translation: the ceilings), on one veth topology,
# rounds interleaved. Then the scale rounds: the packet rate with 1, 10k,
# 100k and 1M live sessions in the tables.
#
#   [gen = the VM]  g0 ==veth== vmp [host] up0 ==veth== s0  [sink = outside]
#   192.168.100.10       gateway .1    203.0.113.2           203.0.113.1
#
# The generator sends 60-byte UDP from the VM to the outside through its
# gateway, one flow or 10 000 (source ports 10000-19999, round robin); the
# sink counts what arrives (translated) and drops it. TCP (iperf3, 1 and 4
# streams) and latency (sockperf ping-pong) run VM -> outside, offloads at
# their defaults.
#
# Usage: bench/nat.sh     (BENCH_ROUNDS, BENCH_SECS: see bench/lib.sh;
#                          NAT_SCALE="1 10000 100000 1000000" session counts,
#                          empty for none)
. "$(dirname "$0")/lib.sh"

GEN=${P}g HOST=${P}h SINK=${P}s
GEN_IF=g0 SINK_IF=s0 VM_IP=192.168.100.10 OUT_IP=203.0.113.1
ns_new "$GEN" "$HOST" "$SINK"
veth2 "$HOST" vmp "$GEN" g0
veth2 "$HOST" up0 "$SINK" s0
ip -n "$HOST" addr add 203.0.113.2/24 dev up0
ip netns exec "$HOST" sysctl -qw net.ipv4.ip_local_port_range="60000 65000"
ip -n "$GEN" addr add $VM_IP/24 dev g0
ip -n "$GEN" route add default via 192.168.100.1
ip -n "$SINK" addr add $OUT_IP/24 dev s0
ip -n "$SINK" route add 192.168.100.0/24 via 203.0.113.2	# bare: replies
# The sink drops everything during a round, ARP included: resolve it for good.
ip -n "$HOST" neigh replace $OUT_IP lladdr "$(mac_of "$SINK" s0)" dev up0 nud permanent
GEN_SMAC=$(mac_of "$GEN" g0) GEN_SADDR=$VM_IP GEN_DADDR=$OUT_IP
CONF=$TMP/xv.conf

# The flow table's size (nat_sessions): the default, but for the scale
# rounds, whose largest step must fit in it.
NAT_TABLE=65536
xv_conf() {
	cat >"$CONF" <<-EOC
	[global]
	attach = $1
	pin_dir = $PIN
	nat_sessions = $NAT_TABLE
	[network nat0]
	mode = nat
	subnet = 192.168.100.0/24
	gateway = 192.168.100.1
	uplink = up0
	ports = vmp
	nat_ports = 20000-59999
	max_sessions = 65536
	EOC
}

setup() {
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
		GEN_DMAC=$(mac_of "$HOST" br0) ;;
	bare-*)
		bare_up "$HOST" vmp up0 "${1#bare-}"
		GEN_DMAC=$(mac_of "$HOST" vmp)
		return ;;
	*)
		xv_conf "$1"
		xv_up "$HOST" "$CONF"
		GEN_DMAC=$(mac_of "$HOST" xv-nat0) ;;
	esac
	ip -n "$GEN" neigh flush dev g0
	wait_path "$GEN" $OUT_IP
}

teardown() {
	case $1 in
	linux)
		ip netns exec "$HOST" nft delete table ip xvbench
		ip netns exec "$HOST" sysctl -qw net.ipv4.ip_forward=0
		ip netns exec "$HOST" conntrack -F >/dev/null 2>&1 || true
		ip -n "$HOST" link del br0 ;;
	bare-*) bare_down "$HOST" vmp "${1#bare-}" ;;
	*) xv_down "$HOST" "$CONF" ;;
	esac
}

xv_conf auto
xv_up "$HOST" "$CONF"
record nat auto auto attach-vm-port "$(xv_attach_of "$HOST" "$CONF" vmp)"
record nat auto auto attach-uplink "$(xv_attach_of "$HOST" "$CONF" up0)"
xv_down "$HOST" "$CONF"

# Packet rates of every path first, then TCP and latency (as in l2.sh).
KINDS=${NAT_KINDS:-"xdp tc linux bare-xdp bare-tc"}
for r in $(seq 1 "$ROUNDS"); do
	for k in $KINDS; do
		log "nat round $r: $k"
		setup "$k"
		record nat pps-1flow "$k" pps "$(pps 1)"
		if [[ $k != bare-* ]]; then	# a bare redirect reads no flow
			record nat pps-10kflows "$k" pps "$(pps 10000)"
		fi
		teardown "$k"
	done
	for k in $KINDS; do
		[[ $k != bare-* ]] || continue	# a bare redirect translates nothing
		log "nat round $r: $k, TCP and latency"
		setup "$k"
		tcp_latency nat "$k" "$GEN" "$SINK" $OUT_IP
		teardown "$k"
	done
done

# Scale: the same one-flow stream with N sessions live in the tables (the
# others idle, written by bench/natfill.c into the pinned maps), the table
# grown step by step within each round; the flow table made large enough
# for the largest step (nat_sessions). What the maps actually hold after
# each step is recorded too: a map holds at most max_entries.
SCALE=${NAT_SCALE-"1 10000 100000 1000000"}
if [ -n "$SCALE" ]; then
	NAT_TABLE=1
	for n in $SCALE; do
		[ "$n" -lt "$NAT_TABLE" ] || NAT_TABLE=$((n + 1))
	done
	[ "$NAT_TABLE" -ge 65536 ] || NAT_TABLE=65536
	for r in $(seq 1 "$ROUNDS"); do
		for k in xdp tc; do
			log "nat scale round $r: $k"
			setup "$k"
			sink_on
			gen_run 0.2 1	# the stream's own session, before the fill
			sink_off
			have=1
			for n in $SCALE; do
				if [ "$n" -gt "$have" ]; then
					read -r flows maps _ < <(build/bench/natfill "$PIN" 1 $((have - 1)) $((n - 1)))
					have=$n
					[ "$r" = 1 ] && record scale "sessions-$n" "$k" held-flows "$((flows))" &&
						record scale "sessions-$n" "$k" held-mappings "$maps"
				fi
				record scale "sessions-$n" "$k" pps "$(pps 1)"
			done
			teardown "$k"
		done
	done
fi
