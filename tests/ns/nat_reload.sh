#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# NAT mode, "xvnet reload" keeps every session. In flight during a reload
# to a changed config (one more forward, to VM2): VM1 downloading 8 MiB
# from the outside at 2 MiB/s, the outside downloading 8 MiB from VM1
# through the forward 203.0.113.2:8080, and a UDP mapping whose server
# answers again 4 s after the first exchange. Both downloads finish intact
# (sha256), the late UDP datagram arrives, "xvnet nat --json" lists the UDP
# mapping with the same outside port before and after, and the new forward
# works at once. Once with attach = xdp, once with attach = tc.
#
#   outside                   host                                 vm1
#  +---------------+         +--------------------------------+   +-----------------+
#  | out0          |  veth   | up0  203.0.113.2  (uplink)     |   | eth0  .100.10   |
#  | 203.0.113.1   |---------|   tcp 8080 -> 192.168.100.10:80|   | http :80 (blob) |
#  | http :8000    |         |   (reload adds                 |   | curl <- :8000   |
#  |  (blob)       |         |    tcp 8081 -> .100.11:80)     |   | udp :45200      |
#  | udp echo :7000|         |  xvnet network "nat0"    vm1p  |---|                 |
#  | curl <- :8080 |         |  192.168.100.0/24        vm2p  |-+ +-----------------+
#  +---------------+         |  xv-nat0 192.168.100.1         | | vm2
#                            +--------------------------------+ +-| http :80  .11   |
#                                                                 +-----------------+

. "$(dirname "$0")/../lib/ns.sh"
xvt_init
need ping ethtool curl python3 jq sha256sum

H=$PFX-host OUT=$PFX-out VM1=$PFX-vm1 VM2=$PFX-vm2
SIZE=8388608

# finish PID SECONDS: wait for a background process to end by itself;
# its exit status, or 124 if it is still running (then it is stopped).
finish() {
	local pid=$1 i
	for i in $(seq $(($2 * 10))); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		stop "$pid"
		return 124
	fi
	wait "$pid"
}

# in_flight FILE: the download into FILE has started and not finished.
in_flight() {
	local n
	n=$(stat -c %s "$1" 2>/dev/null || echo 0)
	echo "$(basename "$1"): $n of $SIZE bytes"
	[ "$n" -gt 0 ] && [ "$n" -lt "$SIZE" ]
}

# both_in_flight: wait up to 5 s until both downloads are under way.
both_in_flight() {
	wait_for 5 in_flight "$TMP/got-out" && wait_for 5 in_flight "$TMP/got-fwd"
	local rc=$?
	in_flight "$TMP/got-out"
	in_flight "$TMP/got-fwd"
	[ $rc -eq 0 ] || CHECK_WHY="downloads not both under way before the reload"
	return $rc
}

# download_ok PID LOG FILE: the download ended by itself with status 0
# and FILE is the blob.
download_ok() {
	local pid=$1 log=$2 file=$3 rc got
	finish "$pid" 20
	rc=$?
	cat "$TMP/$log.log"
	if [ $rc -ne 0 ]; then
		CHECK_WHY="curl exited $rc after $(stat -c %s "$file" 2>/dev/null || echo 0) of $SIZE bytes: $(tail -n 1 "$TMP/$log.log")"
		return 1
	fi
	got=$(sha256sum <"$file")
	if [ "$got" != "$WANT" ]; then
		CHECK_WHY="downloaded file differs ($(stat -c %s "$file") of $SIZE bytes)"
		return 1
	fi
	CHECK_NOTE="8 MiB intact"
}

# udp_port_seen: the outside port of VM1's UDP mapping, from the echo.
udp_port_seen() {
	local ip port
	wait_for 5 grep -q "^out $NAT_UP " "$TMP/udp-vm1.log" || {
		CHECK_WHY="no echo for VM1's UDP datagram: $(tail -n 1 "$TMP/udp-vm1.log")"
		cat "$TMP/udp-vm1.log"
		return 1
	}
	read -r _ ip port _ <<<"$(grep "^out $NAT_UP " "$TMP/udp-vm1.log")"
	UDP_PORT=$port
	CHECK_NOTE="outside port $port"
}

