#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Hostile guests. In each network an attacker VM (tests/tools/forge.py on a
# raw socket) forges while two honest VMs ping each other and move data
# over TCP; the honest traffic must keep working and every attack must be
# refused and counted:
#  - nat0 (spoofcheck on by default, vm2 locked to its MAC and address):
#    random source MACs, IPv4 sources it does not own (vm2's locked one,
#    the gateway, an outside address), gratuitous ARP for the gateway, ARP
#    with a forged sender MAC, a rogue DHCP server, while vm1 takes a lease
#    from the real one;
#  - lab (hostonly, spoofcheck off, max_macs 8, flood_pps 300): a flood of
#    random source MACs (at most 8 learned) and a broadcast storm.
# Once with attach = xdp, once with attach = tc.
#
#   out                  host                                 nat0
#  +-------------+      +-----------------------------+     vm1 .10, vm2 .11
#  | out0        |------| up0 203.0.113.2             |-----vm3 .12 attacker
#  | 203.0.113.1 | veth | xv-nat0 192.168.100.1 dnsmasq     lab (hostonly)
#  +-------------+      | xv-lab  192.168.56.1        |-----vm4 .10, vm5 .11
#                       +-----------------------------+     vm6 .12 attacker

. "$(dirname "$0")/../lib/ns.sh"
xvt_init
need ping jq python3 iperf3 tcpdump busybox dnsmasq

FORGE=$XVT_TOP/tests/tools/forge.py
H=$PFX-host OUT=$PFX-out
VM1=$PFX-vm1 VM2=$PFX-vm2 VM3=$PFX-vm3 VM4=$PFX-vm4 VM5=$PFX-vm5 VM6=$PFX-vm6
MAC1=02:78:76:00:06:01 MAC2=02:78:76:00:06:02 MAC3=02:78:76:00:06:03
MAC4=02:78:76:00:06:04 MAC5=02:78:76:00:06:05 MAC6=02:78:76:00:06:06
GW_MAC=""

topology() {
	outside_new &&
	vm_new "$VM1" "$H" vm1p "$MAC1" &&
	vm_new "$VM2" "$H" vm2p "$MAC2" 192.168.100.11/24 &&
	vm_new "$VM3" "$H" vm3p "$MAC3" 192.168.100.12/24 &&
	vm_new "$VM4" "$H" vm4p "$MAC4" 192.168.56.10/24 &&
	vm_new "$VM5" "$H" vm5p "$MAC5" 192.168.56.11/24 &&
	vm_new "$VM6" "$H" vm6p "$MAC6" 192.168.56.12/24 &&
	ip -n "$VM2" route add default via 192.168.100.1 &&
	ip -n "$VM3" route add default via 192.168.100.1
}

conf() {
	cat >"$1" <<-EOF
	[global]
	attach = $ATTACH
	pin_dir = $PIN

	[network nat0]
	mode = nat
	subnet = 192.168.100.0/24
	uplink = up0
	ports = vm1p vm2p vm3p
	nat_ports = 40000-49999
	dhcp = 192.168.100.100-192.168.100.199
	host = $MAC1 192.168.100.10 vm1
	lock = vm2p $MAC2 192.168.100.11
	flood_pps = 100

	[network lab]
	mode = hostonly
	subnet = 192.168.56.0/24
	ports = vm4p vm5p vm6p
	spoofcheck = off
	max_macs = 8
	flood_pps = 300
	EOF
}

# attack NS LOG KIND ARGS...: forge.py in NS, in the background, bounded;
# returns once it sends.
attack() {
	local ns=$1 log=$2
	shift 2
	spawn_in "$ns" "$log" timeout 60 python3 -u "$FORGE" eth0 "$@"
	wait_for 20 grep -q started "$TMP/$log.log"
}

drops() {
	xv "$H" status -c "$CONF" --json |
		jq -r --arg n "$1" --arg r "$2" '.networks[] | select(.name == $n) | .drops[$r]'
}

counter() {
	xv "$H" status -c "$CONF" --json |
		jq -r --arg n "$1" --arg c "$2" '.networks[] | select(.name == $n) | .counters[$c]'
}

