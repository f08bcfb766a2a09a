#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# A VM under plain QEMU on an xvnet network: a tap made by hand, joined to
# the network, QEMU's virtio-net on it; the tap goes when QEMU exits.
#
#   qemu-xvnet.sh NETWORK|- TAP DISK [MAC] [-- QEMU ARGS...]
#
#   qemu-xvnet.sh nat0 vm-web web.qcow2 52:54:00:12:34:56
#   qemu-xvnet.sh - tap-nat-web web.qcow2
#
# The tap joins the network in one of two ways:
#  - NETWORK: this script runs "xvnet port add NETWORK TAP" once the tap
#    exists (the port lasts until the next reload or down) and "xvnet port
#    del TAP" when QEMU has exited;
#  - "-": the tap's name matches a network's "ports" pattern (tap-nat-* in
#    the sample /etc/xvnet.conf) and "xvnet watch" runs (the xvnet
#    service): the watcher attaches the tap as it appears, and again after
#    a reload.
# A tap listed by its exact name in "ports" must exist before "xvnet up"
# runs: "ip tuntap add" makes it persistent, so it can be made once, at
# boot, before the service starts.
#
# Needs root for the tap (TAPUSER=name lets an unprivileged QEMU open it
# later). The guest keeps virtio-net's default offloads: xvnet forwards tap
# frames with tc, which keeps their checksum and GSO state.
# Environment: XVNET (the loader), XVNET_OPTS (its options, e.g. -c FILE),
# QEMU (the emulator).

set -eu

XVNET=${XVNET:-/usr/local/sbin/xvnet}
QEMU=${QEMU:-qemu-system-x86_64}
# shellcheck disable=SC2206
xvnet=("$XVNET" ${XVNET_OPTS:-})

if [ $# -lt 3 ]; then
	sed -n '3,/^$/s/^# \{0,1\}//p' "$0" >&2
	exit 1
fi
net=$1 tap=$2 disk=$3
shift 3
mac=52:54:00:$(od -An -N3 -tx1 /dev/urandom | tr -s ' ' ':' | sed 's/^://')
if [ $# -gt 0 ] && [ "$1" != -- ]; then
	mac=$1
	shift
fi
[ "${1:-}" = -- ] && shift

# The tap: persistent, owned by TAPUSER if given (QEMU turns on its
# virtio-net header when it opens it: the guest's offloads reach the host).
ip tuntap add dev "$tap" mode tap ${TAPUSER:+user "$TAPUSER"}
added=0
cleanup() {
	if [ "$added" = 1 ]; then
		"${xvnet[@]}" port del "$tap" || true
	fi
	ip link del dev "$tap" 2>/dev/null || true
}
trap cleanup EXIT
ip link set dev "$tap" up
if [ "$net" != - ]; then
	"${xvnet[@]}" port add "$net" "$tap"
	added=1
fi

# -enable-kvm where /dev/kvm exists. script=no, downscript=no: QEMU must
# not run /etc/qemu-ifup, which would put the tap into a Linux bridge.
accel=()
[ -w /dev/kvm ] && accel=(-enable-kvm -cpu host)
rc=0
"$QEMU" "${accel[@]}" -m 1024 -smp 2 \
	-drive "file=$disk,if=virtio" \
	-netdev "tap,id=n0,ifname=$tap,script=no,downscript=no" \
	-device "virtio-net-pci,netdev=n0,mac=$mac" \
	-nographic "$@" || rc=$?
exit $rc
