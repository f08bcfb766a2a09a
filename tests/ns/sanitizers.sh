#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The loader under the sanitizers. First the life cycle test
# (tests/ns/lifecycle.sh) with XVNET pointing at the AddressSanitizer +
# UndefinedBehaviorSanitizer build (make san: build/san/xvnet): its results
# come out as san-lifecycle-*, and no sanitizer report may be left behind.
# Then up, status and down of a config with every mode (a nat network with
# dhcp, so dnsmasq is started and stopped too) under valgrind
# --leak-check=full, each exiting 0 without an error; tests/lib/valgrind.supp
# lists what valgrind gets wrong about libbpf.
#
#   lan                  host
#  +-------------+      +--------------------------------------------+
#  | lan0        |------| up0 198.18.0.2   [lan]  bridge    vm1p       |
#  +-------------+ veth |                  [nat0] nat, dhcp vm2p       |
#                       |                  [lab]  hostonly  vm3p       |
#                       +--------------------------------------------+
#                         (the VM sides of vm1p..vm3p stay in the host)

. "$(dirname "$0")/../lib/ns.sh"
xvt_init
need valgrind jq dnsmasq

SAN_XVNET=${SAN_XVNET:-$XVT_TOP/build/san/xvnet}
SUPP=$XVT_TOP/tests/lib/valgrind.supp
H=$PFX-host LAN=$PFX-lan

if [ ! -x "$SAN_XVNET" ]; then
	skip "$XVT_NAME" "$SAN_XVNET not built (run make san)"
	exit 0
fi

# --- the life cycle with the sanitizer build -----------------------------------

REPORTS=$TMP/reports
mkdir -p "$REPORTS"
XVNET=$SAN_XVNET XVT_NAME=lifecycle \
	ASAN_OPTIONS="log_path=$REPORTS/asan:exitcode=86:detect_leaks=1" \
	UBSAN_OPTIONS="log_path=$REPORTS/ubsan:exitcode=87:print_stacktrace=1:halt_on_error=1" \
	bash "$XVT_TOP/tests/ns/lifecycle.sh" 2>&1 |
	sed -E 's/^(PASS|FAIL|SKIP) lifecycle/\1 san-lifecycle/'

no_reports() {
	local f
	for f in "$REPORTS"/*; do
		[ -e "$f" ] || continue
		echo "== $f"
		head -n 20 "$f"
		CHECK_WHY="sanitizer report $(basename "$f"): $(grep -m 1 -E 'ERROR|runtime error' "$f")"
	done
	[ -z "$CHECK_WHY" ]
}
check san-no-reports no_reports

# --- valgrind on up, status, down ----------------------------------------------

topology() {
	local i
	ns_new "$H" "$LAN" &&
	veth "$H" up0 "$LAN" lan0 &&
	addr "$H" up0 198.18.0.2/24 &&
	run_in "$H" sysctl -qw net.ipv4.ip_local_port_range="32768 60999" || return 1
	for i in 1 2 3; do
		ip -n "$H" link add vm${i}p type veth peer name vm$i &&
		ip -n "$H" link set vm${i}p up &&
		ip -n "$H" link set vm$i up || return 1
	done
}

write_conf() {
	cat >"$1" <<-EOC
	[global]
	attach = tc
	pin_dir = $PIN

	[network lan]
	mode = bridge
	uplink = up0
	ports = vm1p

	[network nat0]
	mode = nat
	uplink = up0
	subnet = 192.168.100.0/24
	ports = vm2p
	forward = tcp 8080 192.168.100.10:80
	dhcp = 192.168.100.100-192.168.100.150

	[network lab]
	mode = hostonly
	subnet = 192.168.56.0/24
	ports = vm3p
	EOC
}

# vg ARGS...: the loader inside $H under valgrind; fails on any error or leak.
vg() {
	local out=$TMP/valgrind.out rc
	timeout -k 5 600 valgrind -q --error-exitcode=99 --leak-check=full \
		--suppressions="$SUPP" "$XVNET" -n "$H" "$@" >"$out" 2>&1
	rc=$?
	cat "$out"
	[ $rc = 0 ] && return 0
	CHECK_WHY="xvnet $1 exited $rc: $(grep -m 1 -E '^==[0-9]+== [A-Z]' "$out")"
	return 1
}

nothing_left() {
	bpf_residue "$H" || { CHECK_WHY="programs left attached"; return 1; }
	[ ! -e "$PIN" ] || { CHECK_WHY="pin dir $PIN left"; return 1; }
	[ -z "$(dnsmasq_pids)" ] || { CHECK_WHY="dnsmasq left running"; return 1; }
}

CONF=$TMP/all.conf
setup "san-valgrind-topology" topology
write_conf "$CONF"
_XVT_UP+=("$H $CONF")	# a failed down still gets undone by the teardown
check san-valgrind-up vg up -c "$CONF"
check san-valgrind-status vg status -c "$CONF"
check san-valgrind-status-json vg status --json -c "$CONF"
check san-valgrind-down vg down -c "$CONF"
check san-valgrind-down-clean nothing_left