# dropped NET REASON MIN: at least MIN drops of REASON in NET.
dropped() {
	local n
	n=$(drops "$1" "$2")
	[ "${n:-0}" -ge "$3" ] && { CHECK_NOTE="$n"; return 0; }
	CHECK_WHY="$1: $2 drops are ${n:-none}, expected at least $3"
	return 1
}

# macs_of NET PORT: how many MACs the FDB has on PORT.
macs_of() {
	xv "$H" fdb "$1" -c "$CONF" --json |
		jq --arg p "$2" '[.[] | select(.port == $p)] | length'
}

at_most_macs() {
	local n
	n=$(macs_of "$1" "$2")
	[ "${n:-99}" -le "$3" ] && [ "${n:-0}" -ge 1 ] && { CHECK_NOTE="$n"; return 0; }
	CHECK_WHY="$1: $2 has ${n:-?} MACs in the FDB, expected 1..$3"
	return 1
}

# Honest traffic while an attack runs: ping both ways, then TCP.
honest() {
	ping_ok "$1" "$3" && ping_ok "$2" "$4" &&
		iperf_run "$2" "$3" "$1" 2
}

gateway_mac_kept() {
	local now
	now=$(ip -n "$VM2" -j neigh show 192.168.100.1 | jq -r '.[0].lladdr // empty')
	[ -n "$GW_MAC" ] && [ "$now" = "$GW_MAC" ] && return 0
	CHECK_WHY="vm2's ARP entry for the gateway is '$now', was $GW_MAC"
	return 1
}

nothing_spoofed_outside() {
	local n
	n=$(cap_count_in "$OUT" "src net 192.168.100.0/24 or src host 203.0.113.9")
	[ "$n" = 0 ] && return 0
	CHECK_WHY="$n forged packets reached the outside"
	return 1
}

# cap_count_in NS FILTER: packets matching FILTER in $TMP/out.pcap.
cap_count_in() {
	tcpdump -nn -r "$TMP/out.pcap" "$2" 2>/dev/null | wc -l
}

real_lease() {
	dhcp_lease "$VM1" >/dev/null 2>&1
	grep -qx "server=192.168.100.1" "$TMP/$VM1.lease" &&
		grep -qx "ip=192.168.100.10" "$TMP/$VM1.lease" &&
		grep -qx "router=192.168.100.1" "$TMP/$VM1.lease" && return 0
	CHECK_WHY="lease: $(tr '\n' ' ' <"$TMP/$VM1.lease" 2>/dev/null)"
	return 1
}

# The flood counter of NET grew by at most MAX since $FLOOD_BEFORE.
floods_at_most() {
	local now
	now=$(counter "$1" flood)
	[ $((now - FLOOD_BEFORE)) -le "$2" ] && { CHECK_NOTE="$((now - FLOOD_BEFORE)) floods"; return 0; }
	CHECK_WHY="$1 flooded $((now - FLOOD_BEFORE)) frames, expected at most $2"
	return 1
}

stop_attacks() {
	local pid
	for pid in "$@"; do
		stop "$pid"
	done
}

