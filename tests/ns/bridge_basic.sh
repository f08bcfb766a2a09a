#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Bridged mode, reachability: VM <-> VM, VM <-> LAN, host <-> VM, IPv4 and
# IPv6, once with attach = xdp and once with attach = tc.
#
#   lan                      host                             vm1
#  +--------------+         +-----------------------------+  +--------------+
#  | lan0         |  veth   | up0  198.18.0.2  (uplink)   |  | eth0         |
#  | 198.18.0.1   |---------|                             |  | 198.18.0.11  |
#  | fd00::1      |         |  xvnet network "lan"  vm1p  |--| fd00::11     |
#  +--------------+         |                       vm2p  |  +--------------+
#                           +--------------------------|--+  vm2
#                                                      |     +--------------+
#                                                      +-----| eth0         |
#                                                            | 198.18.0.12  |
#                                                            | fd00::12     |
#                                                            +--------------+

. "$(dirname "$0")/../lib/ns.sh"
xvt_init
need ping ethtool

H=$PFX-host LAN=$PFX-lan VM1=$PFX-vm1 VM2=$PFX-vm2

topology() {
	lan_new fd00::1/64 &&
	vm_new "$VM1" "$H" vm1p 02:78:76:00:00:11 198.18.0.11/24 fd00::11/64 &&
	vm_new "$VM2" "$H" vm2p 02:78:76:00:00:12 198.18.0.12/24 fd00::12/64
}

round() {
	local t="[$ATTACH]" conf=$TMP/bridge.conf

	setup "bridge-topology$t" topology
	bridge_conf "$conf" vm1p vm2p
	up_check "bridge-up$t" "$H" "$conf"

	check "bridge-vm-vm$t"    ping_ok "$VM1" 198.18.0.12
	check "bridge-vm-lan$t"   ping_ok "$VM1" 198.18.0.1
	check "bridge-lan-vm$t"   ping_ok "$LAN" 198.18.0.12
	check "bridge-host-vm$t"  ping_ok "$H" 198.18.0.11
	check "bridge-vm-host$t"  ping_ok "$VM2" 198.18.0.2
	check "bridge-vm-vm6$t"   ping_ok "$VM2" fd00::11 -6
	check "bridge-vm-lan6$t"  ping_ok "$VM1" fd00::1 -6
	check "bridge-lan-vm6$t"  ping_ok "$LAN" fd00::12 -6
	check "bridge-down$t"     xv_down "$H" "$conf"
}

for_each_attach round
