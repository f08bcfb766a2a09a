#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Isolation between two bridged networks: whatever destination MAC a VM of
# network a writes (a VM of network b, b's LAN host, broadcast), no frame
# from it reaches network b. Both LANs use the same addresses, so anything
# that leaked would be answered. Once with attach = xdp, once with tc.
#
#   lana                  host                                   vma
#  +-------------+       +----------------------------------+   +-------------+
#  | lan0        |  veth | upa   xvnet network "a"    vmap  |---| eth0        |
#  | 198.18.0.1  |-------|                                  |   | 198.18.0.11 |
#  +-------------+       |                                  |   +-------------+
#   lanb                 |                                  |    vmb
#  +-------------+       |                                  |   +-------------+
#  | lan0        |-------| upb   xvnet network "b"    vmbp  |---| eth0        |
#  | 198.18.0.1  |  veth |                                  |   | 198.18.0.21 |
#  +-------------+       +----------------------------------+   +-------------+
#        ^ tcpdump                                                    ^ tcpdump

. "$(dirname "$0")/../lib/ns.sh"
xvt_init
need ping ethtool tcpdump

H=$PFX-host LANA=$PFX-lana LANB=$PFX-lanb VMA=$PFX-vma VMB=$PFX-vmb
MAC_A=02:78:76:00:0a:11
MAC_B=02:78:76:00:0b:21

topology() {
	ns_new "$H" "$LANA" "$LANB" &&
	veth "$H" upa "$LANA" lan0 &&
	veth "$H" upb "$LANB" lan0 &&
	addr "$LANA" lan0 198.18.0.1/24 &&
	addr "$LANB" lan0 198.18.0.1/24 &&
	gro_on "$LANA" lan0 &&
	gro_on "$LANB" lan0 &&
	vm_new "$VMA" "$H" vmap "$MAC_A" 198.18.0.11/24 &&
	vm_new "$VMB" "$H" vmbp "$MAC_B" 198.18.0.21/24
}

# capture_start NS NAME: record everything arriving on NS's lan0/eth0.
capture_start() {
	local ns=$1 name=$2 dev=eth0
	[ "$ns" = "$LANB" ] && dev=lan0
	spawn_in "$ns" "cap-$name" timeout 60 \
		tcpdump -Z root -i "$dev" -nn -U --immediate-mode -w "$TMP/$name.pcap"
	CAP_PIDS+=("$BG_PID")
	wait_for 10 grep -q 'listening on' "$TMP/cap-$name.log"
}

# capture_stop: give the captures a moment to write what they have, then
# stop them.
capture_stop() {
	local pid
	sleep 1
	for pid in "${CAP_PIDS[@]}"; do
		stop "$pid"
	done
	CAP_PIDS=()
}

# forge DEST_IP DEST_MAC: VM a sends to DEST_IP with DEST_MAC (a static
# neighbour entry); no reply may come back.
forge() {
	run_in "$VMA" ip neigh replace "$1" lladdr "$2" dev eth0 nud permanent &&
	ping_fails "$VMA" "$1"
	local rc=$?
	run_in "$VMA" ip neigh del "$1" dev eth0
	return $rc
}

# nothing_from_a NAME: the capture NAME holds no frame sent by VM a, and it
# did see the marker traffic (so it was live).
nothing_from_a() {
	local pcap=$TMP/$1.pcap leaked marker
	leaked=$(tcpdump -r "$pcap" -nn -e "ether src $MAC_A" 2>/dev/null)
	marker=$(tcpdump -r "$pcap" -nn icmp 2>/dev/null | wc -l)
	if [ -n "$leaked" ]; then
		echo "$leaked"
		CHECK_WHY="$(echo "$leaked" | wc -l) frame(s) from VM a arrived in network b"
		return 1
	fi
	if [ "$marker" = 0 ]; then
		CHECK_WHY="the capture saw no traffic at all (marker pings missing)"
		return 1
	fi
}

round() {
	local t="[$ATTACH]" conf=$TMP/iso.conf lanb_mac

	CAP_PIDS=()
	setup "bridge-iso-topology$t" topology
	cat >"$conf" <<-EOF
	[global]
	attach = $ATTACH
	pin_dir = $PIN

	[network a]
	mode = bridge
	uplink = upa
	ports = vmap

	[network b]
	mode = bridge
	uplink = upb
	ports = vmbp
	EOF
	up_check "bridge-iso-up$t" "$H" "$conf"

	# Both networks work, and b has learned VM b's MAC.
	check "bridge-iso-a-works$t" ping_ok "$VMA" 198.18.0.1
	check "bridge-iso-b-works$t" ping_ok "$VMB" 198.18.0.1

	setup "bridge-iso-capture$t" capture_start "$VMB" vmb &&
	setup "bridge-iso-capture$t" capture_start "$LANB" lanb
	lanb_mac=$(mac_of "$LANB" lan0)

	check "bridge-iso-forge-vm$t"    forge 198.18.0.21 "$MAC_B"
	check "bridge-iso-forge-lan$t"   forge 198.18.0.1 "$lanb_mac"
	check "bridge-iso-forge-bcast$t" forge 198.18.0.21 ff:ff:ff:ff:ff:ff
	# An ordinary ARP for b's address: the broadcast stays in a.
	check "bridge-iso-arp$t"         ping_fails "$VMA" 198.18.0.21
	# Marker traffic inside b, so an empty capture means something.
	check "bridge-iso-b-marker$t"    ping_ok "$VMB" 198.18.0.1
	capture_stop
	check "bridge-iso-vm-b-clean$t"  nothing_from_a vmb
	check "bridge-iso-lan-b-clean$t" nothing_from_a lanb
}

for_each_attach round
