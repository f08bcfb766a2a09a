# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers for tests that boot a real virtual machine: QEMU under TCG (no KVM
# needed) with a virtio-net NIC on a tap, the guest built by
# tests/vm/build_guest.sh (a Debian kernel and a busybox initramfs whose
# /init obeys "xv.*" words on the kernel command line and reports
# "XV-RESULT ..." lines on the serial console; that script documents them).
# Source after tests/lib/ns.sh.
#
# The tap is made beforehand, persistent, in the host's namespace (as a
# hypervisor's management layer would), so that xvnet attaches to it before
# the guest boots; QEMU runs inside that namespace ("ip netns exec") and
# opens the existing tap. Every QEMU is bounded by timeout and stopped by
# its PID.

QEMU=${QEMU:-qemu-system-x86_64}
GUEST_MACHINE=${XV_GUEST_MACHINE:-pc}	# pc or q35
GUEST_MEM=${XV_GUEST_MEM:-256M}
# qboot (in Debian's qemu-system-data) boots a -kernel faster than SeaBIOS.
GUEST_BIOS=${XV_GUEST_BIOS-qboot.rom}
GUEST_KERNEL="" GUEST_INITRD=""
declare -A _GUEST_T0=()

# guest_usable: succeed if QEMU can run a TCG machine here; otherwise set
# GUEST_WHY to the reason. Falls back to QEMU's default firmware if
# GUEST_BIOS does not start.
guest_usable() {
	GUEST_WHY=""
	if ! command -v "$QEMU" >/dev/null 2>&1; then
		GUEST_WHY="$QEMU not installed (make deps)"
		return 1
	fi
	if [ ! -c /dev/net/tun ]; then
		GUEST_WHY="no /dev/net/tun"
		return 1
	fi
	_guest_probe && return 0
	if [ -n "$GUEST_BIOS" ]; then
		GUEST_BIOS=""
		_guest_probe && return 0
	fi
	GUEST_WHY="$QEMU -M $GUEST_MACHINE -accel tcg does not start: $(tail -n 1 <<<"$_GUEST_OUT")"
	return 1
}

# A paused machine that quits at once: the binary, the machine type, the
# firmware and TCG all work.
_guest_probe() {
	_GUEST_OUT=$(echo quit | timeout 20 "$QEMU" -M "$GUEST_MACHINE" -accel tcg \
		${GUEST_BIOS:+-bios "$GUEST_BIOS"} -nodefaults -no-user-config \
		-display none -monitor stdio -S 2>&1)
}

# guest_build: build (or find up to date) the guest; sets GUEST_KERNEL and
# GUEST_INITRD. The build's output is in $TMP/guest-build.log.
guest_build() {
	local log=$TMP/guest-build.log last
	"$XVT_TOP/tests/vm/build_guest.sh" >"$log" 2>&1 || {
		tail -n 5 "$log"
		return 1
	}
	last=$(tail -n 1 "$log")
	read -r _ GUEST_KERNEL GUEST_INITRD <<<"$last"
	if [ ! -s "$GUEST_KERNEL" ] || [ ! -s "$GUEST_INITRD" ]; then
		echo "build_guest.sh said: $last"
		return 1
	fi
}

# tap_new NS TAP: a persistent tap in NS, up (no carrier until QEMU opens it).
tap_new() {
	ip -n "$1" tuntap add dev "$2" mode tap &&
	ip -n "$1" link set "$2" up
}

# guest_boot NAME NS TAP MAC SECONDS WORD...: boot the guest in the
# background, its NIC (virtio-net-pci, MAC) on TAP in NS; WORDs go on the
# kernel command line. Serial console in $TMP/NAME.serial, QEMU's own output
# in $TMP/NAME.log. QEMU is killed after SECONDS. Sets GUEST_PID.
guest_boot() {
	local name=$1 ns=$2 tap=$3 mac=$4 secs=$5
	shift 5
	rm -f "$TMP/$name.serial"
	spawn_in "$ns" "$name" timeout -k 5 "$secs" "$QEMU" \
		-M "$GUEST_MACHINE" -accel tcg -smp 1 -m "$GUEST_MEM" \
		-nographic -nodefaults -no-user-config -no-reboot \
		-monitor none -serial "file:$TMP/$name.serial" \
		${GUEST_BIOS:+-bios "$GUEST_BIOS"} \
		-kernel "$GUEST_KERNEL" -initrd "$GUEST_INITRD" \
		-append "console=ttyS0 quiet panic=-1 $*" \
		-netdev "tap,id=n0,ifname=$tap,script=no,downscript=no" \
		-device "virtio-net-pci,netdev=n0,mac=$mac,romfile="
	GUEST_PID=$BG_PID
	_GUEST_T0[$GUEST_PID]=$(date +%s%N)
}

