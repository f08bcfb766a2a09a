#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# NAT mode, the everyday traffic: VMs reach the gateway, each other and the
# outside; what leaves carries the uplink's address (a capture in the
# outside namespace never sees 192.168.x, and the outside has no route
# back to it); HTTP and UDP servers outside report 203.0.113.2 as their
# client; a fragmented UDP exchange; two VMs on the same inside port get
# different outside ports; iperf3 both ways with the VMs' offloads at
# their defaults; "xvnet nat --json" lists the sessions; the host's own
# traffic on the uplink goes on untouched. Once with attach = xdp, once
# with attach = tc.
#
#   outside                   host                                 vm1
#  +---------------+         +--------------------------------+   +---------------+
#  | out0          |  veth   | up0  203.0.113.2  (uplink)     |   | eth0          |
#  | 203.0.113.1   |---------|                                |   | .100.10       |
#  | no route to   |         |  xvnet network "nat0"    vm1p  |---| gw .100.1     |
#  | 192.168.100/24|         |  192.168.100.0/24        vm2p  |-+ +---------------+
#  | http :8000    |         |  xv-nat0 192.168.100.1         | | vm2
#  | udp echo :7000|         |  (host adapter, made by xvnet) | | +---------------+
#  | iperf3 -s     |         |  http :8001 (host's own)       | +-| eth0  .100.11 |
#  +---------------+         +--------------------------------+   +---------------+
#   ^ tcpdump: nothing from or to 192.168.0.0/16, ever

. "$(dirname "$0")/../lib/ns.sh"
xvt_init
need ping ethtool curl iperf3 python3 jq tcpdump

H=$PFX-host OUT=$PFX-out VM1=$PFX-vm1 VM2=$PFX-vm2

# ping_translated: VM1 pings the outside; the capture on out0 sees the
# echo requests from 203.0.113.2, no other source, nothing of 192.168.x.
ping_translated() {
	local n leak other
	cap_start "$OUT" out0 ping icmp || { CHECK_WHY="tcpdump did not start"; return 1; }
	ping_ok "$VM1" "$NAT_OUT"
	local rc=$?
	cap_stop "$CAP_PID"
	[ $rc -eq 0 ] || return 1
	n=$(cap_count ping "icmp[icmptype] == icmp-echo and src host $NAT_UP")
	leak=$(cap_count ping "net 192.168.0.0/16")
	other=$(cap_count ping "not src host $NAT_OUT and not src host $NAT_UP")
	cap_show ping
	if [ "$leak" != 0 ]; then
		CHECK_WHY="$leak packet(s) with a 192.168.x address on the outside"
		return 1
	fi
	if [ "$other" != 0 ]; then
		CHECK_WHY="$other ICMP packet(s) from neither $NAT_OUT nor $NAT_UP on the outside"
		return 1
	fi
	if [ "$n" -lt 3 ]; then
		CHECK_WHY="the outside saw $n echo request(s) from $NAT_UP, want 3"
		return 1
	fi
	CHECK_NOTE="outside saw $n requests from $NAT_UP"
}

# xdp_fast_path: with attach=xdp, XDP itself translated pings of the live
# session both ways (after tc made it): nat_xdp counts them.
xdp_fast_path() {
	local n
	ping_ok "$VM1" "$NAT_OUT" || return 1
	n=$(xv "$H" status -c "$TMP/nat.conf" --json |
		jq -r '.networks[] | select(.name == "nat0") | .counters.nat_xdp')
	if [ -z "$n" ] || [ "$n" = null ] || [ "$n" -lt 2 ]; then
		CHECK_WHY="nat_xdp is '$n' after pings through a live session, want 2 or more"
		return 1
	fi
	CHECK_NOTE="nat_xdp $n"
}

# http_from NS URL WANT_IP [PORT_LO PORT_HI] [CURL ARGS...]: the outside
# server saw WANT_IP as the client, and a client port in PORT_LO..PORT_HI.
http_from() {
	local ns=$1 url=$2 want=$3 lo=$4 hi=$5
	shift 5
	whoami "$ns" "$url" "$@" || return 1
	if [ "$WHO_IP" != "$want" ]; then
		CHECK_WHY="the server saw client $WHO_IP:$WHO_PORT, want $want"
		return 1
	fi
	if [ "$WHO_PORT" -lt "$lo" ] || [ "$WHO_PORT" -gt "$hi" ]; then
		CHECK_WHY="the server saw client port $WHO_PORT, want $lo-$hi"
		return 1
	fi
	CHECK_NOTE="server saw $WHO_IP:$WHO_PORT"
}

# udp_echo_from NS WANT_IP SIZE [UDP-SEND ARGS...]: a UDP request of SIZE
# bytes to the outside echo server; the reply comes back intact and the
# server saw WANT_IP. Sets UDP_PORT to the client port the server saw.
udp_echo_from() {
	local ns=$1 want=$2 size=$3 out rc ip
	shift 3
	out=$(py_run "$ns" 10 udp-send "$NAT_OUT" 7000 --size "$size" "$@" 2>&1)
	rc=$?
	echo "$out"
	if [ $rc -ne 0 ]; then
		CHECK_WHY="udp-send $size bytes to $NAT_OUT:7000 from $ns: $(tail -n 1 <<<"$out") (exit $rc)"
		return 1
	fi
	read -r _ ip UDP_PORT _ <<<"$(tail -n 1 <<<"$out")"
	if [ "$ip" != "$want" ]; then
		CHECK_WHY="the echo server saw $ip:$UDP_PORT, want $want"
		return 1
	fi
	CHECK_NOTE="server saw $ip:$UDP_PORT, $size bytes echoed intact"
}

