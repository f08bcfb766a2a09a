#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# NAT mode, port forwards and hairpin: "forward = tcp 8080
# 192.168.100.10:80" and "forward = udp 5353 192.168.100.10:53". From the
# outside, 203.0.113.2:8080 and :5353 reach VM1's servers, which see the
# real outside address (203.0.113.1) — also before VM1 has sent anything
# itself; port 80 of the uplink address is not forwarded. Hairpin
# (RFC 4787 REQ-9): VM2, and VM1 itself, reach VM1's servers through
# 203.0.113.2:8080 and :5353, and VM1 sees them as 203.0.113.2 (the
# outside address, RFC 4787 REQ-9b). Once with attach = xdp, once with
# attach = tc.
#
#   outside                   host                                 vm1
#  +---------------+         +--------------------------------+   +-----------------+
#  | out0          |  veth   | up0  203.0.113.2  (uplink)     |   | eth0  .100.10   |
#  | 203.0.113.1   |---------|   tcp 8080 -> 192.168.100.10:80|   | http :80        |
#  | curl, udp     |         |   udp 5353 -> 192.168.100.10:53|   | udp echo :53    |
#  +---------------+         |  xvnet network "nat0"    vm1p  |---|                 |
#                            |  192.168.100.0/24        vm2p  |-+ +-----------------+
#                            |  xv-nat0 192.168.100.1         | | vm2
#                            +--------------------------------+ | +-----------------+
#                                                               +-| eth0  .100.11   |
#                                                                 | curl, udp       |
#                                                                 +-----------------+

. "$(dirname "$0")/../lib/ns.sh"
xvt_init
need ping ethtool curl python3 jq

H=$PFX-host OUT=$PFX-out VM1=$PFX-vm1 VM2=$PFX-vm2

# reaches NS URL WANT_SERVER WANT_CLIENT_IP: GET URL from NS is answered
# by WANT_SERVER, which saw the client as WANT_CLIENT_IP.
reaches() {
	local ns=$1 url=$2 server=$3 client=$4
	whoami "$ns" "$url" || return 1
	if [ "$WHO_NAME" != "$server" ]; then
		CHECK_WHY="$url answered by '$WHO_NAME', want $server"
		return 1
	fi
	if [ "$WHO_IP" != "$client" ]; then
		CHECK_WHY="$server saw the client as $WHO_IP:$WHO_PORT, want $client"
		return 1
	fi
	CHECK_NOTE="$server saw $WHO_IP:$WHO_PORT"
}

# udp_reaches NS DEST PORT WANT_CLIENT_IP: a UDP request from NS to
# DEST:PORT is answered by vm1's echo server, which saw WANT_CLIENT_IP.
udp_reaches() {
	local ns=$1 dst=$2 port=$3 want=$4 out rc name ip cport
	out=$(py_run "$ns" 10 udp-send "$dst" "$port" 2>&1)
	rc=$?
	echo "$out"
	if [ $rc -ne 0 ]; then
		CHECK_WHY="UDP $dst:$port from $ns: $(tail -n 1 <<<"$out") (exit $rc)"
		return 1
	fi
	read -r name ip cport _ <<<"$(tail -n 1 <<<"$out")"
	if [ "$name" != vm1 ] || [ "$ip" != "$want" ]; then
		CHECK_WHY="answered by '$name', which saw $ip:$cport; want vm1 seeing $want"
		return 1
	fi
	CHECK_NOTE="vm1 saw $ip:$cport"
}

# not_reached NS DEST PORT: no TCP connection from NS to DEST:PORT.
not_reached() {
	local out
	out=$(py_run "$1" 10 tcp-try "$2" "$3" 2 2>&1)
	local rc=$?
	echo "$out"
	[ $rc -ne 0 ] && return 0
	CHECK_WHY="$1 connected to $2:$3, which is not forwarded"
	return 1
}

round() {
	local t="[$ATTACH]" conf=$TMP/nat.conf url=http://$NAT_UP:8080/whoami

	setup "nat-fwd-topology$t" nat_world || return
	nat_conf "$conf" "forward = tcp 8080 $NAT_VM1:80" "forward = udp 5353 $NAT_VM1:53"
	py_in "$VM1" http-vm1 http vm1 80
	py_in "$VM1" udp-vm1 udp-echo vm1 53
	setup "nat-fwd-servers$t" wait_listen "$VM1" 80 10
	setup "nat-fwd-servers$t" wait_udp "$VM1" 53 10
	up_check "nat-fwd-up$t" "$H" "$conf"

	# From outside, first thing after up: VM1 has not sent anything yet
	# (a VM with a static address that only serves), so its MAC is
	# nowhere but in its own ARP answer.
	check "nat-fwd-tcp-vm-silent$t" reaches "$OUT" "$url" vm1 "$NAT_OUT"
	# And once VM1 has spoken.
	check "nat-fwd-vm1-pings-gateway$t" ping_ok "$VM1" "$NAT_GW"
	check "nat-fwd-tcp-from-outside$t" reaches "$OUT" "$url" vm1 "$NAT_OUT"
	check "nat-fwd-udp-from-outside$t" udp_reaches "$OUT" "$NAT_UP" 5353 "$NAT_OUT"
	check "nat-fwd-only-configured$t" not_reached "$OUT" "$NAT_UP" 80

	# Hairpin: through the uplink address from inside.
	check "nat-fwd-hairpin-tcp-vm2$t" reaches "$VM2" "$url" vm1 "$NAT_UP"
	check "nat-fwd-hairpin-tcp-self$t" reaches "$VM1" "$url" vm1 "$NAT_UP"
	check "nat-fwd-hairpin-udp-vm2$t" udp_reaches "$VM2" "$NAT_UP" 5353 "$NAT_UP"
}

for_each_attach round
