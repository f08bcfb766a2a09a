#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make install and the service pieces (issue 7), into a DESTDIR under the
# test's temp dir (never the machine's /usr or /etc):
#  - the loader, the systemd unit, the sample /etc/xvnet.conf and the docs
#    land where they belong, for PREFIX=/usr/local and PREFIX=/usr, the
#    unit's paths following PREFIX;
#  - a second install keeps a config the user changed;
#  - "systemd-analyze verify" accepts the unit (in a private mount
#    namespace where the DESTDIR's /usr/local is bound over /usr/local);
#  - the sample config passes "xvnet check", and up/status/down, in a
#    namespace that has its NIC eth0;
#  - the libvirt hook maps a domain's interfaces to "xvnet port add/del"
#    (a stub loader records the calls) and, with the real loader, attaches
#    and detaches a tap;
#  - qemu-xvnet.sh creates the tap, hands QEMU (a stub) the right -netdev
#    and -device, joins the tap to the network, and removes it at the end;
#  - the unit's own command lines, run as systemd runs them (in a private
#    mount namespace whose /usr/local is the DESTDIR's and whose /etc has
#    the config): start (up, then the watcher, which attaches a new tap),
#    reload (a new pattern: the watcher attaches a tap matching it; a
#    broken config fails with FILE:LINE and changes nothing), stop
#    (SIGTERM leaves the datapath, ExecStopPost's down leaves nothing).
#
#   host (namespace), the sample config's networks
#  +--------------------------------------------------------+
#  | eth0 198.18.0.2/24 (veth to nowhere): uplink of lan,   |
#  |   nat0 (host adapter xv-nat0), lab (xv-lab)            |
#  | taps: tap-nat-q0 (QEMU example), tap-lab-q1 and vnet7  |
#  |   (libvirt hook), tap-q2 (QEMU example, port add),     |
#  |   tap-nat-s0 and xvs-1 (the service's watcher)         |
#  +--------------------------------------------------------+

. "$(dirname "$0")/../lib/ns.sh"
xvt_init
need make cmp jq python3 ip nsenter unshare

H=$PFX-host
BUILD_DIR=$(dirname "$XVNET")
ROOT=$TMP/root ROOT2=$TMP/root2
SAMPLE=$XVT_TOP/contrib/xvnet.conf.example
HOOK=$XVT_TOP/contrib/libvirt-qemu-hook
QEMU_SH=$XVT_TOP/contrib/qemu-xvnet.sh

# install DESTDIR [MAKE ARGS...]: make install of the loader already built
# (never rebuilt here: -o).
install_to() {
	local dest=$1
	shift
	make -s -C "$XVT_TOP" BUILD="$BUILD_DIR" -o "$BUILD_DIR/xvnet" install \
		DESTDIR="$dest" "$@"
}

