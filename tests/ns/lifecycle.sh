#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The loader's life cycle on a bridged network: check on bad configs, up
# that fails (nothing attached, a running config left alone), up twice,
# status attach kinds, promiscuity of the uplink, reload keeping learned
# MACs and adding a port, down leaving no residue. Once with attach = xdp,
# once with attach = tc.
#
#   lan                      host                             vm1, vm2, vm3
#  +--------------+         +-----------------------------+  +--------------+
#  | lan0         |  veth   | up0  198.18.0.2  (uplink)   |  | eth0         |
#  | 198.18.0.1   |---------|                             |  | 198.18.0.1X  |
#  +--------------+         |  xvnet network "lan"  vm1p  |--| (vm1: .11)   |
#                           |                       vm2p  |--| (vm2: .12)   |
#                           |                       vm3p  |--| (vm3: .13)   |
#                           +-----------------------------+  +--------------+
#              vm3p joins the network only with the reload.

. "$(dirname "$0")/../lib/ns.sh"
xvt_init
need ping ethtool jq tc

H=$PFX-host LAN=$PFX-lan VM1=$PFX-vm1 VM2=$PFX-vm2 VM3=$PFX-vm3

topology() {
	lan_new &&
	vm_new "$VM1" "$H" vm1p 02:78:76:00:00:11 198.18.0.11/24 &&
	vm_new "$VM2" "$H" vm2p 02:78:76:00:00:12 198.18.0.12/24 &&
	vm_new "$VM3" "$H" vm3p 02:78:76:00:00:13 198.18.0.13/24 &&
	# Somebody else's clsact and filter: xvnet must share them and leave
	# them behind. The filter never matches (a local experimental type).
	tc -n "$H" qdisc add dev vm2p clsact &&
	tc -n "$H" filter add dev vm2p egress protocol 0x88b5 pref 1 \
		u32 match u32 0 0 classid 1:1
}

# status_state: "status --json" without its counters, which traffic moves.
status_state() {
	xv "$H" status -c "$1" --json |
		jq -S 'walk(if type == "object" then del(.counters, .drops) else . end)'
}

# port_kind CONF IFNAME: the attach kind status reports for a port.
port_kind() {
	xv "$H" status -c "$1" --json |
		jq -r --arg p "$2" '[.. | objects | select(.name? == $p and has("attach")) | .attach] | first // "missing"'
}

# fdb_macs CONF: the learned MACs, one a line, sorted.
fdb_macs() {
	xv "$H" fdb -c "$1" --json |
		jq -r '.. | strings | select(test("^([0-9a-f]{2}:){5}[0-9a-f]{2}$"))' | sort -u
}

# expect_config_error CMD FILE LINE: "xvnet CMD -c FILE" exits 1 and says
# "FILE:LINE:".
expect_config_error() {
	local cmd=$1 file=$2 line=$3 out rc
	out=$(xv "$H" "$cmd" -c "$file" 2>&1)
	rc=$?
	echo "$out"
	if [ $rc -ne 1 ]; then
		CHECK_WHY="xvnet $cmd -c $(basename "$file") exited $rc, want 1"
		return 1
	fi
	if ! grep -qF "$(basename "$file"):$line:" <<<"$out"; then
		CHECK_WHY="no '$(basename "$file"):$line:' in: $(head -n 1 <<<"$out")"
		return 1
	fi
}

# nothing_attached: no XDP, no tc BPF filter, qdiscs and filters as they
# were before (someone else's clsact on vm2p kept), no pin dir, the uplink's
# promiscuity as before.
nothing_attached() {
	local ok=0
	bpf_residue "$H" || ok=1
	if [ "$(tc_state "$H")" != "$TC0" ]; then
		echo "qdiscs or filters changed:"
		diff <(echo "$TC0") <(tc_state "$H")
		ok=1
	fi
	if [ -e "$PIN" ]; then
		echo "pin dir $PIN exists: $(ls "$PIN" | tr '\n' ' ')"
		ok=1
	fi
	if [ "$(promiscuity "$H" up0)" != "$PROMISC0" ]; then
		echo "up0 promiscuity $(promiscuity "$H" up0), was $PROMISC0"
		ok=1
	fi
	[ $ok = 0 ] || CHECK_WHY=$(bpf_residue "$H" | head -n 1)
	[ $ok = 0 ] || [ -n "$CHECK_WHY" ] || CHECK_WHY="qdiscs, filters, pins or promiscuity changed"
	return $ok
}

