#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Ports at run time:
#  - port add / port del, for hooks: a veth joins a network and leaves it;
#    add is idempotent, refuses unknown networks, uplinks and host
#    adapters; what it did lasts until reload;
#  - watch: interfaces matching `ports` globs are attached as they appear
#    (veths and taps), forgotten when they go (their FDB entries too), and
#    attached again when they come back; SIGHUP reloads the config (a new
#    glob), SIGTERM ends the watch and leaves the datapath running. The
#    time from `ip link add` to the tc program on the new port is printed.
# Once with attach = xdp, once with attach = tc.
#
#   lan                  host                             vm1, vm2, vm3
#  +------------+       +-----------------------------+  +-------------+
#  | lan0       |-------| up0 (uplink) [lan] vm1p     |--| eth0        |
#  | 198.18.0.1 |  veth |   ports = vm1p vnet*        |  | 198.18.0.1X |
#  +------------+       |   + extra (port add)        |  +-------------+
#                       |   + vnetN (watch)           |
#                       +-----------------------------+

. "$(dirname "$0")/../lib/ns.sh"
xvt_init
need ping jq tc

H=$PFX-host LAN=$PFX-lan VM1=$PFX-vm1 VM2=$PFX-vm2 VM3=$PFX-vm3

conf() {
	cat >"$1" <<-EOF
	[global]
	attach = $ATTACH
	pin_dir = $PIN

	[network lan]
	mode = bridge
	uplink = up0
	ports = vm1p vnet* $2

	[network lab]
	mode = hostonly
	subnet = 192.168.56.0/24
	ports = lab-*
	EOF
}

topology() {
	lan_new &&
	vm_new "$VM1" "$H" vm1p 02:78:76:00:07:01 198.18.0.11/24 &&
	ns_new "$VM2" "$VM3" &&
	ip -n "$VM2" link add eth0 type veth peer name extra netns "$H" &&
	ip -n "$VM2" link set eth0 address 02:78:76:00:07:02 up &&
	addr "$VM2" eth0 198.18.0.12/24 &&
	gro_on "$VM2" eth0 &&
	ip -n "$H" link set extra up
}

is_port() {
	xv "$H" status -c "$CONF" --json |
		jq -e --arg p "$1" 'any(.networks[].ports[]; .name == $p)' >/dev/null
}

not_port() {
	is_port "$1" || return 0
	CHECK_WHY="$1 is still a port"
	return 1
}

fails_with() {
	local rc=$1
	shift
	"$@" >"$TMP/out" 2>&1
	[ $? = "$rc" ] && { cat "$TMP/out"; return 0; }
	CHECK_WHY="'$*' did not exit $rc: $(tail -n 1 "$TMP/out")"
	return 1
}

fdb_empty_for() {
	local n
	n=$(xv "$H" fdb lan -c "$CONF" --json | jq --arg p "$1" '[.[] | select(.port == $p)] | length')
	[ "$n" = 0 ] && return 0
	CHECK_WHY="$n FDB entries still point at $1"
	return 1
}

# new_vnet NAME NS MAC ADDR: a veth NAME in $H whose peer is NS's eth0;
# prints how long until NAME has our tc program (watch attached it).
new_vnet() {
	local name=$1 ns=$2 t0 t1 i
	ip -n "$ns" link del eth0 2>/dev/null
	t0=$(date +%s%N)
	ip -n "$H" link add "$name" type veth peer name eth0 netns "$ns" || return 1
	for i in $(seq 500); do
		tc -n "$H" filter show dev "$name" ingress 2>/dev/null | grep -q bpf && break
		sleep 0.01
	done
	t1=$(date +%s%N)
	tc -n "$H" filter show dev "$name" ingress | grep -q bpf || {
		CHECK_WHY="$name not attached within 5 s"; return 1; }
	CHECK_NOTE="attached $(( (t1 - t0) / 1000000 )) ms after ip link add"
	ip -n "$ns" link set eth0 address "$3" up &&
	ip -n "$H" link set "$name" up &&
	ip -n "$ns" addr add "$4/24" dev eth0 2>/dev/null
	gro_on "$ns" eth0
}

