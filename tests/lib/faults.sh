# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers of the fault tests (tests/ns/faults.sh, tests/ns/faults_up.sh),
# sourced after tests/lib/ns.sh and xvt_init: their world (a bridged
# network "lan" and a nat network "nat0" with DHCP, both on uplink up0), a
# TCP stream that proves every byte arrived, ping floods that count what
# was lost, and a residue check after "down".

H=$PFX-host LAN=$PFX-lan VM1=$PFX-vm1 VM2=$PFX-vm2 VM3=$PFX-vm3
VM4=$PFX-vm4 VM5=$PFX-vm5
LAN_IP=198.18.0.1 VM1_IP=198.18.0.11 VM2_IP=198.18.0.12 VM3_IP=198.18.0.13
VM5_IP=198.18.0.14 VM4_IP=192.168.100.10 GW=192.168.100.1
STREAM=$TMP/stream.py

# --- the world and its configs --------------------------------------------------

# world [N...]: $LAN and $H (uplink up0, its ephemeral ports below
# nat_ports), VM4 (vm4p in nat0's subnet, default route via the gateway)
# and the bridged VMs N (of 1 2 3 5; default 1 2): port vmNp, MAC
# 02:78:76:00:07:1N, address VMN_IP.
world() {
	local n ip
	lan_new || return 1
	[ $# -gt 0 ] || set -- 1 2
	for n in "$@"; do
		ip=VM${n}_IP
		vm_new "$PFX-vm$n" "$H" "vm${n}p" "02:78:76:00:07:1$n" "${!ip}/24" || return 1
	done
	vm_new "$VM4" "$H" vm4p 02:78:76:00:07:14 "$VM4_IP/24" &&
	ip -n "$VM4" route add default via "$GW" &&
	run_in "$H" sysctl -qw net.ipv4.ip_local_port_range="32768 39999" &&
	gro_on "$H" up0
}

# conf FILE LAN_PORTS [LAN_LINE...]: "lan" (bridge, on up0) with LAN_PORTS,
# "nat0" (nat, on up0, DHCP) with vm4p.
conf() {
	local file=$1 ports=$2 l
	shift 2
	{
		printf '[global]\nattach = %s\npin_dir = %s\n\n' "$ATTACH" "$PIN"
		printf '[network lan]\nmode = bridge\nuplink = up0\nports = %s\n' "$ports"
		for l in "$@"; do
			printf '%s\n' "$l"
		done
		printf '\n[network nat0]\nmode = nat\nuplink = up0\nsubnet = 192.168.100.0/24\n'
		printf 'gateway = %s\nports = vm4p\nnat_ports = 40000-49999\n' "$GW"
		printf 'dhcp = 192.168.100.100-192.168.100.199\n'
	} >"$file"
}

# --- traffic ------------------------------------------------------------------------

# The stream helper: "recv PORT" counts the bytes of one connection and
# their md5 until EOF, then answers "BYTES MD5"; "send HOST PORT RATE STOP"
# sends at RATE bytes/s until the file STOP exists, half-closes, and
# compares the receiver's answer with what it sent. Both print one result
# line and exit 0 only if every byte arrived; an error (a reset) exits 1.
# The sender gives up at 200 MiB (exit 3): the test never stopped it.
write_stream() {
	cat >"$STREAM" <<'PY'
import hashlib, os, socket, sys, time

BLOCK = bytes((i * 131 + 7) % 251 for i in range(16384))

def recv(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", int(port)))
    s.listen(1)
    s.settimeout(30)
    print("listening", flush=True)
    c, peer = s.accept()
    c.settimeout(20)
    n, h = 0, hashlib.md5()
    while True:
        d = c.recv(1 << 16)
        if not d:
            break
        n += len(d)
        h.update(d)
    c.sendall(("%d %s\n" % (n, h.hexdigest())).encode())
    c.close()
    print("received %d %s from %s" % (n, h.hexdigest(), peer[0]), flush=True)

def send(host, port, rate, stop):
    rate, cap = float(rate), 200 << 20
    c = socket.create_connection((host, int(port)), timeout=10)
    c.settimeout(20)
    print("connected", flush=True)
    h, sent, t0 = hashlib.md5(), 0, time.time()
    while sent < cap and not os.path.exists(stop):
        c.sendall(BLOCK)
        h.update(BLOCK)
        sent += len(BLOCK)
        ahead = t0 + sent / rate - time.time()
        if ahead > 0:
            time.sleep(ahead)
    c.shutdown(socket.SHUT_WR)
    ans = b""
    while not ans.endswith(b"\n"):
        d = c.recv(100)
        if not d:
            break
        ans += d
    mine = "%d %s" % (sent, h.hexdigest())
    got = ans.decode().strip()
    print("sent %s in %.1f s, receiver got %s" % (mine, time.time() - t0,
          got or "nothing"), flush=True)
    if sent >= cap:
        return 3
    return 0 if got == mine else 2

try:
    sys.exit({"recv": recv, "send": send}[sys.argv[1]](*sys.argv[2:]))
except Exception as e:
    print("error: %r" % e, flush=True)
    sys.exit(1)
PY
}

# stream_start NAME SRC_NS DST_NS DST_IP PORT RATE: a receiver in DST_NS, a
# sender in SRC_NS; sets SEND_PID and RECV_PID, returns once the sender
# has connected. stream_ok NAME ends it.
stream_start() {
	local name=$1 src=$2 dst=$3 ip=$4 port=$5 rate=$6
	rm -f "$TMP/$name.stop"
	spawn_in "$dst" "$name-recv" timeout 80 "$NAT_PYTHON" "$STREAM" recv "$port"
	RECV_PID=$BG_PID
	wait_listen "$dst" "$port" 10 || { echo "$name: no listener"; return 1; }
	spawn_in "$src" "$name-send" timeout 80 "$NAT_PYTHON" "$STREAM" send "$ip" "$port" "$rate" "$TMP/$name.stop"
	SEND_PID=$BG_PID
	wait_for 10 grep -q connected "$TMP/$name-send.log" || {
		cat "$TMP/$name-send.log"
		return 1
	}
}

# finish PID SECONDS: wait for a process to end by itself; its status, or
# 124 if it had to be stopped.
finish() {
	local pid=$1 i
	for i in $(seq $(($2 * 10))); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		stop "$pid"
		return 124
	fi
	wait "$pid"
}

# stream_ok NAME SEND_PID RECV_PID: end the stream; both sides end by
# themselves, the receiver got every byte the sender sent, with its md5.
# LOST gets the bytes missing, SENT_BYTES what was sent.
stream_ok() {
	local name=$1 spid=$2 rpid=$3 rc got
	touch "$TMP/$name.stop"
	finish "$spid" 30
	rc=$?
	finish "$rpid" 5
	cat "$TMP/$name-send.log" "$TMP/$name-recv.log"
	SENT_BYTES=$(awk '/^sent/ { print $2 }' "$TMP/$name-send.log")
	got=$(awk '/^received/ { print $2 }' "$TMP/$name-recv.log")
	LOST=$((${SENT_BYTES:-0} - ${got:-0}))
	if [ $rc -ne 0 ]; then
		CHECK_WHY="$name: sender exited $rc, $LOST of ${SENT_BYTES:-?} bytes missing: $(tail -n 1 "$TMP/$name-send.log")"
		return 1
	fi
	CHECK_NOTE="$SENT_BYTES bytes intact"
}

# tcp_retrans NS: "SEGMENTS PROBES": TCP segments retransmitted in NS so
# far, and tail loss probes sent (when an ACK is late, lost or not; a probe
# is a retransmission only if no new data was waiting).
tcp_retrans() {
	run_in "$1" awk '$1 == "Tcp:" || $1 == "TcpExt:" {
			if (!(($1) in hdr)) { hdr[$1] = 1; for (i = 2; i <= NF; i++) k[$1, i] = $i; next }
			for (i = 2; i <= NF; i++) v[k[$1, i]] = $i
		}
		END { print v["RetransSegs"] + 0, v["TCPLossProbes"] + 0 }' /proc/net/snmp /proc/net/netstat
}

# retrans_since NS "SEGMENTS PROBES": what NS retransmitted since then.
retrans_since() {
	local a b c d
	read -r a b <<<"$2"
	read -r c d < <(tcp_retrans "$1")
	echo "$((c - a)) segments retransmitted, $((d - b)) tail loss probes"
}

# if_drops: the dropped-packet counters of every interface of $H and the
# VMs, one "NS/IF rx N tx N" a line (compare before and after).
if_drops() {
	local ns
	for ns in "$H" "$LAN" "$VM1" "$VM2" "$VM4"; do
		ip -n "$ns" -s -j link show | jq -r --arg ns "${ns#"$PFX-"}" \
			'.[] | "\($ns)/\(.ifname) rx \(.stats64.rx.dropped) tx \(.stats64.tx.dropped)"'
	done
}

# flood_start NAME NS DEST COUNT: a background ping flood (one every 5 ms);
# FLOOD_PID.
flood_start() {
	spawn_in "$2" "$1" timeout 60 ping -q -n -c "$4" -i 0.005 -W 1 "$3"
	FLOOD_PID=$BG_PID
}

# flood_ok NAME PID [MAX_LOST]: the flood ended by itself with at most
# MAX_LOST (default 0) replies missing; LOST and SENT get the counts.
flood_ok() {
	local name=$1 pid=$2 max=${3:-0} sent rcvd
	finish "$pid" 30
	cat "$TMP/$name.log"
	read -r sent rcvd <<<"$(awk '/packets transmitted/ { print $1, $4 }' "$TMP/$name.log")"
	if [ -z "$sent" ]; then
		CHECK_WHY="$name: no ping statistics"
		return 1
	fi
	SENT=$sent LOST=$((sent - rcvd))
	if [ "$LOST" -gt "$max" ]; then
		CHECK_WHY="$name: $LOST of $sent echo requests unanswered"
		return 1
	fi
	CHECK_NOTE="$LOST of $sent lost"
}

# --- inspection ----------------------------------------------------------------------

# bpf_net: the XDP programs and tc BPF filters in $H, one a line (one
# bpftool call instead of bpf_residue's few per interface).
bpf_net() {
	nsenter --net="/run/netns/$H" bpftool net show -j |
		jq -r '.[] | (.xdp[]? | "\(.devname): XDP \(.mode // "") id \(.id)"),
			(.tc[]? | "\(.devname): tc \(.kind) \(.name // "") id \(.id)")'
}

# residue [SKIP_DEV]: everything xvnet may leave behind; prints it and
# fails if anything is there: XDP programs and tc BPF filters, qdiscs other
# than before "up" ($QD0, SKIP_DEV's left out), the pin directory, the host
# adapter, the uplink's promiscuity, dnsmasq daemons, the run directory.
residue() {
	local skip=${1:-none} left=() b
	b=$(bpf_net)
	if [ -n "$b" ]; then
		echo "$b"
		left+=("$(wc -l <<<"$b") BPF attachment(s)")
	fi
	if ! diff <(grep -v "dev ${skip} " <<<"$QD0") <(tc -n "$H" qdisc show) >"$TMP/qd.diff"; then
		echo "qdiscs differ from before up:"
		cat "$TMP/qd.diff"
		left+=("qdiscs")
	fi
	if [ -e "$PIN" ]; then
		echo "pin dir $PIN: $(ls "$PIN" | tr '\n' ' ')"
		left+=("pin dir ($(ls "$PIN" | wc -l) entries)")
	fi
	if ip -n "$H" link show dev xv-nat0 >/dev/null 2>&1; then
		echo "host adapter xv-nat0 still exists"
		left+=("host adapter xv-nat0")
	fi
	if [ "$(promiscuity "$H" up0)" != "$PROMISC0" ]; then
		echo "up0 promiscuity $(promiscuity "$H" up0), was $PROMISC0"
		left+=("up0 promiscuous")
	fi
	if [ -n "$(dnsmasq_pids)" ]; then
		echo "dnsmasq still running: $(dnsmasq_pids | tr '\n' ' ')"
		left+=("dnsmasq")
	fi
	if [ -e "$RUN_DIR" ]; then
		echo "run dir $RUN_DIR: $(ls -A "$RUN_DIR" | tr '\n' ' ')"
		left+=("run dir")
	fi
	[ ${#left[@]} = 0 ] && return 0
	CHECK_WHY="left behind: $(IFS=,; echo "${left[*]}")"
	return 1
}

# status_ok CONF: "xvnet status --json" works and is JSON; the ports it
# lists are shown.
status_ok() {
	xv "$H" status -c "$1" --json >"$TMP/status.json" || {
		CHECK_WHY="xvnet status exited $?: $(tail -n 1 "$TMP/status.json")"
		return 1
	}
	jq -c '[.. | objects | select(has("attach")) | {name, attach}]' "$TMP/status.json" || {
		CHECK_WHY="xvnet status --json printed no JSON"
		return 1
	}
}

# traffic_ok: VM1 reaches VM2 and the LAN, VM4 the LAN through NAT (the
# three pings at once).
traffic_ok() {
	local i pids=() ns=("$VM1" "$VM1" "$VM4") dst=("$VM2_IP" "$LAN_IP" "$LAN_IP") bad=()
	for i in 0 1 2; do
		run_in "${ns[i]}" ping -c 3 -i 0.2 -W 2 "${dst[i]}" >"$TMP/traffic-$i" 2>&1 &
		pids+=($!)
	done
	for i in 0 1 2; do
		wait "${pids[i]}"
		cat "$TMP/traffic-$i"
		grep -q ' 3 received' "$TMP/traffic-$i" ||
			bad+=("${ns[i]#"$PFX-"} -> ${dst[i]}: $(grep -o '[0-9]* received' "$TMP/traffic-$i")")
	done
	[ ${#bad[@]} = 0 ] && return 0
	CHECK_WHY="pings failed: $(IFS=,; echo "${bad[*]}")"
	return 1
}

nat_python
write_stream