# check_bad_configs T: configs with one error each, on a known line.
check_bad_configs() {
	local t=$1 f=$TMP/bad.conf

	bridge_conf "$f" vm1p vm2p
	check "lifecycle-check-good$t" xv "$H" check -c "$f"

	bridge_conf "$f" vm1p vm2p
	echo "colour = blue" >>"$f"
	check "lifecycle-check-unknown-key$t" \
		expect_config_error check "$f" "$(wc -l <"$f")"

	bridge_conf "$f" vm1p vm2p
	sed -i 's/^mode = bridge$/mode = bridged/' "$f"
	check "lifecycle-check-bad-mode$t" \
		expect_config_error check "$f" "$(grep -n '^mode' "$f" | cut -d: -f1)"

	bridge_conf "$f" vm1p vm2p vm1p
	check "lifecycle-check-dup-port$t" \
		expect_config_error check "$f" "$(grep -n '^ports' "$f" | cut -d: -f1)"

	bridge_conf "$f" vm1p vm2p
	sed -i 's/^\[network lan\]$/[network this-is-too-long]/' "$f"
	check "lifecycle-check-bad-name$t" \
		expect_config_error check "$f" "$(grep -n '^\[network' "$f" | cut -d: -f1)"

	bridge_conf "$f" vm1p vm2p
	sed -i 's/^attach = .*/attach = fast/' "$f"
	check "lifecycle-check-bad-attach$t" \
		expect_config_error check "$f" "$(grep -n '^attach' "$f" | cut -d: -f1)"
}

# same_state A B: two status snapshots are equal.
same_state() {
	if [ -z "$1" ] || [ -z "$2" ]; then
		CHECK_WHY="status --json printed nothing"
		return 1
	fi
	if [ "$1" != "$2" ]; then
		diff <(echo "$1") <(echo "$2")
		CHECK_WHY="status --json changed"
		return 1
	fi
}

# kinds_are CONF KIND PORT...: status reports KIND for every PORT.
kinds_are() {
	local conf=$1 want=$2 p k bad=""
	shift 2
	for p in "$@"; do
		k=$(port_kind "$conf" "$p")
		echo "$p: $k"
		[ "$k" = "$want" ] || bad="$bad $p=$k"
	done
	[ -z "$bad" ] || { CHECK_WHY="want $want, got$bad"; return 1; }
}

# filters_count: number of tc filter lines on the host's interfaces.
filters_count() {
	local dev
	for dev in $(ip -n "$H" -j link show | jq -r '.[].ifname'); do
		tc -n "$H" filter show dev "$dev" ingress
		tc -n "$H" filter show dev "$dev" egress
	done | wc -l
}

# up_again CONF STATE0 FILTERS0: a second up exits 0 and changes nothing.
up_again() {
	xv "$H" up -c "$1" || { CHECK_WHY="second up exited $?"; return 1; }
	same_state "$2" "$(status_state "$1")" || return 1
	if [ "$(filters_count)" != "$3" ]; then
		CHECK_WHY="tc filters: $3 before, $(filters_count) after the second up"
		return 1
	fi
}

# macs_kept BEFORE AFTER: every MAC of BEFORE (non-empty) is in AFTER.
macs_kept() {
	local lost
	echo "before: $(echo $1)"
	echo "after:  $(echo $2)"
	[ -n "$1" ] || { CHECK_WHY="nothing learned before the reload"; return 1; }
	lost=$(comm -23 <(echo "$1") <(echo "$2"))
	[ -z "$lost" ] || { CHECK_WHY="lost by the reload: $(echo $lost)"; return 1; }
}

has_macs() {
	local m
	for m in "${@:2}"; do
		grep -qx "$m" <<<"$1" || { CHECK_WHY="$m not learned"; return 1; }
	done
}

is_promisc() {
	local p
	p=$(promiscuity "$H" up0)
	echo "up0 promiscuity $p"
	[ "$p" -gt 0 ]
}

