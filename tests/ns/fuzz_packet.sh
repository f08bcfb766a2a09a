#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Bounded pass of the packet fuzzer (tests/fuzz/packet_fuzz.c): 100000
# frames from seed 1 (FUZZ_PACKET_FRAMES, FUZZ_PACKET_SEED) through the XDP,
# tc ingress and tc egress programs with BPF_PROG_TEST_RUN, in a private
# network namespace the fuzzer makes itself (see tests/fuzz/pf_topo.c):
#
#   net 1 bridge   uplink 10 (also the nat uplink of net 4), VMs 11 12
#   net 2 nat      uplink 20, VMs 21 22, adapter 23 / host side 123
#   net 3 hostonly VMs 31 32, adapter 33 / host side 133
#   net 4 nat      uplink 10, VM 41, adapter 43 / host side 143
#   net 5 bridge   uplink 50, VM 51
#
# Every output is checked (isolation, no inside source leaving an uplink,
# checksums); each violation is printed with its frames.

set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
FUZZER=$TOP/build/tests/packet_fuzz

if [ "$(id -u)" != 0 ]; then
	echo "SKIP fuzz-packet: needs root"
	exit 0
fi
if [ ! -x "$FUZZER" ]; then
	echo "SKIP fuzz-packet: $FUZZER not built (run make)"
	exit 0
fi
exec "$FUZZER" -n "${FUZZ_PACKET_FRAMES:-100000}" -s "${FUZZ_PACKET_SEED:-1}"
