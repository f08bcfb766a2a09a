#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# DHCP and DNS: one dnsmasq per network with `dhcp`, on its host adapter.
# A real DHCP client (busybox udhcpc) in each VM namespace, which starts
# with no address at all:
#  - nat0: a lease from the range with the gateway as router and DNS, a
#    static lease at its fixed address, a static host's name resolves, and
#    the VM then reaches the outside with no manual configuration;
#  - lab (hostonly): a lease with no default route, DNS for the network's
#    own names only;
#  - xvnet leases / status show the leases; reload keeps an unchanged
#    daemon, restarts a changed one with its leases, stops one whose dhcp
#    went; dns = off gives no DNS; a failed up or reload stops what it
#    started and brings back what it replaced; down leaves no daemon and
#    no file.
# Once with attach = xdp, once with attach = tc.
#
#   out                  host                                vm1, vm2 (nat0)
#  +-------------+      +-----------------------------+     +-------------+
#  | out0        |------| up0 203.0.113.2             |-----| eth0 (DHCP) |
#  | 203.0.113.1 | veth | [nat0] vm1p vm2p            |     +-------------+
#  +-------------+      |   xv-nat0 192.168.100.1 dnsmasq   vm3, vm4 (lab)
#                       | [lab]  vm3p vm4p            |     +-------------+
#                       |   xv-lab 192.168.56.1 dnsmasq ----| eth0 (DHCP) |
#                       +-----------------------------+     +-------------+

. "$(dirname "$0")/../lib/ns.sh"
xvt_init
need ping jq busybox dnsmasq

H=$PFX-host OUT=$PFX-out
VM1=$PFX-vm1 VM2=$PFX-vm2 VM3=$PFX-vm3 VM4=$PFX-vm4
MAC1=02:78:76:00:05:01 MAC2=02:78:76:00:05:02
MAC3=02:78:76:00:05:03 MAC4=02:78:76:00:05:04

topology() {
	outside_new &&
	vm_new "$VM1" "$H" vm1p "$MAC1" &&
	vm_new "$VM2" "$H" vm2p "$MAC2" &&
	vm_new "$VM3" "$H" vm3p "$MAC3" &&
	vm_new "$VM4" "$H" vm4p "$MAC4"
}

# conf FILE NAT_RANGE [LAB_LINE...]: nat0 with NAT_RANGE and vm2's static
# lease; lab with the LAB_LINEs (its dhcp, host, dns keys).
conf() {
	local file=$1 range=$2 l
	shift 2
	{
		printf '[global]\nattach = %s\npin_dir = %s\n\n' "$ATTACH" "$PIN"
		printf '[network nat0]\nmode = nat\nsubnet = 192.168.100.0/24\n'
		printf 'uplink = up0\nports = vm1p vm2p\nnat_ports = 40000-49999\n'
		printf 'dhcp = %s\nhost = %s 192.168.100.50 vm2\n\n' "$range" "$MAC2"
		printf '[network lab]\nmode = hostonly\nsubnet = 192.168.56.0/24\n'
		printf 'ports = vm3p vm4p\n'
		for l in "$@"; do
			printf '%s\n' "$l"
		done
	} >"$file"
}

# got NS KEY VALUE: the lease NS took has KEY=VALUE (VALUE may be empty).
got() {
	local have
	have=$(sed -n "s/^$2=//p" "$TMP/$1.lease" 2>/dev/null)
	[ "$have" = "$3" ] && return 0
	CHECK_WHY="$1: $2 is '$have', expected '$3'"
	return 1
}

# got_in_range NS LO HI: its address lies within LO..HI (last octet).
got_in_range() {
	local a
	a=$(sed -n 's/^ip=//p' "$TMP/$1.lease" 2>/dev/null)
	[ -n "$a" ] && [ "${a##*.}" -ge "$2" ] && [ "${a##*.}" -le "$3" ] && return 0
	CHECK_WHY="$1: address '$a' is not in .$2-.$3"
	return 1
}

no_default_route() {
	[ -z "$(ip -n "$1" route show default)" ] && return 0
	CHECK_WHY="$1 has a default route: $(ip -n "$1" route show default)"
	return 1
}

# resolves NS NAME SERVER ADDR: NAME resolves to ADDR through SERVER.
resolves() {
	local out
	out=$(run_in "$1" timeout 10 busybox nslookup "$2" "$3" 2>&1)
	echo "$out"
	echo "$out" | sed -n '/^Name:/,$p' | grep -q "Address:* *$4\$" && return 0
	CHECK_WHY="$2 did not resolve to $4 through $3"
	return 1
}

no_dns() {
	if run_in "$1" timeout 10 busybox nslookup "$2" "$3" >"$TMP/ns.out" 2>&1; then
		CHECK_WHY="a DNS server answered on $3"
		return 1
	fi
}

leases_json() { xv "$H" leases -c "$1" --json "${@:2}"; }

