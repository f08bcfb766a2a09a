#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: a bridged network in namespaces, shown end to end.
#
#   lan                      host                             vm1
#  +--------------+         +-----------------------------+  +--------------+
#  | lan0         |  veth   | up0  198.18.0.2  (uplink)   |  | eth0         |
#  | 198.18.0.1   |---------|                             |  | 198.18.0.11  |
#  +--------------+         |  xvnet network "lan"  vm1p  |--|              |
#                           |                       vm2p  |  +--------------+
#                           +--------------------------|--+  vm2
#                                                      |     +--------------+
#                                                      +-----| eth0         |
#                                                            | 198.18.0.12  |
#                                                            +--------------+
#
# Everything lives in network namespaces made here and removed on exit; the
# machine's own interfaces are never touched. ATTACH=tc runs it with tc.

. "$(dirname "$0")/lib/ns.sh"
xvt_init
need ping ethtool bpftool

ATTACH=${ATTACH:-xdp}
H=$PFX-host LAN=$PFX-lan VM1=$PFX-vm1 VM2=$PFX-vm2
CONF=$TMP/xvnet.conf

if [ -t 1 ]; then B=$'\033[1m' N=$'\033[0m'; else B="" N=""; fi
heading() { printf '\n%s=== %s%s\n' "$B" "$*" "$N"; }
# show CMD...: print the command, then run it.
show() { printf '$ %s\n' "$*"; "$@"; }
# xvshow ARGS...: the same for "xvnet -n HOST ARGS".
xvshow() { printf '$ xvnet -n %s %s\n' "$H" "$*"; xv "$H" "$@"; }
die() { echo "demo: $*" >&2; exit 1; }

heading "Topology: namespaces $H, $LAN, $VM1, $VM2"
ns_new "$H" "$LAN" &&
veth "$H" up0 "$LAN" lan0 &&
addr "$H" up0 198.18.0.2/24 &&
addr "$LAN" lan0 198.18.0.1/24 &&
gro_on "$LAN" lan0 &&
vm_new "$VM1" "$H" vm1p 02:78:76:00:00:11 198.18.0.11/24 &&
vm_new "$VM2" "$H" vm2p 02:78:76:00:00:12 198.18.0.12/24 ||
	die "could not build the topology"
ip -n "$H" -br link

heading "Config ($CONF)"
cat >"$CONF" <<EOF
[global]
attach = $ATTACH
pin_dir = $PIN

[network lan]
mode = bridge
uplink = up0
ports = vm1p vm2p
EOF
cat "$CONF"

heading "xvnet up"
printf '$ xvnet -n %s up -c %s\n' "$H" "$CONF"
xv_up "$H" "$CONF" 2>&1 || die "xvnet up failed"

heading "VM1 -> VM2 (198.18.0.12)"
run_in "$VM1" ping -c 3 -i 0.2 198.18.0.12
heading "VM1 -> LAN host (198.18.0.1)"
run_in "$VM1" ping -c 3 -i 0.2 198.18.0.1
heading "LAN host -> VM2 (198.18.0.12)"
run_in "$LAN" ping -c 3 -i 0.2 198.18.0.12
heading "host (198.18.0.2 on up0) -> VM1"
run_in "$H" ping -c 3 -i 0.2 198.18.0.11

heading "xvnet status"
xvshow status -c "$CONF"
heading "xvnet fdb"
xvshow fdb -c "$CONF"
heading "bpftool map dump pinned $PIN/xv_fdb"
show bpftool map dump pinned "$PIN/xv_fdb"

heading "xvnet down"
xvshow down -c "$CONF" 2>&1
ip -n "$H" -d link show up0 | grep -q 'prog/xdp' && echo "XDP still on up0!"
[ -e "$PIN" ] && echo "pins still in $PIN!"

heading "Done: namespaces are removed on exit"