# late_arrived PID: the UDP client got the datagram sent after the reload.
late_arrived() {
	finish "$1" 10
	cat "$TMP/udp-vm1.log"
	grep -q "^from $NAT_OUT 7000: late" "$TMP/udp-vm1.log" && return 0
	CHECK_WHY="the datagram the server sent to the mapping after the reload did not arrive"
	return 1
}

# reaches URL VM: GET URL from the outside is answered by VM's server,
# which saw the outside address.
reaches() {
	whoami "$OUT" "$1" || return 1
	[ "$WHO_NAME" = "$2" ] && [ "$WHO_IP" = "$NAT_OUT" ] && return 0
	CHECK_WHY="$1 answered by '$WHO_NAME' seeing $WHO_IP, want $2 seeing $NAT_OUT"
	return 1
}

round() {
	local t="[$ATTACH]" c1=$TMP/nat.conf c2=$TMP/nat2.conf
	local dl_out dl_fwd udp port_before

	setup "nat-reload-topology$t" nat_world || return
	nat_conf "$c1" "forward = tcp 8080 $NAT_VM1:80"
	nat_conf "$c2" "forward = tcp 8080 $NAT_VM1:80" "forward = tcp 8081 $NAT_VM2:80"
	up_check "nat-reload-up$t" "$H" "$c1"
	py_in "$OUT" http-out http out 8000 "$TMP/www"
	py_in "$OUT" echo udp-echo out 7000 --late 4
	py_in "$VM1" http-vm1 http vm1 80 "$TMP/www"
	py_in "$VM2" http-vm2 http vm2 80
	setup "nat-reload-servers$t" wait_listen "$OUT" 8000 10
	setup "nat-reload-servers$t" wait_udp "$OUT" 7000 10
	setup "nat-reload-servers$t" wait_listen "$VM1" 80 10
	setup "nat-reload-servers$t" wait_listen "$VM2" 80 10
	[ -n "$XVT_BROKEN" ] && return
	# VM2, the new forward's target, has spoken (a forward to a VM that
	# never did is nat_forward's business, not this test's).
	check "nat-reload-vm2-pings-gateway$t" ping_ok "$VM2" "$NAT_GW"

	rm -f "$TMP/got-out" "$TMP/got-fwd"
	spawn_in "$VM1" dl-out timeout 30 curl -sS \
		-o "$TMP/got-out" "http://$NAT_OUT:8000/slow/blob"
	dl_out=$BG_PID
	spawn_in "$OUT" dl-fwd timeout 30 curl -sS \
		-o "$TMP/got-fwd" "http://$NAT_UP:8080/slow/blob"
	dl_fwd=$BG_PID
	py_in "$VM1" udp-vm1 udp-send "$NAT_OUT" 7000 --bind 45200 --listen 6
	udp=$BG_PID

	check "nat-reload-udp-mapped$t" udp_port_seen
	port_before=$UDP_PORT
	check "nat-reload-udp-listed-before$t" nat_has "$c1" udp "$NAT_VM1" 45200 "$NAT_OUT" "$port_before"
	check "nat-reload-transfers-under-way$t" both_in_flight
	_XVT_UP+=("$H $c2")
	check "nat-reload$t" xv "$H" reload -c "$c2"

	check "nat-reload-new-forward$t" reaches "http://$NAT_UP:8081/whoami" vm2
	check "nat-reload-udp-listed-after$t" nat_has "$c2" udp "$NAT_VM1" 45200 "$NAT_OUT" "$port_before"
	check "nat-reload-udp-survives$t" late_arrived "$udp"
	check "nat-reload-tcp-out-survives$t" download_ok "$dl_out" dl-out "$TMP/got-out"
	check "nat-reload-tcp-forward-survives$t" download_ok "$dl_fwd" dl-fwd "$TMP/got-fwd"
	check "nat-reload-old-forward$t" reaches "http://$NAT_UP:8080/whoami" vm1
	check "nat-reload-new-session$t" ping_ok "$VM2" "$NAT_OUT"
}

mkdir -p "$TMP/www" && head -c "$SIZE" /dev/urandom >"$TMP/www/blob"
WANT=$(sha256sum <"$TMP/www/blob")
for_each_attach round