round() {
	local t="[$ATTACH]" c1=$TMP/lan.conf c2=$TMP/missing.conf c3=$TMP/reload.conf
	local c4=$TMP/override.conf c5=$TMP/auto.conf other
	local kind state0 filters0 macs0 macs1 line

	setup "lifecycle-topology$t" topology || return
	TC0=$(tc_state "$H")
	PROMISC0=$(promiscuity "$H" up0)

	check_bad_configs "$t"

	# A port that does not exist: exit 1, FILE:LINE, nothing attached.
	bridge_conf "$c2" vm1p vm2p nosuch0
	line=$(grep -n '^ports' "$c2" | cut -d: -f1)
	_XVT_UP+=("$H $c2")
	check "lifecycle-up-missing-if$t" expect_config_error up "$c2" "$line"
	check "lifecycle-up-missing-if-clean$t" nothing_attached

	bridge_conf "$c1" vm1p vm2p
	up_check "lifecycle-up$t" "$H" "$c1"
	[ "$ATTACH" = xdp ] && kind=xdp-native || kind=tc
	check "lifecycle-status-kind$t" kinds_are "$c1" "$kind" up0 vm1p vm2p
	check "lifecycle-up-promisc$t" is_promisc
	check "lifecycle-vm-vm$t" ping_ok "$VM1" 198.18.0.12
	check "lifecycle-vm-lan$t" ping_ok "$VM2" 198.18.0.1

	# up again: exit 0, same state, no second set of filters.
	state0=$(status_state "$c1")
	filters0=$(filters_count)
	check "lifecycle-up-twice$t" up_again "$c1" "$state0" "$filters0"

	# A failing up of another config leaves the running one as it was.
	check "lifecycle-failed-up$t" expect_config_error up "$c2" "$line"
	check "lifecycle-failed-up-state$t" same_state "$state0" "$(status_state "$c1")"
	check "lifecycle-failed-up-vm-vm$t" ping_ok "$VM1" 198.18.0.12
	check "lifecycle-failed-up-vm-lan$t" ping_ok "$VM1" 198.18.0.1

	# reload with one more port: learned MACs survive, the port works.
	macs0=$(fdb_macs "$c1")
	check "lifecycle-fdb-learned$t" has_macs "$macs0" 02:78:76:00:00:11 02:78:76:00:00:12
	bridge_conf "$c3" vm1p vm2p vm3p
	_XVT_UP+=("$H $c3")
	check "lifecycle-reload$t" xv "$H" reload -c "$c3"
	macs1=$(fdb_macs "$c3")
	check "lifecycle-reload-keeps-fdb$t" macs_kept "$macs0" "$macs1"
	check "lifecycle-reload-new-port$t" ping_ok "$VM3" 198.18.0.11
	check "lifecycle-reload-status-kind$t" kinds_are "$c3" "$kind" up0 vm1p vm2p vm3p

	# attach in [network] overrides [global].
	[ "$ATTACH" = xdp ] && other=tc || other=xdp
	printf '[global]\nattach = %s\npin_dir = %s\n[network lan]\nmode = bridge\nattach = %s\nuplink = up0\nports = vm1p vm2p vm3p\n' \
		"$other" "$PIN" "$ATTACH" >"$c4"
	check "lifecycle-network-attach-override$t" xv "$H" reload -c "$c4"
	check "lifecycle-network-attach-kind$t" kinds_are "$c4" "$kind" up0 vm1p vm2p vm3p

	# auto: veths are virtual devices, so tc everywhere (XDP removed if it
	# was there), and forwarding goes on.
	sed 's/^attach = .*/attach = auto/' "$c4" >"$c5"
	check "lifecycle-auto-reload$t" xv "$H" reload -c "$c5"
	check "lifecycle-auto-is-tc$t" kinds_are "$c5" tc up0 vm1p vm2p vm3p
	check "lifecycle-auto-no-xdp$t" test "$(ip -n "$H" -d link show | grep -c prog/xdp)" = 0
	check "lifecycle-auto-vm-lan$t" ping_ok "$VM3" 198.18.0.1

	# down: no residue, and the VMs are no longer bridged.
	check "lifecycle-down$t" xv_down "$H" "$c5"
	XVT_BROKEN=""	# whatever failed before, down must leave nothing
	check "lifecycle-down-clean$t" nothing_attached
	check "lifecycle-down-promisc-off$t" test "$(promiscuity "$H" up0)" = 0
	check "lifecycle-down-detached$t" ping_fails "$VM1" 198.18.0.12
}

for_each_attach round