# guest_wait PID: wait for that guest to power off (or its timeout to kill
# it); GUEST_SECS is how long it ran, GUEST_RC QEMU's exit status (124:
# timed out). Succeeds if QEMU exited by itself with status 0.
guest_wait() {
	local pid=$1 t0=${_GUEST_T0[$1]:-} p keep=()
	wait "$pid"
	GUEST_RC=$?
	GUEST_SECS=""
	[ -n "$t0" ] && GUEST_SECS=$(awk -v a="$t0" -v b="$(date +%s%N)" \
		'BEGIN { printf "%.1f", (b - a) / 1e9 }')
	# Reaped: teardown must not signal a PID that may be reused.
	for p in "${_XVT_PIDS[@]}"; do
		[ "$p" = "$pid" ] || keep+=("$p")
	done
	_XVT_PIDS=("${keep[@]}")
	[ "$GUEST_RC" = 0 ]
}

# guest_result NAME KEY: the last "XV-RESULT KEY ..." line of NAME's serial
# console, without "XV-RESULT " (fails if there is none). The firmware's
# escape sequences may precede the first one on its line.
guest_result() {
	local line
	line=$(guest_results "$1" "$2" | tail -n 1)
	[ -n "$line" ] || return 1
	echo "$line"
}

# guest_results NAME KEY: every such line, in order.
guest_results() {
	tr -d '\r' <"$TMP/$1.serial" 2>/dev/null | grep -a "XV-RESULT $2 " | sed 's/^.*XV-RESULT //'
}

# guest_console NAME: the serial console, indented (diagnostics).
guest_console() {
	tr -d '\r' <"$TMP/$1.serial" 2>/dev/null | _indent
}

# field "LINE" NAME: the word after NAME in LINE ("lease 1.2.3.4 mask ...").
field() {
	awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }' <<<"$1"
}

# The test's TCP ends, in python3: one connection each, then exit. A sink
# writes what it receives to FILE and logs "received BYTES from PEER"; a
# source sends BYTES random bytes, writes them to FILE and logs "served
# BYTES to PEER". Both give up after SECONDS.
_GUEST_PY='
import socket, sys, os
mode, addr, port, path, secs = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], float(sys.argv[5])
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((addr, port))
s.listen(1)
s.settimeout(secs)
print("listening", addr, port, flush=True)
c, peer = s.accept()
c.settimeout(secs)
n = 0
with open(path, "wb") as f:
    if mode == "sink":
        while True:
            b = c.recv(65536)
            if not b:
                break
            f.write(b)
            n += len(b)
        print("received", n, "from", "%s:%d" % peer, flush=True)
    else:
        data = os.urandom(int(sys.argv[6]))
        f.write(data)
        c.sendall(data)
        n = len(data)
        c.shutdown(socket.SHUT_WR)
        while c.recv(65536):
            pass
        print("served", n, "to", "%s:%d" % peer, flush=True)
c.close()
'

# tcp_sink NS ADDR PORT NAME SECONDS: a one-connection sink, writing
# $TMP/NAME.data, log $TMP/NAME.log; sets BG_PID.
tcp_sink() {
	spawn_in "$1" "$4" python3 -c "$_GUEST_PY" sink "$2" "$3" "$TMP/$4.data" "$5"
}

# tcp_source NS ADDR PORT NAME SECONDS BYTES: a one-connection source.
tcp_source() {
	spawn_in "$1" "$4" python3 -c "$_GUEST_PY" source "$2" "$3" "$TMP/$4.data" "$5" "$6"
}

# tcp_ready NAME: the sink or source NAME listens.
tcp_ready() { wait_for 10 grep -q '^listening' "$TMP/$1.log"; }

# data_sum NAME: "BYTES MD5" of what sink or source NAME received or sent.
data_sum() {
	local f=$TMP/$1.data
	[ -f "$f" ] || { echo "0 none"; return 1; }
	echo "$(stat -c %s "$f") $(md5sum <"$f" | cut -d' ' -f1)"
}