round() {
	local t="[$ATTACH]" a1 a2 a3 a4 a5 cap secs=6
	CONF=$TMP/hostile.conf
	conf "$CONF"
	setup "topology$t" topology || return
	up_check "hostile-up$t" "$H" "$CONF"
	check "hostile-vm1-lease$t" real_lease
	check "hostile-honest-before$t" ping_ok "$VM2" 192.168.100.10
	check "hostile-attacker-own-traffic$t" ping_ok "$VM3" 192.168.100.1
	check "hostile-vm2-knows-gateway$t" ping_ok "$VM2" 192.168.100.1
	GW_MAC=$(mac_of "$H" xv-nat0)

	# nat0: everything at once, for $secs seconds.
	spawn_in "$OUT" outcap timeout 30 tcpdump -i out0 -nn -U -w "$TMP/out.pcap" udp
	cap=$BG_PID
	sleep 1
	attack "$VM3" macflood macflood --count 200000 --secs $secs --dst-mac "$MAC1" \
		--src-ip 192.168.100.12 --dst-ip 192.168.100.10
	a1=$BG_PID
	attack "$VM3" spoofvm2 ipspoof --count 200000 --secs $secs --dst-mac "$GW_MAC" \
		--src-ip 192.168.100.11 --dst-ip 203.0.113.1
	a2=$BG_PID
	attack "$VM3" garp garp --count 20000 --secs $secs --src-ip 192.168.100.1
	a3=$BG_PID
	attack "$VM3" rogue dhcpoffer --count 20000 --secs $secs --src-ip 192.168.100.12
	a4=$BG_PID
	check "hostile-nat-honest-during-attack$t" honest "$VM1" "$VM2" 192.168.100.11 192.168.100.10
	check "hostile-nat-lease-during-rogue-dhcp$t" real_lease
	stop_attacks "$a1" "$a2" "$a3" "$a4"
	attack "$VM3" spoofgw ipspoof --count 200 --dst-mac "$GW_MAC" \
		--src-ip 192.168.100.1 --dst-ip 203.0.113.1
	a1=$BG_PID
	attack "$VM3" spoofout ipspoof --count 200 --dst-mac "$GW_MAC" \
		--src-ip 203.0.113.9 --dst-ip 203.0.113.1
	a2=$BG_PID
	attack "$VM3" arpforge arpforge --count 200 --src-ip 192.168.100.12 \
		--dst-ip 192.168.100.10
	a3=$BG_PID
	wait_for 10 eval "! kill -0 $a1 2>/dev/null && ! kill -0 $a2 2>/dev/null && ! kill -0 $a3 2>/dev/null"
	sleep 0.5
	stop "$cap"
	check "hostile-nat-spoofed-mac-counted$t" dropped nat0 spoofed-mac 100
	check "hostile-nat-attacker-holds-one-mac$t" at_most_macs nat0 vm3p 1
	check "hostile-nat-spoofed-ip-counted$t" dropped nat0 spoofed-ip 400
	check "hostile-nat-spoofed-arp-counted$t" dropped nat0 spoofed-arp 200
	check "hostile-nat-rogue-dhcp-counted$t" dropped nat0 rogue-dhcp 10
	check "hostile-nat-gateway-arp-kept$t" gateway_mac_kept
	check "hostile-nat-nothing-forged-outside$t" nothing_spoofed_outside
	check "hostile-nat-honest-after$t" honest "$VM1" "$VM2" 192.168.100.11 192.168.100.10
	check "hostile-nat-attacker-still-served$t" ping_ok "$VM3" 203.0.113.1

	# lab: a MAC flood, then a broadcast storm.
	check "hostile-lab-honest-before$t" ping_ok "$VM4" 192.168.56.11
	attack "$VM6" labflood macflood --count 200000 --secs $secs --dst-mac "$MAC5" \
		--src-ip 192.168.56.12 --dst-ip 192.168.56.11
	a1=$BG_PID
	check "hostile-lab-honest-during-mac-flood$t" honest "$VM4" "$VM5" 192.168.56.11 192.168.56.10
	stop "$a1"
	check "hostile-lab-mac-limit-counted$t" dropped lab mac-limit 100
	check "hostile-lab-attacker-at-most-8-macs$t" at_most_macs lab vm6p 8
	FLOOD_BEFORE=$(counter lab flood)
	attack "$VM6" storm bcast --count 500000 --secs $secs --src-ip 192.168.56.12
	a1=$BG_PID
	check "hostile-lab-honest-during-storm$t" honest "$VM4" "$VM5" 192.168.56.11 192.168.56.10
	wait_for 20 eval "! kill -0 $a1 2>/dev/null"
	check "hostile-lab-flood-limit-counted$t" dropped lab flood-limit 100
	# 300 a second from the attacker over the storm, plus honest ARP.
	check "hostile-lab-storm-held-to-flood-pps$t" floods_at_most lab $((300 * (secs + 2) + 100))
	check "hostile-lab-honest-after$t" honest "$VM4" "$VM5" 192.168.56.11 192.168.56.10
}

for_each_attach round
