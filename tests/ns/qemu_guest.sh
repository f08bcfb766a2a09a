#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Real virtual machines: QEMU (TCG, no KVM needed) boots a Debian kernel
# whose virtio-net NIC, offloads at their defaults, sits on a tap that
# xvnet serves (tests/vm/build_guest.sh builds the guest, tests/lib/guest.sh
# boots it). Two guests run side by side, one in a nat network and one in
# a host-only network, each with nothing configured but DHCP:
#  - each takes a lease from its network's dhcp range (nat: the gateway as
#    router and DNS; host-only: no router), pings its gateway, sends 4 MiB
#    over TCP to a listener on the host adapter that receives them intact,
#    and resolves its own name with the network's DNS;
#  - the nat guest also pings the outside, sends it 4 MiB (the outside sees
#    the uplink's address) and fetches 1 MiB from it;
#  - the host-only guest does not reach the outside.
# Once with attach = xdp (the taps really run XDP), once with attach = tc.
# Boot and transfer times are printed.
#
#   out                    host                                   guests (QEMU)
#  +--------------+       +-------------------------------------+
#  | out0         | veth  | up0 203.0.113.2 (uplink)            |  +-------------+
#  | 203.0.113.1  |-------|                                     |  | nat guest   |
#  | sink   :5002 |       | [nat0] nat 192.168.100.0/24    tapn |==| virtio-net  |
#  | source :5003 |       |   xv-nat0 192.168.100.1 + dnsmasq   |  | DHCP        |
#  +--------------+       |   sink :5001                        |  +-------------+
#                         | [lab] hostonly 192.168.56.0/24 taph |==| lab guest   |
#                         |   xv-lab 192.168.56.1 + dnsmasq     |  | virtio-net  |
#                         |   sink :5001                        |  | DHCP        |
#                         +-------------------------------------+  +-------------+

. "$(dirname "$0")/../lib/ns.sh"
. "$(dirname "$0")/../lib/guest.sh"
xvt_init
need python3 jq md5sum dnsmasq
if ! guest_usable; then
	skip "$XVT_NAME" "$GUEST_WHY"
	exit 0
fi

H=$PFX-host OUT=$PFX-out
NAT_MAC=02:78:76:00:07:01 LAB_MAC=02:78:76:00:07:02
BYTES=4194304			# each guest -> listener transfer
FETCH=1048576			# outside -> nat guest
GUEST_SECS_MAX=100		# QEMU's time limit (a boot takes ~20 s)
WAIT=15				# the guest's limit for each action

topology() {
	outside_new &&
	tap_new "$H" tapn &&
	tap_new "$H" taph
}

conf() {
	cat >"$1" <<-EOF
	[global]
	attach = $ATTACH
	pin_dir = $PIN

	[network nat0]
	mode = nat
	subnet = 192.168.100.0/24
	gateway = 192.168.100.1
	uplink = up0
	ports = tapn
	nat_ports = 40000-49999
	dhcp = 192.168.100.100-192.168.100.199

	[network lab]
	mode = hostonly
	subnet = 192.168.56.0/24
	gateway = 192.168.56.1
	ports = taph
	dhcp = 192.168.56.100-192.168.56.199
	EOF
}

# The listeners: on each host adapter, and a sink and a source outside.
listeners() {
	tcp_sink "$H" 192.168.100.1 5001 nat-gw $GUEST_SECS_MAX &&
	tcp_sink "$H" 192.168.56.1 5001 lab-gw $GUEST_SECS_MAX &&
	tcp_sink "$OUT" 203.0.113.1 5002 nat-out $GUEST_SECS_MAX &&
	tcp_source "$OUT" 203.0.113.1 5003 nat-fetch $GUEST_SECS_MAX $FETCH &&
	tcp_ready nat-gw && tcp_ready lab-gw && tcp_ready nat-out && tcp_ready nat-fetch
}

# attached KIND PORT...: "xvnet status" shows each PORT running KIND
# (xdp: xdp-native or xdp-generic; tc: tc).
attached() {
	local kind=$1 port got
	shift
	for port in "$@"; do
		got=$(xv "$H" status --json -c "$CONF" |
			jq -r --arg p "$port" '.networks[].ports[] | select(.name == $p) | .attach')
		if [ "${got%%-*}" != "$kind" ]; then
			CHECK_WHY="$port runs '${got:-nothing}', want $kind"
			return 1
		fi
	done
	CHECK_NOTE="tapn, taph: $got"
}