# udp_collision: VM1 and VM2 both send from inside port 45300; both get
# their replies, from two different outside ports.
udp_collision() {
	local p1 p2
	udp_echo_from "$VM1" "$NAT_UP" 16 --bind 45300 || return 1
	p1=$UDP_PORT
	udp_echo_from "$VM2" "$NAT_UP" 16 --bind 45300 || return 1
	p2=$UDP_PORT
	if [ "$p1" = "$p2" ]; then
		CHECK_WHY="both VMs' 45300 mapped to outside port $p1"
		return 1
	fi
	CHECK_NOTE="outside ports $p1 and $p2"
}

# port_preserved SEEN WANT: the outside port is the inside one (free, and
# inside nat_ports).
port_preserved() {
	[ "$1" = "$2" ] && return 0
	CHECK_WHY="inside port $2 left as ${1:-nothing}, want $2 (free and inside nat_ports)"
	return 1
}

# no_leak: the round-long capture on out0 saw no 192.168.x address.
no_leak() {
	local n
	cap_stop "$LEAK_PID"
	n=$(cap_count leak "net 192.168.0.0/16")
	cap_show leak "net 192.168.0.0/16"
	if [ "$n" != 0 ]; then
		CHECK_WHY="$n packet(s) with a 192.168.x address reached the outside"
		return 1
	fi
}

round() {
	local t="[$ATTACH]" conf=$TMP/nat.conf lo=${NAT_PORTS%-*} hi=${NAT_PORTS#*-}
	local http_port udp_port

	setup "nat-topology$t" nat_world || return
	nat_conf "$conf"
	check "nat-outside-has-no-route$t" no_route "$OUT" "$NAT_VM1"
	up_check "nat-up$t" "$H" "$conf"
	setup "nat-leak-capture$t" cap_start "$OUT" out0 leak "net 192.168.0.0/16"
	LEAK_PID=$CAP_PID
	py_in "$OUT" http-out http out 8000
	py_in "$OUT" udp-out udp-echo out 7000
	py_in "$H" http-host http host 8001
	setup "nat-servers$t" wait_listen "$OUT" 8000 10
	setup "nat-servers$t" wait_udp "$OUT" 7000 10
	setup "nat-servers$t" wait_listen "$H" 8001 10

	check "nat-ping-gateway$t" ping_ok "$VM1" "$NAT_GW"
	check "nat-ping-vm-vm$t" ping_ok "$VM1" "$NAT_VM2"
	check "nat-host-pings-vm$t" ping_ok "$H" "$NAT_VM2"
	check "nat-ping-outside-translated$t" ping_translated
	if [ "$ATTACH" = xdp ]; then
		check "nat-xdp-fast-path$t" xdp_fast_path
	fi
	check "nat-ping-outside-vm2$t" ping_ok "$VM2" "$NAT_OUT"

	# HTTP: the server outside reports the address it saw.
	check "nat-http-translated$t" http_from "$VM1" \
		"http://$NAT_OUT:8000/whoami" "$NAT_UP" 1 65535 --local-port 45100
	http_port=$WHO_PORT
	check "nat-port-preserved$t" port_preserved "$http_port" 45100
	check "nat-port-in-range$t" http_from "$VM2" \
		"http://$NAT_OUT:8000/whoami" "$NAT_UP" "$lo" "$hi" --local-port 33000

	# UDP request/reply, a fragmented one, and two VMs on one inside port.
	check "nat-udp$t" udp_echo_from "$VM1" "$NAT_UP" 16 --bind 45200
	udp_port=$UDP_PORT
	check "nat-udp-fragmented$t" udp_echo_from "$VM1" "$NAT_UP" 3000
	check "nat-udp-port-collision$t" udp_collision

	check "nat-iperf-vm-to-outside$t" iperf_run "$OUT" "$NAT_OUT" "$VM1" 2
	check "nat-iperf-outside-to-vm$t" iperf_run "$OUT" "$NAT_OUT" "$VM1" 2 -R

	# The sessions, as the loader lists them.
	check "nat-json-icmp-session$t" nat_has "$conf" icmp "$NAT_VM1" "" "$NAT_OUT" ""
	check "nat-json-tcp-session$t" nat_has "$conf" tcp "$NAT_VM1" 45100 "$NAT_OUT" "$http_port"
	check "nat-json-udp-session$t" nat_has "$conf" udp "$NAT_VM1" 45200 "$NAT_OUT" "$udp_port"

	# The host's own traffic on the uplink: out and in, untranslated (its
	# ports are its own ephemeral ones, below nat_ports).
	check "nat-host-ping-outside$t" ping_ok "$H" "$NAT_OUT"
	check "nat-host-http-outside$t" http_from "$H" \
		"http://$NAT_OUT:8000/whoami" "$NAT_UP" 32768 39999
	check "nat-host-server-from-outside$t" http_from "$OUT" \
		"http://$NAT_UP:8001/whoami" "$NAT_OUT" 1 65535

	check "nat-nothing-private-outside$t" no_leak
}

for_each_attach round
