#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Bridged mode, TCP: HTTP downloads both ways between a VM and the LAN, and
# iperf3 bulk transfers VM -> LAN, LAN -> VM and VM -> VM, once with
# attach = xdp and once with attach = tc. The VMs' offloads stay at their
# defaults (checksum offload on, as a virtio guest has it): a datapath that
# loses the partial-checksum state stalls these transfers.
#
#   lan                      host                             vm1
#  +--------------+         +-----------------------------+  +--------------+
#  | lan0         |  veth   | up0  198.18.0.2  (uplink)   |  | eth0         |
#  | 198.18.0.1   |---------|                             |  | 198.18.0.11  |
#  | http, iperf3 |         |  xvnet network "lan"  vm1p  |--| http, iperf3 |
#  +--------------+         |                       vm2p  |  +--------------+
#                           +--------------------------|--+  vm2
#                                                      |     +--------------+
#                                                      +-----| eth0         |
#                                                            | 198.18.0.12  |
#                                                            | iperf3 -s    |
#                                                            +--------------+

. "$(dirname "$0")/../lib/ns.sh"
xvt_init
need ping ethtool curl iperf3 python3 jq sha256sum

H=$PFX-host LAN=$PFX-lan VM1=$PFX-vm1 VM2=$PFX-vm2

topology() {
	lan_new &&
	vm_new "$VM1" "$H" vm1p 02:78:76:00:00:11 198.18.0.11/24 &&
	vm_new "$VM2" "$H" vm2p 02:78:76:00:00:12 198.18.0.12/24
}

# http_get SERVER_NS SERVER_IP CLIENT_NS: serve a 4 MiB random file with
# python's http.server in SERVER_NS, fetch it with curl from CLIENT_NS and
# compare the bytes.
http_get() {
	local srv=$1 ip=$2 cli=$3 www=$TMP/www pid want got
	mkdir -p "$www" && rm -f "$TMP/got"
	head -c 4194304 /dev/urandom >"$www/blob" || return 1
	want=$(sha256sum <"$www/blob")
	spawn_in "$srv" http timeout 60 \
		python3 -m http.server 8080 --bind "$ip" --directory "$www"
	pid=$BG_PID
	if ! wait_listen "$srv" 8080 10; then
		CHECK_WHY="http.server in $srv not listening after 10 s"
		cat "$TMP/http.log"
		stop "$pid"
		return 1
	fi
	run_in "$cli" curl -sS --max-time 20 -o "$TMP/got" "http://$ip:8080/blob"
	local rc=$?
	stop "$pid"
	if [ $rc -ne 0 ]; then
		CHECK_WHY="curl http://$ip:8080/blob from $cli exited $rc"
		return 1
	fi
	got=$(sha256sum <"$TMP/got")
	if [ "$got" != "$want" ]; then
		CHECK_WHY="downloaded file differs ($(stat -c %s "$TMP/got") of 4194304 bytes)"
		return 1
	fi
	CHECK_NOTE="4 MiB intact"
}

round() {
	local t="[$ATTACH]" conf=$TMP/bridge.conf

	setup "bridge-topology$t" topology
	bridge_conf "$conf" vm1p vm2p
	up_check "bridge-up$t" "$H" "$conf"

	check "bridge-http-vm-from-lan$t" http_get "$LAN" 198.18.0.1 "$VM1"
	check "bridge-http-lan-from-vm$t" http_get "$VM1" 198.18.0.11 "$LAN"
	check "bridge-iperf-vm-to-lan$t"  iperf_run "$LAN" 198.18.0.1 "$VM1" 3
	check "bridge-iperf-lan-to-vm$t"  iperf_run "$LAN" 198.18.0.1 "$VM1" 3 -R
	check "bridge-iperf-vm-to-vm$t"   iperf_run "$VM2" 198.18.0.12 "$VM1" 3
}

for_each_attach round