# leases_has CONF NET MAC ADDR: "xvnet leases" lists that lease.
leases_has() {
	leases_json "$1" | tee "$TMP/leases.json" |
		jq -e --arg n "$2" --arg m "$3" --arg a "$4" \
		'any(.[]; .network == $n and .mac == $m and .address == $a)' >/dev/null &&
		return 0
	CHECK_WHY="no lease $2 $3 $4 in: $(cat "$TMP/leases.json")"
	return 1
}

# status_leases CONF NET N: status --json says NET's dnsmasq runs, N leases.
status_leases() {
	local got
	got=$(xv "$H" status -c "$1" --json |
		jq -c --arg n "$2" '.networks[] | select(.name == $n) | .dhcp')
	[ "$(jq -r '"\(.running) \(.leases)"' <<<"$got")" = "true $3" ] && return 0
	CHECK_WHY="$2: dhcp is $got, expected running with $3 lease(s)"
	return 1
}

daemon_pid() { cat "$RUN_DIR/$1.pid" 2>/dev/null; }

same_daemon() {
	[ -n "$2" ] && [ "$(daemon_pid "$1")" = "$2" ] && return 0
	CHECK_WHY="$1: dnsmasq was $2, now '$(daemon_pid "$1")'"
	return 1
}

new_daemon() {
	local now
	now=$(daemon_pid "$1")
	[ -n "$now" ] && [ "$now" != "$2" ] && kill -0 "$now" 2>/dev/null && return 0
	CHECK_WHY="$1: dnsmasq was $2, now '$now'"
	return 1
}

no_daemon() {
	[ ! -e "$RUN_DIR/$1.conf" ] && [ ! -e "$RUN_DIR/$1.leases" ] &&
		! ps -o args= -p "$(dnsmasq_pids | tr '\n' ' ')" 2>/dev/null |
		grep -q "$RUN_DIR/$1.conf" && return 0
	CHECK_WHY="$1: a dnsmasq or its files are left: $(ls "$RUN_DIR" 2>&1)"
	return 1
}

nothing_left() {
	local pids
	pids=$(dnsmasq_pids)
	[ -z "$pids" ] && [ ! -e "$RUN_DIR" ] && return 0
	CHECK_WHY="left: dnsmasq '$(echo $pids)', $(ls -d "$RUN_DIR" 2>&1)"
	return 1
}

# journal_steps NS CMD CONF: run "xvnet CMD" and print how many changes it
# journaled (its -v output says so).
journal_steps() {
	xv "$1" -v "$2" -c "$3" 2>&1 | sed -n 's/^.*journal: \([0-9]*\) change.*$/\1/p' | tail -n 1
}

# A failed up on a fresh host, at its last steps (the daemons' starts),
# starts no daemon and leaves no file. tests/ns/rollback.sh fails every
# other step.
fail_last_steps_fresh() {
	local conf=$1 n k
	n=$(journal_steps "$H" up "$conf")
	xv "$H" -q down -c "$conf" || return 1
	[ -n "$n" ] || { CHECK_WHY="no step count"; return 1; }
	for k in "$n" $((n - 1)); do
		if XVNET_FAIL_AT=$k xv "$H" -q up -c "$conf" >"$TMP/fail.out" 2>&1; then
			CHECK_WHY="up with a failure at step $k of $n succeeded"
			return 1
		fi
		nothing_left || { CHECK_WHY="failure at step $k of $n: $CHECK_WHY"; return 1; }
	done
}

# A reload that fails when it restarts nat0's dnsmasq or after (lab's)
# brings back nat0's old config and a running daemon.
failed_reload_restores() {
	local old=$1 new=$2 n k
	n=$(journal_steps "$H" reload "$new")
	xv "$H" -q reload -c "$old" || return 1
	[ -n "$n" ] || { CHECK_WHY="no step count"; return 1; }
	cp "$RUN_DIR/nat0.conf" "$TMP/nat0.conf.before"
	for k in "$n" $((n - 1)); do
		if XVNET_FAIL_AT=$k xv "$H" -q reload -c "$new" >"$TMP/fail.out" 2>&1; then
			CHECK_WHY="reload with a failure at step $k of $n succeeded"
			return 1
		fi
		if ! cmp -s "$RUN_DIR/nat0.conf" "$TMP/nat0.conf.before"; then
			CHECK_WHY="failure at step $k of $n: nat0.conf not restored"
			return 1
		fi
		if ! kill -0 "$(daemon_pid nat0)" 2>/dev/null; then
			CHECK_WHY="failure at step $k of $n: no dnsmasq for nat0 after rollback ($(tail -n 3 "$TMP/fail.out" | tr '\n' ' '))"
			return 1
		fi
	done
}

