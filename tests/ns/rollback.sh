#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# up is all or nothing. The loader's test hook XVNET_FAIL_AT=N makes its
# N-th change fail; for every N until up succeeds:
#  - over a running config (attach tc, two ports), an up that would switch
#    to the round's attach kind and add a port fails with exit 2 and leaves
#    the running state exactly as it was (status, qdiscs and filters, XDP,
#    promiscuity, pins) and forwarding;
#  - on a fresh host, a failed up leaves no residue at all.
#
#   lan                 host                              vm1, vm2, vm3
#  +------------+      +----------------------------+    +------------+
#  | lan0       |------| up0 (uplink)  198.18.0.2   |    | eth0       |
#  | 198.18.0.1 | veth |   xvnet "lan"   vm1p vm2p  |----| 198.18.0.1X|
#  +------------+      |                 vm3p       |    +------------+
#                      +----------------------------+

. "$(dirname "$0")/../lib/ns.sh"
xvt_init
need ping ethtool jq tc

H=$PFX-host LAN=$PFX-lan VM1=$PFX-vm1 VM2=$PFX-vm2 VM3=$PFX-vm3
MAX_STEPS=100

topology() {
	lan_new &&
	vm_new "$VM1" "$H" vm1p 02:78:76:00:01:11 198.18.0.11/24 &&
	vm_new "$VM2" "$H" vm2p 02:78:76:00:01:12 198.18.0.12/24 &&
	vm_new "$VM3" "$H" vm3p 02:78:76:00:01:13 198.18.0.13/24
}

# Everything a failed up could have changed, counters aside.
snapshot() {
	{
		xv "$H" status -c "$TMP/old.conf" --json 2>/dev/null |
			jq -S 'del(.networks[].counters, .networks[].drops)'
		tc_state "$H"
		ip -n "$H" -d link show | grep -o 'prog/xdp id [0-9]*\|PROMISC\|promiscuity [0-9]*'
		ls "$PIN" 2>/dev/null
	} >"$1"
}

fail_each_step_running() {
	local k rc what="rollback over a running config [$ATTACH]"
	xv_up "$H" "$TMP/old.conf" >/dev/null 2>&1 || { fail "$what" "first up failed"; return; }
	ping_ok "$VM1" 198.18.0.1 >/dev/null || { fail "$what" "no forwarding before"; return; }
	snapshot "$TMP/before"
	for k in $(seq 1 $MAX_STEPS); do
		XVNET_FAIL_AT=$k xv "$H" -q up -c "$TMP/new.conf" >"$TMP/up.out" 2>&1
		rc=$?
		[ $rc -eq 0 ] && break
		if [ $rc -ne 2 ]; then
			fail "$what" "failure at step $k exited $rc, expected 2"; _indent "$TMP/up.out"; return
		fi
		snapshot "$TMP/after"
		if ! diff -u "$TMP/before" "$TMP/after" >"$TMP/diff"; then
			fail "$what" "state changed after a failure at step $k"; _indent "$TMP/diff"; return
		fi
	done
	if [ $rc -ne 0 ]; then
		fail "$what" "up never succeeded within $MAX_STEPS steps"; return
	fi
	if ! ping_ok "$VM3" 198.18.0.1 >/dev/null; then
		fail "$what" "after $((k - 1)) rolled-back failures, the final up does not forward for the new port"; return
	fi
	pass "$what ($((k - 1)) steps, each rolled back)"
}

# On a fresh host the steps are the same for both attach kinds but for the
# XDP ones: the xdp round fails the odd steps, the tc round the even ones,
# so that every step fails once and the test stays short.
fail_each_step_fresh() {
	local k rc what="failed fresh up leaves no residue [$ATTACH]" first=1
	[ "$ATTACH" = tc ] && first=2
	xv_down "$H" "$TMP/old.conf" >/dev/null 2>&1
	tc_state "$H" >"$TMP/tc.clean"
	for k in $(seq $first 2 $MAX_STEPS) $MAX_STEPS; do
		XVNET_FAIL_AT=$k xv "$H" -q up -c "$TMP/new.conf" >"$TMP/up.out" 2>&1
		rc=$?
		[ $rc -eq 0 ] && break
		tc_state "$H" >"$TMP/tc.now"
		if ! bpf_residue "$H" >"$TMP/res" || [ -e "$PIN" ] ||
		   ! diff -q "$TMP/tc.clean" "$TMP/tc.now" >/dev/null ||
		   [ "$(promiscuity "$H" up0)" != 0 ]; then
			fail "$what" "residue after a failure at step $k"
			_indent "$TMP/res"; diff -u "$TMP/tc.clean" "$TMP/tc.now" | _indent; ls "$PIN" 2>&1 | _indent
			return
		fi
	done
	[ $rc -eq 0 ] && pass "$what (every other step up to $((k - 1)))" ||
		fail "$what" "up never succeeded"
}

round() {
	setup "topology" topology || return
	ATTACH=tc bridge_conf "$TMP/old.conf" vm1p vm2p
	bridge_conf "$TMP/new.conf" vm1p vm2p vm3p
	fail_each_step_running
	fail_each_step_fresh
}

for_each_attach round