watch_alive() {
	kill -0 "$WATCH" 2>/dev/null && return 0
	CHECK_WHY="watch exited: $(tail -n 3 "$TMP/watch.log")"
	return 1
}

watch_exits_on_term() {
	local i
	kill -TERM "$WATCH"
	for i in $(seq 50); do
		kill -0 "$WATCH" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$WATCH" 2>/dev/null; then
		CHECK_WHY="watch still running 5 s after SIGTERM"
		return 1
	fi
	wait "$WATCH"
	[ $? = 0 ] && return 0
	CHECK_WHY="watch exited with status $?"
	return 1
}

round() {
	local t="[$ATTACH]"
	CONF=$TMP/watch.conf
	conf "$CONF"
	setup "topology$t" topology || return
	up_check "watch-up$t" "$H" "$CONF"

	# port add / del
	check "port-add$t" xv "$H" port add lan extra -c "$CONF"
	check "port-add-forwards$t" ping_ok "$VM2" 198.18.0.1
	check "port-add-again-is-fine$t" xv "$H" port add lan extra -c "$CONF"
	check "port-add-unknown-network$t" fails_with 1 xv "$H" port add nosuch extra -c "$CONF"
	check "port-add-missing-interface$t" fails_with 1 xv "$H" port add lan nosuch0 -c "$CONF"
	check "port-add-uplink-refused$t" fails_with 1 xv "$H" port add lan up0 -c "$CONF"
	check "port-add-other-network-refused$t" fails_with 1 xv "$H" port add lab extra -c "$CONF"
	check "port-del-uplink-refused$t" fails_with 1 xv "$H" port del up0 -c "$CONF"
	check "port-del$t" xv "$H" port del extra -c "$CONF"
	check "port-del-stops-forwarding$t" ping_fails "$VM2" 198.18.0.1
	check "port-del-flushes-fdb$t" fdb_empty_for extra
	check "port-add-hostonly$t" xv "$H" port add lab extra -c "$CONF"
	check "port-add-lasts-until-reload$t" is_port extra
	check "reload-drops-added-port$t" xv "$H" reload -c "$CONF"
	check "reload-dropped-it$t" not_port extra

	# watch
	spawn watch timeout 120 "$XVNET" -n "$H" watch -c "$CONF"
	WATCH=$BG_PID
	check "watch-running$t" wait_for 5 grep -q "watching" "$TMP/watch.log"
	check "watch-attaches-new-veth$t" new_vnet vnet1 "$VM3" 02:78:76:00:07:03 198.18.0.13
	check "watch-new-port-forwards$t" ping_ok "$VM3" 198.18.0.1
	check "watch-new-port-vm-vm$t" ping_ok "$VM3" 198.18.0.11
	ip -n "$H" link del vnet1
	check "watch-forgets-deleted$t" wait_for 5 not_port vnet1
	check "watch-deleted-fdb-flushed$t" fdb_empty_for vnet1
	check "watch-reattaches-recreated$t" new_vnet vnet1 "$VM3" 02:78:76:00:07:03 198.18.0.13
	check "watch-recreated-forwards$t" ping_ok "$VM3" 198.18.0.1
	ip -n "$H" tuntap add dev vnet7 mode tap
	check "watch-attaches-tap$t" wait_for 5 is_port vnet7
	ip -n "$H" link del vnet7
	check "watch-forgets-tap$t" wait_for 5 not_port vnet7
	# SIGHUP: a config with one more glob.
	conf "$CONF" "extra"
	kill -HUP "$WATCH"
	check "watch-sighup-reloads$t" wait_for 10 is_port extra
	check "watch-after-reload-forwards$t" ping_ok "$VM2" 198.18.0.1
	check "watch-alive$t" watch_alive
	check "watch-sigterm-exits$t" watch_exits_on_term
	check "datapath-stays-after-watch$t" ping_ok "$VM3" 198.18.0.11
}

for_each_attach round
