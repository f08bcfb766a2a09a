#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Scale that needs no traffic: the map memory one NAT session and one FDB
# entry take (from the maps' own key and value sizes, max_entries and the
# kernel's bytes_memlock: a session is its flow, plus its share of the
# fixed port array), and the time `xvnet up` and `xvnet down` take
# with 64 ports (a bridged network: the uplink and 63 VM ports, veths),
# attach=xdp and attach=tc interleaved.
#
# Usage: bench/scale.sh     (BENCH_ROUNDS: see bench/lib.sh)
. "$(dirname "$0")/lib.sh"

HOST=${P}h VMS=${P}v
ns_new "$HOST" "$VMS"
NPORTS=64
for i in $(seq 0 $((NPORTS - 1))); do
	ip -n "$HOST" link add "p$i" type veth peer name "v$i" netns "$VMS"
	ip -n "$VMS" link set "v$i" up
done
CONF=$TMP/xv.conf

# Memory: one up with the maps in place, read what the kernel says.
xv_conf_mem() {
	cat >"$CONF" <<-EOC
	[global]
	attach = tc
	pin_dir = $PIN
	[network lan]
	mode = bridge
	uplink = p0
	ports = p1
	[network nat0]
	mode = nat
	subnet = 192.168.100.0/24
	uplink = p2
	ports = p3
	EOC
}
ip -n "$HOST" addr add 203.0.113.2/24 dev p2
xv_conf_mem
xv_up "$HOST" "$CONF"
map_info() {	# NAME: key value max_entries bytes_memlock
	bpftool map show pinned "$PIN/$1" -j |
		jq -r '"\(.bytes_key) \(.bytes_value) \(.max_entries) \(.bytes_memlock)"'
}
for m in xv_fdb xv_nat_flow xv_nat_port; do
	read -r k v n b < <(map_info $m)
	record memory $m map key-bytes "$k"
	record memory $m map value-bytes "$v"
	record memory $m map max-entries "$n"
	record memory $m map memlock-bytes "$b"
done
xv_down "$HOST" "$CONF"
ip -n "$HOST" addr del 203.0.113.2/24 dev p2

# Up and down with 64 ports.
xv_conf64() {
	{
		echo "[global]"
		echo "attach = $1"
		echo "pin_dir = $PIN"
		echo "[network lan]"
		echo "mode = bridge"
		echo "uplink = p0"
		echo "ports = $(seq -f 'p%g' 1 $((NPORTS - 1)) | tr '\n' ' ')"
	} >"$CONF"
}
secs_of() {	# CMD...: wall-clock seconds it took
	local t0 t1
	t0=$(date +%s.%N)
	"$@"
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc -l | awk '{printf "%.3f", $1}'
}
for r in $(seq 1 "$ROUNDS"); do
	for k in xdp tc; do
		xv_conf64 "$k"
		_XV_CONFS+=("$HOST $CONF")
		record updown up-64-ports "$k" seconds "$(secs_of "$XV" -q -n "$HOST" -c "$CONF" up)"
		record updown down-64-ports "$k" seconds "$(secs_of "$XV" -q -n "$HOST" -c "$CONF" down)"
	done
done