# ran GUEST PID: the guest powered off by itself after its last action.
ran() {
	local g=$1 boot lease
	guest_wait "$2"
	printf -v "${g}_SECS" '%s' "$GUEST_SECS"
	if [ "$GUEST_RC" != 0 ] || ! guest_result "$g" "done" >/dev/null; then
		guest_console "$g"
		_indent "$TMP/$g.log"
		[ "$GUEST_RC" = 124 ] && CHECK_WHY="QEMU killed after ${GUEST_SECS_MAX}s"
		[ -n "$CHECK_WHY" ] || CHECK_WHY="QEMU exited $GUEST_RC without 'XV-RESULT done' (console above)"
		return 1
	fi
	boot=$(guest_result "$g" boot)
	lease=$(guest_result "$g" lease)
	CHECK_NOTE="$GUEST_SECS s wall, init at ${boot#boot } s, lease in $(field "$lease" secs) s"
}

# leased GUEST LO HI ROUTER DNS: a lease inside LO..HI (last octets of
# the /24) with that router ("none": none) and DNS server.
leased() {
	local g=$1 lo=$2 hi=$3 router=$4 dns=$5 line ip
	line=$(guest_result "$g" lease) || { CHECK_WHY="$g reported no lease line"; return 1; }
	echo "$line"
	ip=$(field "$line" lease)
	if [ "$ip" = none ]; then
		CHECK_WHY="$g got no DHCP lease"
		return 1
	fi
	if [ "${ip%.*}" != "${lo%.*}" ] || [ "${ip##*.}" -lt "${lo##*.}" ] ||
		[ "${ip##*.}" -gt "${hi##*.}" ]; then
		CHECK_WHY="$g leased $ip, outside $lo-$hi"
		return 1
	fi
	if [ "$(field "$line" router)" != "$router" ]; then
		CHECK_WHY="$g got router $(field "$line" router), want $router"
		return 1
	fi
	if [ "$(field "$line" dns)" != "$dns" ]; then
		CHECK_WHY="$g got DNS server $(field "$line" dns), want $dns"
		return 1
	fi
	CHECK_NOTE="$ip, router $router, DNS $dns"
}

# pinged GUEST IP: all of the guest's three echo requests were answered.
pinged() {
	local line
	line=$(guest_result "$1" "ping $2") || { CHECK_WHY="$1 reported no ping of $2"; return 1; }
	echo "$line"
	[ "$(field "$line" "$2")" = ok ] && return 0
	CHECK_WHY="$1: $line"
	return 1
}

# not_pinged GUEST IP: none of them was.
not_pinged() {
	local line
	line=$(guest_result "$1" "ping $2") || { CHECK_WHY="$1 reported no ping of $2"; return 1; }
	echo "$line"
	[ "$(field "$line" fail)" = 0/3 ] && return 0
	CHECK_WHY="$1: $line"
	return 1
}

# sent GUEST DEST SINK PEER: the guest's bytes to DEST (IP:PORT) reached the
# listener SINK intact, from PEER ("lease": the guest's leased address).
sent() {
	local g=$1 dest=$2 sink=$3 peer=$4 line want got from
	[ "$peer" = lease ] && peer=$(field "$(guest_result "$g" lease)" lease)
	if ! line=$(guest_result "$g" "sent $dest"); then
		line=$(guest_result "$g" "send-fail $dest") || line="no result for $dest"
		CHECK_WHY="$g: $line"
		cat "$TMP/$sink.log"
		return 1
	fi
	echo "$line"
	wait_for 5 grep -q '^received' "$TMP/$sink.log"
	cat "$TMP/$sink.log"
	want="$(field "$line" bytes) $(field "$line" md5)"
	got=$(data_sum "$sink")
	if [ "$got" != "$want" ]; then
		CHECK_WHY="the listener got '$got' (bytes md5), the guest sent '$want'"
		return 1
	fi
	from=$(sed -n 's/^received [0-9]* from \(.*\):[0-9]*$/\1/p' "$TMP/$sink.log")
	if [ "$from" != "$peer" ]; then
		CHECK_WHY="the listener saw the connection from $from, want $peer"
		return 1
	fi
	CHECK_NOTE="$(field "$line" bytes) bytes in $(field "$line" secs) s, md5 equal, from $from"
}

