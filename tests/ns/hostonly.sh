#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Host-only: VMs reach each other and the host adapter, and nothing else,
# even when the host forwards, masquerades and the outside has a route to
# the subnet. A host-only VM forging the MAC of a nat network's VM reaches
# nothing either. Once with attach = xdp, once with attach = tc.
#
#   out                  host                                  vm1, vm2 (lab)
#  +-------------+      +-------------------------------+     +--------------+
#  | out0        |------| up0 203.0.113.2  ip_forward=1 |     | eth0         |
#  | 203.0.113.1 | veth | nft masquerade 192.168.56/24  |-----| 192.168.56.1X|
#  | route to    |      |                               |     +--------------+
#  | 192.168.56/24      | [lab]  hostonly  vm1p vm2p    |     vm3 (nat0)
#  | via .2      |      |        xv-lab 192.168.56.1    |     +--------------+
#  +-------------+      | [nat0] nat       vm3p         |-----| 192.168.100.10
#                       |        xv-nat0 192.168.100.1  |     +--------------+
#                       +-------------------------------+

. "$(dirname "$0")/../lib/ns.sh"
xvt_init
need ping ethtool jq tcpdump nft

H=$PFX-host OUT=$PFX-out VM1=$PFX-vm1 VM2=$PFX-vm2 VM3=$PFX-vm3
VM3_MAC=02:78:76:00:03:10

topology() {
	ns_new "$H" "$OUT" &&
	veth "$H" up0 "$OUT" out0 &&
	addr "$H" up0 203.0.113.2/24 &&
	addr "$OUT" out0 203.0.113.1/24 &&
	gro_on "$OUT" out0 &&
	ip -n "$OUT" route add 192.168.56.0/24 via 203.0.113.2 &&
	run_in "$H" sysctl -qw net.ipv4.ip_forward=1 &&
	run_in "$H" sysctl -qw net.ipv4.ip_local_port_range="32768 39999" &&
	run_in "$H" nft -f - <<-EON &&
	table ip xvt {
		chain post {
			type nat hook postrouting priority 100;
			ip saddr 192.168.56.0/24 oifname "up0" masquerade
		}
	}
	EON
	vm_new "$VM1" "$H" vm1p 02:78:76:00:03:01 192.168.56.10/24 &&
	vm_new "$VM2" "$H" vm2p 02:78:76:00:03:02 192.168.56.11/24 &&
	vm_new "$VM3" "$H" vm3p "$VM3_MAC" 192.168.100.10/24 &&
	ip -n "$VM1" route add default via 192.168.56.1 &&
	ip -n "$VM3" route add default via 192.168.100.1
}

conf() {
	cat >"$1" <<-EOF
	[global]
	attach = $ATTACH
	pin_dir = $PIN

	[network lab]
	mode = hostonly
	subnet = 192.168.56.0/24
	gateway = 192.168.56.1
	ports = vm1p vm2p

	[network nat0]
	mode = nat
	subnet = 192.168.100.0/24
	gateway = 192.168.100.1
	uplink = up0
	ports = vm3p
	nat_ports = 40000-49999
	EOF
}

drops() {	# NETWORK REASON: that drop counter of the network
	xv "$H" status --json -c "$TMP/lab.conf" |
		jq -r --arg n "$1" --arg r "$2" '.networks[] | select(.name == $n) | .drops[$r]'
}

# The counter of REASON in NETWORK went up (the refusal was ours).
counted() {
	local n
	n=$(drops "$1" "$2")
	[ "${n:-0}" -gt 0 ] || { CHECK_WHY="$1 drop counter $2 is ${n:-none}"; return 1; }
}

# VM1's pings to the outside go nowhere: not answered, and not even seen
# outside (the host forwards and masquerades, so a leak would show there).
outside_refused() {
	local cap=$TMP/out.pcap n
	spawn_in "$OUT" tcpdump-out timeout 6 tcpdump -i out0 -n -w "$cap" icmp
	sleep 1
	ping_fails "$VM1" 203.0.113.1 || return 1
	stop "$BG_PID"
	n=$(tcpdump -r "$cap" -n 2>/dev/null | grep -c 'echo request')
	[ "$n" = 0 ] || { CHECK_WHY="$n echo request(s) from the hostonly VM reached the outside"; return 1; }
}

# Nothing from VM1 reached VM3 (VM1 forged VM3's MAC).
forged_mac_refused() {
	local cap=$TMP/vm3.pcap n
	run_in "$VM1" ip neigh replace 192.168.100.10 lladdr "$VM3_MAC" dev eth0 nud permanent
	run_in "$VM1" ip route replace 192.168.100.10/32 dev eth0
	spawn_in "$VM3" tcpdump timeout 6 tcpdump -i eth0 -n -w "$cap" ether src 02:78:76:00:03:01
	sleep 1
	ping_fails "$VM1" 192.168.100.10 || return 1
	stop "$BG_PID"
	n=$(tcpdump -r "$cap" -n 2>/dev/null | wc -l)
	[ "$n" = 0 ] || { CHECK_WHY="$n frame(s) from the hostonly VM reached the nat VM"; return 1; }
}

round() {
	local t="[$ATTACH]" c=$TMP/lab.conf

	setup "hostonly-topology$t" topology || return
	conf "$c"
	up_check "hostonly-up$t" "$H" "$c"
	check "hostonly-vm-vm$t" ping_ok "$VM1" 192.168.56.11
	check "hostonly-vm-gateway$t" ping_ok "$VM1" 192.168.56.1
	check "hostonly-host-vm$t" ping_ok "$H" 192.168.56.10
	check "hostonly-vm-outside-refused$t" outside_refused
	check "hostonly-vm-outside-counted$t" counted lab hostonly-leaving
	check "hostonly-outside-vm-refused$t" ping_fails "$OUT" 192.168.56.10
	check "hostonly-outside-vm-counted$t" counted lab routed-in
	check "hostonly-forged-mac-refused$t" forged_mac_refused
	check "hostonly-nat-vm-still-works$t" ping_ok "$VM3" 203.0.113.1
}

for_each_attach round
