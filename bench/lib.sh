# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# What every benchmark shares: the generator (trafgen into g0 of $GEN), the
# sink count (rx of s0 in $SINK, dropped at tc ingress by bench/sink.bpf.o),
# one iperf3 stream to $SINK_IP, interleaved rounds, and the table with
# medians, min-max and ratios to a baseline kind. A benchmark script defines
# GEN, SINK, SINK_IP, TMP, ROUNDS, SECS, KINDS, BASE (the baseline kind) and
# the functions setup KIND, teardown KIND and kind_name KIND, then calls
# run_rounds and print_table.

rx_packets() {
	ip -n "$SINK" -s -j link show s0 | jq '.[0].stats64.rx.packets'
}

# trafgen exits on the EAGAIN a backpressuring veth returns (an XDP port's
# ring is full): keep it running for the whole window by restarting it in a
# loop, in a process group of its own so that it can be stopped whole.
generate() {
	local stop=$1
	while [ ! -e "$stop" ]; do
		ip netns exec "$GEN" trafgen --no-sock-mem --notouch-irq -C -P 2 \
			-i "$TMP/frame.cfg" -o g0 >>"$TMP/trafgen.log" 2>&1
		echo restart >>"$TMP/restarts"
	done
}

pps_round() {
	local before after pid
	tc -n "$SINK" qdisc add dev s0 clsact
	tc -n "$SINK" filter add dev s0 ingress bpf da obj build/bench/sink.bpf.o sec tc
	rm -f "$TMP/stop" "$TMP/restarts"
	setsid bash -c "$(declare -f generate); GEN=$GEN TMP=$TMP generate $TMP/stop" &
	pid=$!
	sleep 1		# ramp-up, not counted
	before=$(rx_packets)
	sleep "$SECS"
	after=$(rx_packets)
	touch "$TMP/stop"
	kill -INT -- -"$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	tc -n "$SINK" qdisc del dev s0 clsact
	echo "  trafgen restarts: $(cat "$TMP/restarts" 2>/dev/null | wc -l)" >&2
	echo $(( (after - before) / SECS ))
}

tcp_round() {
	ip netns exec "$SINK" timeout $((SECS + 10)) iperf3 -s -1 -B "$SINK_IP" >/dev/null 2>&1 &
	local pid=$!
	sleep 0.5
	ip netns exec "$GEN" timeout $((SECS + 8)) iperf3 -c "$SINK_IP" -t "$SECS" -J 2>/dev/null |
		jq '.end.sum_received.bits_per_second / 1e9 * 100 | round / 100'
	wait "$pid" 2>/dev/null || true
}

# Kinds named bare-* are one-way programs: no TCP through them.
declare -A PPS TCP
run_rounds() {
	local r k pps tcp
	for r in $(seq 1 "$ROUNDS"); do
		for k in $KINDS; do
			setup "$k"
			pps=$(pps_round)
			case $k in
			bare-*) tcp=0 ;;
			*) tcp=$(tcp_round) ;;
			esac
			if ! [[ $pps =~ ^[0-9]+$ && $tcp =~ ^[0-9.]+$ ]]; then
				echo "round $r $k: no measurement (pps '$pps', tcp '$tcp')" >&2
				exit 1
			fi
			PPS[$k]+="$pps "
			TCP[$k]+="$tcp "
			teardown "$k"
			echo "round $r $k: $pps pps, $tcp Gbit/s" >&2
		done
	done
}

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
minmax() { tr ' ' '\n' | grep -v '^$' | sort -g | awk 'NR==1{lo=$1} {hi=$1} END {print lo "-" hi}'; }

# print_table OUTFILE NOTE: the markdown table, also written to OUTFILE.
print_table() {
	local out=$1 note=$2 k p t base_pps base_tcp tcp_cols
	base_pps=$(echo "${PPS[$BASE]}" | median)
	base_tcp=$(echo "${TCP[$BASE]}" | median)
	{
		echo "| path | Mpps (median, min-max) | vs $(kind_name "$BASE") | TCP Gbit/s (median, min-max) | vs $(kind_name "$BASE") |"
		echo "|---|---|---|---|---|"
		for k in $KINDS; do
			p=$(echo "${PPS[$k]}" | median)
			t=$(echo "${TCP[$k]}" | median)
			if [[ $k == bare-* ]]; then
				tcp_cols="n/a (one-way) | -"
			else
				tcp_cols=$(printf "%.2f (%s) | %.2fx" "$t" "$(echo "${TCP[$k]}" | minmax)" \
					"$(echo "$t / $base_tcp" | bc -l)")
			fi
			printf "| %s | %.2f (%s) | %.2fx | %s |\n" "$(kind_name "$k")" \
				"$(echo "$p / 1000000" | bc -l)" \
				"$(echo "${PPS[$k]}" | minmax | awk -F- '{printf "%.2f-%.2f", $1/1e6, $2/1e6}')" \
				"$(echo "$p / $base_pps" | bc -l)" "$tcp_cols"
		done
		echo
		echo "$ROUNDS rounds of ${SECS}s, interleaved; $note"
	} | tee "$out"
}