# fetched GUEST SRC SOURCE: what the guest read from SRC is what SOURCE sent.
fetched() {
	local g=$1 src=$2 source=$3 line want got
	line=$(guest_result "$g" "fetched $src") || { CHECK_WHY="$g reported no fetch of $src"; return 1; }
	echo "$line"
	cat "$TMP/$source.log"
	want=$(data_sum "$source")
	got="$(field "$line" bytes) $(field "$line" md5)"
	if [ "$got" != "$want" ] || [ "$(field "$line" exit)" != 0 ]; then
		CHECK_WHY="the guest read '$got' (exit $(field "$line" exit)), the source sent '$want'"
		return 1
	fi
	CHECK_NOTE="$(field "$line" bytes) bytes in $(field "$line" secs) s, md5 equal"
}

# resolved GUEST NAME: the network's DNS answered NAME with the guest's lease.
resolved() {
	local line want
	line=$(guest_result "$1" "resolve $2") || { CHECK_WHY="$1 reported no lookup of $2"; return 1; }
	want=$(field "$(guest_result "$1" lease)" lease)
	[ "$(field "$line" "$2")" = "$want" ] && return 0
	CHECK_WHY="$1: $line, want $want"
	return 1
}

# counters NETWORK: its forwarding counters, for the record.
counters() {
	xv "$H" status --json -c "$CONF" | jq -r --arg n "$1" '.networks[] | select(.name == $n) |
		.counters | "fwd_xdp \(.fwd_xdp) fwd_tc \(.fwd_tc) xdp_pass \(.xdp_pass) csum_pass \(.csum_pass)"'
}

round() {
	local t="[$ATTACH]" start=$SECONDS nat_pid lab_pid
	CONF=$TMP/guest.conf

	setup "qemu-topology$t" topology || return
	conf "$CONF"
	up_check "qemu-up$t" "$H" "$CONF"
	check "qemu-taps-attached$t" attached "$ATTACH" tapn taph
	setup "qemu-listeners$t" listeners || return

	guest_boot nat "$H" tapn "$NAT_MAC" $GUEST_SECS_MAX xv.wait=$WAIT \
		xv.ping=192.168.100.1 xv.send=192.168.100.1:5001:$BYTES \
		xv.resolve=xvguest xv.ping=203.0.113.1 \
		xv.send=203.0.113.1:5002:$BYTES xv.fetch=203.0.113.1:5003
	nat_pid=$GUEST_PID
	guest_boot lab "$H" taph "$LAB_MAC" $GUEST_SECS_MAX xv.wait=$WAIT \
		xv.ping=192.168.56.1 xv.send=192.168.56.1:5001:$BYTES \
		xv.resolve=xvguest xv.ping=203.0.113.1
	lab_pid=$GUEST_PID

	check "qemu-nat-guest-ran$t" ran nat "$nat_pid"
	check "qemu-lab-guest-ran$t" ran lab "$lab_pid"

	check "qemu-nat-dhcp-lease$t" leased nat 192.168.100.100 192.168.100.199 \
		192.168.100.1 192.168.100.1
	check "qemu-nat-ping-gateway$t" pinged nat 192.168.100.1
	check "qemu-nat-tcp-to-host$t" sent nat 192.168.100.1:5001 nat-gw lease
	check "qemu-nat-dns-own-name$t" resolved nat xvguest
	check "qemu-nat-ping-outside$t" pinged nat 203.0.113.1
	check "qemu-nat-tcp-to-outside$t" sent nat 203.0.113.1:5002 nat-out 203.0.113.2
	check "qemu-nat-tcp-from-outside$t" fetched nat 203.0.113.1:5003 nat-fetch

	check "qemu-lab-dhcp-lease$t" leased lab 192.168.56.100 192.168.56.199 \
		none 192.168.56.1
	check "qemu-lab-ping-gateway$t" pinged lab 192.168.56.1
	check "qemu-lab-tcp-to-host$t" sent lab 192.168.56.1:5001 lab-gw lease
	check "qemu-lab-dns-own-name$t" resolved lab xvguest
	check "qemu-lab-no-outside$t" not_pinged lab 203.0.113.1

	echo "    | $t guests in parallel: nat ${nat_SECS:-?} s, lab ${lab_SECS:-?} s; round $((SECONDS - start)) s"
	echo "    | $t nat0: $(counters nat0)"
	echo "    | $t lab: $(counters lab)"
}

if ! check "qemu-guest-build" guest_build; then
	exit 1
fi
echo "    | guest: $(sed -n 's/^kernel //p' "$(dirname "$GUEST_KERNEL")/stamp"), QEMU -M $GUEST_MACHINE${GUEST_BIOS:+ -bios $GUEST_BIOS}"
for_each_attach round