round() {
	local t="[$ATTACH]" c1=$TMP/one.conf c2=$TMP/two.conf c3=$TMP/three.conf
	local pid_nat pid_lab
	conf "$c1" 192.168.100.100-192.168.100.199 \
		"dhcp = 192.168.56.100-192.168.56.199" \
		"host = $MAC4 192.168.56.50 box"
	setup "topology$t" topology || return
	up_check "dhcp-up$t" "$H" "$c1"
	check "dhcp-daemons-running$t" status_leases "$c1" nat0 0

	check "dhcp-nat-lease$t" dhcp_lease "$VM1"
	check "dhcp-nat-lease-in-range$t" got_in_range "$VM1" 100 199
	check "dhcp-nat-router-is-gateway$t" got "$VM1" router 192.168.100.1
	check "dhcp-nat-dns-is-gateway$t" got "$VM1" dns 192.168.100.1
	check "dhcp-nat-static-lease$t" dhcp_lease "$VM2"
	check "dhcp-nat-static-address$t" got "$VM2" ip 192.168.100.50
	check "dhcp-nat-static-name-resolves$t" resolves "$VM1" vm2 192.168.100.1 192.168.100.50
	check "dhcp-nat-ping-gateway$t" ping_ok "$VM1" 192.168.100.1
	check "dhcp-nat-reaches-outside$t" ping_ok "$VM1" 203.0.113.1
	check "dhcp-nat-vm-to-vm$t" ping_ok "$VM1" 192.168.100.50

	check "dhcp-hostonly-lease$t" dhcp_lease "$VM3"
	check "dhcp-hostonly-lease-in-range$t" got_in_range "$VM3" 100 199
	check "dhcp-hostonly-no-router$t" got "$VM3" router ""
	check "dhcp-hostonly-no-default-route$t" no_default_route "$VM3"
	check "dhcp-hostonly-dns-is-gateway$t" got "$VM3" dns 192.168.56.1
	check "dhcp-hostonly-static-lease$t" dhcp_lease "$VM4"
	check "dhcp-hostonly-static-address$t" got "$VM4" ip 192.168.56.50
	check "dhcp-hostonly-name-resolves$t" resolves "$VM3" box 192.168.56.1 192.168.56.50
	check "dhcp-hostonly-ping-gateway$t" ping_ok "$VM3" 192.168.56.1
	check "dhcp-hostonly-vm-to-vm$t" ping_ok "$VM3" 192.168.56.50

	check "dhcp-leases-lists-nat$t" leases_has "$c1" nat0 "$MAC2" 192.168.100.50
	check "dhcp-leases-lists-hostonly$t" leases_has "$c1" lab "$MAC4" 192.168.56.50
	check "dhcp-leases-one-network$t" eval \
		"[ \"\$(leases_json '$c1' lab | jq -r '[.[].network] | unique | join(\" \")')\" = lab ]"
	check "dhcp-status-lease-count$t" status_leases "$c1" nat0 2

	# reload: unchanged -> same daemons; nat0's range changes -> a new
	# nat0 daemon that still knows its leases; lab's dhcp goes -> stopped.
	pid_nat=$(daemon_pid nat0) pid_lab=$(daemon_pid lab)
	check "dhcp-reload-unchanged$t" xv "$H" reload -c "$c1"
	check "dhcp-reload-keeps-nat-daemon$t" same_daemon nat0 "$pid_nat"
	check "dhcp-reload-keeps-lab-daemon$t" same_daemon lab "$pid_lab"
	conf "$c2" 192.168.100.120-192.168.100.140
	check "dhcp-reload-changed$t" xv "$H" reload -c "$c2"
	check "dhcp-reload-restarts-changed$t" new_daemon nat0 "$pid_nat"
	check "dhcp-reload-stops-removed$t" no_daemon lab
	check "dhcp-restart-keeps-leases$t" leases_has "$c2" nat0 "$MAC2" 192.168.100.50
	check "dhcp-new-range$t" dhcp_lease "$VM1"
	check "dhcp-new-range-used$t" got_in_range "$VM1" 100 140

	# dns = off: leases without a DNS server, and nothing answers on 53.
	conf "$c3" 192.168.100.120-192.168.100.140 \
		"dhcp = 192.168.56.100-192.168.56.199" "dns = off"
	check "dhcp-reload-dns-off$t" xv "$H" reload -c "$c3"
	check "dhcp-dns-off-lease$t" dhcp_lease "$VM3"
	check "dhcp-dns-off-no-dns-option$t" got "$VM3" dns ""
	check "dhcp-dns-off-no-server$t" no_dns "$VM3" box 192.168.56.1

	check "dhcp-failed-reload-restores$t" failed_reload_restores "$c3" "$c1"
	check "dhcp-down$t" xv_down "$H" "$c3"
	check "dhcp-down-leaves-nothing$t" nothing_left
	check "dhcp-failed-up-leaves-nothing$t" fail_last_steps_fresh "$c1"
}

for_each_attach round