# files_ok ROOT PREFIX: the installed files, modes and paths.
files_ok() {
	local r=$1 p=$2 unit=$1$2/lib/systemd/system/xvnet.service f bad
	for f in "$r$p/sbin/xvnet" "$unit" "$r/etc/xvnet.conf" \
		"$r$p/share/doc/xvnet/README.md" "$r$p/share/doc/xvnet/xvnet.conf.example" \
		"$r$p/share/doc/xvnet/libvirt-qemu-hook" "$r$p/share/doc/xvnet/qemu-xvnet.sh"; do
		[ -f "$f" ] || { CHECK_WHY="missing: ${f#"$r"}"; return 1; }
	done
	cmp "$XVNET" "$r$p/sbin/xvnet" || { CHECK_WHY="sbin/xvnet is not the built loader"; return 1; }
	[ "$(stat -c %a "$r$p/sbin/xvnet")" = 755 ] || { CHECK_WHY="sbin/xvnet mode $(stat -c %a "$r$p/sbin/xvnet")"; return 1; }
	[ "$(stat -c %a "$unit")" = 644 ] || { CHECK_WHY="unit mode $(stat -c %a "$unit")"; return 1; }
	[ -x "$r$p/share/doc/xvnet/libvirt-qemu-hook" ] || { CHECK_WHY="hook not executable"; return 1; }
	grep -n '^Exec' "$unit"
	# Every command of the unit is the installed loader (or kill).
	bad=$(grep '^Exec' "$unit" | grep -v "=$p/sbin/xvnet \|=/bin/kill ")
	[ -z "$bad" ] || { CHECK_WHY="unit runs something else: $bad"; return 1; }
	for f in ExecStartPre="$p/sbin/xvnet up" ExecStart="$p/sbin/xvnet watch" \
		ExecReload="$p/sbin/xvnet reload" ExecStopPost="$p/sbin/xvnet down"; do
		grep -qxF "$f" "$unit" || { CHECK_WHY="unit lacks $f"; return 1; }
	done
	if [ "$p" != /usr/local ] && grep -n /usr/local "$unit" "$r$p/share/doc/xvnet/libvirt-qemu-hook" \
		"$r$p/share/doc/xvnet/qemu-xvnet.sh"; then
		CHECK_WHY="/usr/local left in an installed file for PREFIX=$p"
		return 1
	fi
	cmp "$SAMPLE" "$r/etc/xvnet.conf" || { CHECK_WHY="/etc/xvnet.conf is not the sample"; return 1; }
}

# config_kept: a changed /etc/xvnet.conf survives another install.
config_kept() {
	echo "; changed by the user" >>"$ROOT/etc/xvnet.conf"
	cp "$ROOT/etc/xvnet.conf" "$TMP/mine.conf"
	install_to "$ROOT" || { CHECK_WHY="second make install failed"; return 1; }
	cmp "$TMP/mine.conf" "$ROOT/etc/xvnet.conf" || { CHECK_WHY="make install replaced the user's /etc/xvnet.conf"; return 1; }
}

