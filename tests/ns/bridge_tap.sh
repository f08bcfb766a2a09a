#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Bridged mode with a tap port, the way a VM is really attached: tapio plays
# the guest behind tap0 (created before "xvnet up", as a hypervisor would).
# It pings the LAN host, and is pinged from a veth VM and from the LAN, once
# with attach = xdp and once with attach = tc.
#
#   lan                      host                              vm1
#  +--------------+         +------------------------------+  +--------------+
#  | lan0         |  veth   | up0  198.18.0.2  (uplink)    |  | eth0         |
#  | 198.18.0.1   |---------|                              |  | 198.18.0.11  |
#  +--------------+         |  xvnet network "lan"   vm1p  |--|              |
#                           |                        tap0  |  +--------------+
#                           +--------------------------||--+
#                                                      ||  /dev/net/tun
#                                                   +-------------------+
#                                                   | tapio (the guest) |
#                                                   | 02:78:76:00:00:13 |
#                                                   | 198.18.0.13       |
#                                                   +-------------------+

. "$(dirname "$0")/../lib/ns.sh"
xvt_init
need ping ethtool "$TAPIO"

H=$PFX-host LAN=$PFX-lan VM1=$PFX-vm1

topology() {
	lan_new &&
	vm_new "$VM1" "$H" vm1p 02:78:76:00:00:11 198.18.0.11/24
}

# The guest: pings the LAN host as soon as the bridge lets its ARP through
# (it keeps asking until then), and answers ARP and pings for 60 s.
start_guest() {
	spawn tapio "$TAPIO" --netns "$H" --dev tap0 --mac 02:78:76:00:00:13 \
		--ip 198.18.0.13/24 --ping 198.18.0.1 --count 3 --timeout 30 \
		--serve 60
	wait_for 5 grep -qx ready "$TMP/tapio.log" ||
		{ cat "$TMP/tapio.log"; return 1; }
}

# tapio_result: the guest's own ping of the LAN host got 3 of 3 replies.
tapio_result() {
	wait_for 30 grep -q '^tapio: ' "$TMP/tapio.log"
	cat "$TMP/tapio.log"
	CHECK_WHY=$(grep '^tapio: ' "$TMP/tapio.log" || echo "tapio gave no result")
	grep -qx 'tapio: 3/3 replies' "$TMP/tapio.log"
}

round() {
	local t="[$ATTACH]" conf=$TMP/bridge.conf

	setup "bridge-topology$t" topology
	setup "bridge-tap-guest$t" start_guest
	bridge_conf "$conf" vm1p tap0
	up_check "bridge-up$t" "$H" "$conf"

	check "bridge-tap-to-lan$t"  tapio_result
	check "bridge-vm-to-tap$t"   ping_ok "$VM1" 198.18.0.13
	check "bridge-lan-to-tap$t"  ping_ok "$LAN" 198.18.0.13
	check "bridge-host-to-tap$t" ping_ok "$H" 198.18.0.13
	check "bridge-tap-vm-big$t"  ping_ok "$VM1" 198.18.0.13 -s 1400
}

for_each_attach round