# unit_verifies: systemd-analyze verify exits 0 and says nothing about
# xvnet.service (what it may say about the machine's own units is not
# ours), run where /usr/local is the DESTDIR's (a private mount namespace).
unit_verifies() {
	local out rc
	out=$(unshare -m --propagation private sh -c '
		mount --bind "$1/usr/local" /usr/local &&
		cd / && systemd-analyze verify /usr/local/lib/systemd/system/xvnet.service' \
		sh "$ROOT" 2>&1)
	rc=$?
	echo "$out"
	[ $rc = 0 ] && ! grep -q xvnet <<<"$out" && return 0
	CHECK_WHY="systemd-analyze verify exited $rc: $(head -n 1 <<<"$out")"
	return 1
}

# sample_world: $H with the NIC the sample names (eth0, with an address).
sample_world() {
	ns_new "$H" &&
	ip -n "$H" link add eth0 type veth peer name eth0p &&
	addr "$H" eth0 198.18.0.2/24 &&
	ip -n "$H" link set eth0 up &&
	ip -n "$H" link set eth0p up
}

# sample_up_down: the sample, with this test's pin_dir, goes up (three
# networks in status) and down without residue.
sample_up_down() {
	local c=$TMP/sample.conf n
	sed "s|^;pin_dir = .*|pin_dir = $PIN|" "$SAMPLE" >"$c"
	grep -q "^pin_dir = $PIN" "$c" || { CHECK_WHY="no ;pin_dir line in the sample"; return 1; }
	xv_up "$H" "$c" || { CHECK_WHY="xvnet up of the sample exited $?"; return 1; }
	n=$(xv "$H" status -c "$c" --json | jq '.networks | length')
	[ "$n" = 3 ] || { CHECK_WHY="status lists ${n:-no} networks, want 3"; return 1; }
	xv_down "$H" "$c" || { CHECK_WHY="xvnet down exited $?"; return 1; }
	bpf_residue "$H" || return 1
	[ ! -e "$PIN" ] || { CHECK_WHY="pin dir left"; return 1; }
}

# --- the libvirt hook ----------------------------------------------------------------

# A domain as libvirt passes it at "start": three interfaces, two mapped
# (by MAC, children namespaced; by tap name, children in no namespace as
# "virsh metadata --key" writes them), one not.
domain_xml() {
	cat <<'XML'
<domain type='kvm' id='3'>
  <name>web</name>
  <metadata>
    <xvnet:ports xmlns:xvnet='urn:xvnet:libvirt:1'>
      <xvnet:port mac='52:54:00:AA:00:01' network='nat0'/>
    </xvnet:ports>
    <xv:ports xmlns:xv='urn:xvnet:libvirt:1'><port dev='tap-lab-q1' network='lab'/></xv:ports>
  </metadata>
  <devices>
    <interface type='ethernet'>
      <mac address='52:54:00:aa:00:01'/>
      <target dev='vnet7'/>
      <model type='virtio'/>
    </interface>
    <interface type='ethernet'>
      <mac address='52:54:00:aa:00:02'/>
      <target dev='tap-lab-q1' managed='no'/>
      <model type='virtio'/>
    </interface>
    <interface type='network'>
      <mac address='52:54:00:aa:00:03'/>
      <source network='default'/>
      <target dev='vnet8'/>
    </interface>
  </devices>
</domain>
XML
}

# hook OP [EXIT]: run the hook for OP with a stub loader that records its
# arguments in $TMP/calls and exits EXIT (default 0); HOOK_RC, HOOK_OUT
# (stdout), $TMP/hook.err.
hook() {
	printf '#!/bin/sh\necho "$*" >>%s\nexit %s\n' "$TMP/calls" "${2:-0}" >"$TMP/stub"
	chmod +x "$TMP/stub"
	: >"$TMP/calls"
	HOOK_OUT=$(domain_xml | XVNET=$TMP/stub "$NAT_PYTHON" "$HOOK" web "$1" begin - 2>"$TMP/hook.err")
	HOOK_RC=$?
	echo "$1: exit $HOOK_RC, calls:"
	cat "$TMP/calls" "$TMP/hook.err"
}

hook_calls_ok() {
	local want
	hook start || { CHECK_WHY="start exited $HOOK_RC"; return 1; }
	want=$'port add nat0 vnet7\nport add lab tap-lab-q1'
	[ "$(cat "$TMP/calls")" = "$want" ] || { CHECK_WHY="start called: $(tr '\n' ';' <"$TMP/calls")"; return 1; }
	for op in stopped release; do
		hook "$op" || { CHECK_WHY="$op exited $HOOK_RC"; return 1; }
		want=$'port del vnet7\nport del tap-lab-q1'
		[ "$(cat "$TMP/calls")" = "$want" ] || { CHECK_WHY="$op called: $(tr '\n' ';' <"$TMP/calls")"; return 1; }
	done
	for op in prepare started migrate restore; do
		hook "$op"
		[ $HOOK_RC = 0 ] && [ ! -s "$TMP/calls" ] && [ -z "$HOOK_OUT" ] ||
			{ CHECK_WHY="$op: exit $HOOK_RC, calls '$(cat "$TMP/calls")', stdout '$HOOK_OUT'"; return 1; }
	done
}

hook_failures_ok() {
	hook start 1
	[ $HOOK_RC != 0 ] || { CHECK_WHY="start with a failing port add exited 0"; return 1; }
	grep -q 'xvnet hook: .*port add' "$TMP/hook.err" || { CHECK_WHY="no message on stderr"; return 1; }
	hook release 1
	[ $HOOK_RC = 0 ] || { CHECK_WHY="release with a failing port del exited $HOOK_RC"; return 1; }
}

# port_listed CONF IFNAME: status lists IFNAME as a port.
port_listed() {
	xv "$H" status -c "$1" --json |
		jq -e --arg p "$2" '[.. | objects | select(.name? == $p and has("attach"))] | length > 0'
}

# hook_real CONF: the hook with the real loader attaches tap-lab-q1 and
# vnet7 at "start" and detaches them at "stopped".
hook_real() {
	local c=$1
	HOOK_OUT=$(domain_xml | XVNET=$XVNET XVNET_OPTS="-n $H -c $c" \
		"$NAT_PYTHON" "$HOOK" web start begin - 2>"$TMP/hook.err")
	HOOK_RC=$?
	cat "$TMP/hook.err"
	[ $HOOK_RC = 0 ] || { CHECK_WHY="start exited $HOOK_RC: $(tail -n 1 "$TMP/hook.err")"; return 1; }
	port_listed "$c" vnet7 && port_listed "$c" tap-lab-q1 ||
		{ CHECK_WHY="status does not list vnet7 and tap-lab-q1 after start"; return 1; }
	domain_xml | XVNET=$XVNET XVNET_OPTS="-n $H -c $c" \
		"$NAT_PYTHON" "$HOOK" web stopped end - 2>"$TMP/hook.err"
	HOOK_RC=$?
	cat "$TMP/hook.err"
	[ $HOOK_RC = 0 ] || { CHECK_WHY="stopped exited $HOOK_RC"; return 1; }
	! port_listed "$c" vnet7 && ! port_listed "$c" tap-lab-q1 ||
		{ CHECK_WHY="status still lists the taps after stopped"; return 1; }
}

# --- the QEMU example ----------------------------------------------------------------

# qemu_sh NET TAP CONF: qemu-xvnet.sh in $H with a stub QEMU that records
# its arguments and whether the tap existed (and was a port) meanwhile.
qemu_sh() {
	local net=$1 tap=$2 c=$3
	cat >"$TMP/qemu" <<EOF
#!/bin/sh
echo "\$*" >"$TMP/qemu.args"
ip -br link show dev $tap >"$TMP/qemu.tap" 2>&1
"$XVNET" -c "$c" status --json >"$TMP/qemu.status" 2>&1
exit 0
EOF
	chmod +x "$TMP/qemu"
	rm -f "$TMP/qemu.args" "$TMP/qemu.tap" "$TMP/qemu.status"
	nsenter --net="/run/netns/$H" env XVNET="$XVNET" XVNET_OPTS="-c $c" \
		QEMU="$TMP/qemu" bash "$QEMU_SH" "$net" "$tap" /dev/null 52:54:00:aa:00:09 -- -S
}

qemu_args_ok() {
	local tap=$1
	qemu_sh - "$tap" "$TMP/hooked.conf" || { CHECK_WHY="qemu-xvnet.sh exited $?"; return 1; }
	cat "$TMP/qemu.args" "$TMP/qemu.tap"
	grep -q -- "-netdev tap,id=n0,ifname=$tap,script=no,downscript=no" "$TMP/qemu.args" &&
		grep -q -- "-device virtio-net-pci,netdev=n0,mac=52:54:00:aa:00:09" "$TMP/qemu.args" &&
		grep -q -- " -S$" "$TMP/qemu.args" ||
		{ CHECK_WHY="QEMU got: $(cat "$TMP/qemu.args" 2>/dev/null)"; return 1; }
	grep -q "^$tap " "$TMP/qemu.tap" || { CHECK_WHY="no tap $tap while QEMU ran"; return 1; }
	! ip -n "$H" link show dev "$tap" 2>/dev/null || { CHECK_WHY="tap $tap left after QEMU exited"; return 1; }
}

qemu_port_ok() {
	local tap=$1
	qemu_sh lab "$tap" "$TMP/hooked.conf" || { CHECK_WHY="qemu-xvnet.sh exited $?"; return 1; }
	jq -e --arg p "$tap" '[.. | objects | select(.name? == $p and has("attach"))] | length > 0' \
		"$TMP/qemu.status" || { CHECK_WHY="status did not list $tap while QEMU ran"; return 1; }
	! port_listed "$TMP/hooked.conf" "$tap" || { CHECK_WHY="$tap still a port after QEMU exited"; return 1; }
}

# --- the unit's commands, as systemd would run them ----------------------------------

# svc_ns CONF: a private mount namespace (held by a sleeping process,
# SVC_PID) where /usr/local is the DESTDIR's and /etc an overlay whose
# xvnet.conf is CONF.
svc_ns() {
	mkdir -p "$TMP/etc-up" "$TMP/etc-work"
	spawn svc-ns unshare -m --propagation private sh -c '
		mount --bind "$1/usr/local" /usr/local &&
		mount -t overlay overlay -o "lowerdir=/etc,upperdir=$2,workdir=$3" /etc &&
		cp "$4" /etc/xvnet.conf && echo ready && exec sleep 120' \
		sh "$ROOT" "$TMP/etc-up" "$TMP/etc-work" "$1"
	SVC_PID=$BG_PID
	wait_for 5 grep -q ready "$TMP/svc-ns.log" || { cat "$TMP/svc-ns.log"; return 1; }
}

# in_svc CMD...: CMD in the service's mount namespace and in $H.
in_svc() { nsenter --mount="/proc/$SVC_PID/ns/mnt" --net="/run/netns/$H" -- "$@"; }

# unit_run KEY: every KEY= line of the installed unit, in order, $MAINPID
# replaced, as systemd runs them (stops at the first failure).
unit_run() {
	local line
	while IFS= read -r line; do
		line=${line//\$MAINPID/$MAIN_PID}
		echo "+ $line"
		# shellcheck disable=SC2086
		in_svc $line || { CHECK_WHY="$1=$line exited $?"; return 1; }
	done < <(sed -n "s/^$1=//p" "$ROOT/usr/local/lib/systemd/system/xvnet.service")
}

# tap_attached NAME: status lists NAME as a port.
tap_attached() { port_listed "$TMP/svc.conf" "$1"; }

svc_start() {
	unit_run ExecStartPre || return 1
	# ExecStart: nsenter execs, so MAIN_PID is the watcher's.
	# shellcheck disable=SC2046
	spawn svc-watch nsenter --mount="/proc/$SVC_PID/ns/mnt" --net="/run/netns/$H" -- \
		$(sed -n 's/^ExecStart=//p' "$ROOT/usr/local/lib/systemd/system/xvnet.service")
	MAIN_PID=$BG_PID
	sleep 0.3
	kill -0 "$MAIN_PID" 2>/dev/null || { CHECK_WHY="the watcher exited: $(tail -n 1 "$TMP/svc-watch.log")"; return 1; }
}

# svc_new_tap NAME: a tap appears; the watcher attaches it within 2 s.
svc_new_tap() {
	ip -n "$H" tuntap add dev "$1" mode tap && ip -n "$H" link set "$1" up || return 1
	wait_for 2 tap_attached "$1" || { CHECK_WHY="$1 not attached 2 s after it appeared"; cat "$TMP/svc-watch.log"; return 1; }
}

# svc_reload: /etc/xvnet.conf gets a new pattern (xvs-* in lab); the
# unit's ExecReload lines; the watcher lives on and attaches xvs-1.
svc_reload() {
	sed -i 's/^ports = tap-lab-\*$/ports = tap-lab-* xvs-*/' "$TMP/svc.conf"
	in_svc cp "$TMP/svc.conf" /etc/xvnet.conf || return 1
	unit_run ExecReload || return 1
	sleep 0.5
	kill -0 "$MAIN_PID" 2>/dev/null || { CHECK_WHY="the watcher died on reload: $(tail -n 1 "$TMP/svc-watch.log")"; return 1; }
	svc_new_tap xvs-1
}

# svc_bad_reload: a broken /etc/xvnet.conf makes the reload fail (exit 1,
# FILE:LINE), the running ports stay, the watcher lives on.
svc_bad_reload() {
	local rc
	in_svc sh -c 'printf "colour = blue\n" >>/etc/xvnet.conf' || return 1
	unit_run ExecReload
	rc=$?
	in_svc cp "$TMP/svc.conf" /etc/xvnet.conf
	[ $rc != 0 ] || { CHECK_WHY="reload of a broken config succeeded"; return 1; }
	grep -q 'xvnet.conf:[0-9]*:' "$TMP/check.out" || { CHECK_WHY="no FILE:LINE message"; return 1; }
	tap_attached xvs-1 || { CHECK_WHY="xvs-1 lost by the failed reload"; return 1; }
	kill -0 "$MAIN_PID" 2>/dev/null || { CHECK_WHY="the watcher died"; return 1; }
}

# svc_stop: systemd's stop: SIGTERM to the control group (the watcher
# leaves the datapath running; the dnsmasq daemons go too), then
# ExecStopPost: no residue.
svc_stop() {
	local pid
	kill -TERM "$MAIN_PID"
	finish_pid "$MAIN_PID" || { CHECK_WHY="the watcher did not exit on SIGTERM"; return 1; }
	[ -e "$PIN" ] || { CHECK_WHY="the datapath went with the watcher (pins gone before ExecStopPost)"; return 1; }
	for pid in $(dnsmasq_pids); do
		kill -TERM "$pid"
	done
	unit_run ExecStopPost || return 1
	bpf_residue "$H" || { CHECK_WHY="BPF programs left"; return 1; }
	[ ! -e "$PIN" ] || { CHECK_WHY="pin dir left: $(ls "$PIN" | tr '\n' ' ')"; return 1; }
	[ -z "$(dnsmasq_pids)" ] || { CHECK_WHY="dnsmasq left"; return 1; }
	[ ! -e "$RUN_DIR" ] || { CHECK_WHY="run dir left: $(ls -A "$RUN_DIR" | tr '\n' ' ')"; return 1; }
	! ip -n "$H" link show dev xv-nat0 >/dev/null 2>&1 || { CHECK_WHY="host adapter left"; return 1; }
}

# finish_pid PID: wait up to 5 s for a process we started to end.
finish_pid() {
	local i
	for i in $(seq 50); do
		kill -0 "$1" 2>/dev/null || { wait "$1" 2>/dev/null; return 0; }
		sleep 0.1
	done
	return 1
}

main() {
	local c=$TMP/hooked.conf
	check "install-prefix-usr-local" install_to "$ROOT"
	check "install-files-usr-local" files_ok "$ROOT" /usr/local
	check "install-keeps-user-config" config_kept
	check "install-prefix-usr" install_to "$ROOT2" PREFIX=/usr
	check "install-files-usr" files_ok "$ROOT2" /usr
	if command -v systemd-analyze >/dev/null && command -v unshare >/dev/null; then
		check "install-unit-verifies" unit_verifies
	else
		skip "install-unit-verifies" "systemd-analyze (Debian package systemd) not installed"
	fi

	setup "sample-world" sample_world || return
	check "sample-config-checks" xv "$H" check -c "$SAMPLE"
	check "sample-config-up-down" sample_up_down

	check "hook-calls" hook_calls_ok
	check "hook-failures" hook_failures_ok

	# The sample with this test's pin_dir, and the taps of the hook and
	# the QEMU example (created by them, or here).
	sed "s|^;pin_dir = .*|pin_dir = $PIN|" "$SAMPLE" >"$c"
	setup "hook-world" xv_up "$H" "$c" || return
	check "qemu-example-args-and-tap" qemu_args_ok tap-nat-q0
	ip -n "$H" tuntap add dev vnet7 mode tap && ip -n "$H" link set vnet7 up
	ip -n "$H" tuntap add dev tap-lab-q1 mode tap && ip -n "$H" link set tap-lab-q1 up
	check "hook-real-port-add-del" hook_real "$c"
	check "qemu-example-port-add-del" qemu_port_ok tap-q2
	check "hook-world-down" xv_down "$H" "$c"

	# The unit's commands in the order systemd runs them.
	cp "$c" "$TMP/svc.conf"
	_XVT_UP+=("$H $TMP/svc.conf")
	setup "service-namespace" svc_ns "$TMP/svc.conf" || return
	check "service-start" svc_start
	check "service-watch-attaches" svc_new_tap tap-nat-s0
	check "service-reload" svc_reload
	check "service-reload-bad-config" svc_bad_reload
	check "service-stop-no-residue" svc_stop
}

nat_python
main
