#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn build/bench/raw.tsv (one line a measurement: section, case, kind,
metric, value) into results.json, results.md and pps.png (gnuplot).

Medians and min-max over the rounds; every ratio is a ratio of medians of
the same run. Targets are reported with the measured ratio, never asserted.

Usage: bench/report.py [OUTDIR]     (default build/bench)
"""
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections import defaultdict

OUT = sys.argv[1] if len(sys.argv) > 1 else "build/bench"
RAW = os.path.join(OUT, "raw.tsv")

vals = defaultdict(list)       # (section, case, kind, metric) -> [values]
text = {}                      # non-numeric values (attach kinds)
with open(RAW) as f:
    for line in f:
        parts = line.rstrip("\n").split("\t")
        if len(parts) != 5:
            continue
        key, v = tuple(parts[:4]), parts[4]
        try:
            x = float(v)
        except ValueError:
            text[key] = v
            continue
        vals[key].append(x)


def med(s, c, k, m):
    v = vals.get((s, c, k, m))
    return statistics.median(v) if v else None


def rng(s, c, k, m):
    v = vals.get((s, c, k, m))
    return (min(v), max(v)) if v else None


def ratio(a, b):
    return a / b if a is not None and b else None


def fx(r):
    return "-" if r is None else f"{r:.2f}x"


def pct(r):
    return "-" if r is None else f"{100 * r:.0f} %"


def mpps(s, c, k):
    m, r = med(s, c, k, "pps"), rng(s, c, k, "pps")
    if m is None:
        return "-"
    return f"{m / 1e6:.2f} ({r[0] / 1e6:.2f}-{r[1] / 1e6:.2f})"


def num(s, c, k, m, fmt="{:.2f}"):
    v, r = med(s, c, k, m), rng(s, c, k, m)
    if v is None:
        return "-"
    return (fmt + " (" + fmt + "-" + fmt + ")").format(v, r[0], r[1])


def rounds():
    return max((len(v) for v in vals.values()), default=0)


def auto_kind(section):
    a = text.get((section, "auto", "auto", "attach-vm-port"), "?")
    return "xdp" if a.startswith("xdp") else "tc" if a == "tc" else None


L2_NAMES = {"xdp": "xvnet bridged, attach=xdp", "tc": "xvnet bridged, attach=tc",
            "linux": "Linux bridge", "bare-xdp": "bare XDP redirect (ceiling)",
            "bare-tc": "bare tc redirect (ceiling)"}
NAT_NAMES = {"xdp": "xvnet NAT, attach=xdp", "tc": "xvnet NAT, attach=tc",
             "linux": "bridge + nftables masquerade",
             "bare-xdp": "bare XDP redirect (no NAT, ceiling)",
             "bare-tc": "bare tc redirect (no NAT, ceiling)"}
BARE_OF = {"xdp": "bare-xdp", "tc": "bare-tc"}
md = []
targets = []


def target(name, measured, goal, met, note=""):
    targets.append({"target": name, "measured": measured, "goal": goal,
                    "met": met, "note": note})


def sec_l2():
    if not vals.get(("l2", "pps-1flow", "linux", "pps")):
        return
    base = med("l2", "pps-1flow", "linux", "pps")
    md.append("### L2 forwarding (bridged), packets/s\n")
    md.append("| path | Mpps median (min-max) | vs Linux bridge | of own bare ceiling |")
    md.append("|---|---|---|---|")
    for k in ["xdp", "bare-xdp", "tc", "bare-tc", "linux"]:
        m = med("l2", "pps-1flow", k, "pps")
        own = ratio(m, med("l2", "pps-1flow", BARE_OF[k], "pps")) if k in BARE_OF else None
        md.append(f"| {L2_NAMES[k]} | {mpps('l2', 'pps-1flow', k)} | {fx(ratio(m, base))} | {pct(own)} |")
    md.append("")
    for k, goal in (("xdp", 4.0), ("tc", 1.5)):
        r = ratio(med("l2", "pps-1flow", k, "pps"), base)
        target(f"L2 pps, attach={k} vs Linux bridge", r, f">= {goal}x", r is not None and r >= goal)
        o = ratio(med("l2", "pps-1flow", k, "pps"), med("l2", "pps-1flow", BARE_OF[k], "pps"))
        target(f"L2 pps, attach={k} vs its bare ceiling", o, ">= 0.85", o is not None and o >= 0.85)
    tcp_latency("l2", L2_NAMES, "Linux bridge")


def tcp_latency(s, names, base_name):
    ak = auto_kind(s)
    md.append(f"### {'L2 (bridged)' if s == 'l2' else 'NAT'}: bulk TCP and latency, offloads at defaults\n")
    md.append(f"attach = auto picks **{text.get((s, 'auto', 'auto', 'attach-vm-port'), '?')}** on the VM port "
              f"and **{text.get((s, 'auto', 'auto', 'attach-uplink'), '?')}** on the uplink (veths).\n")
    md.append(f"| path | TCP 1 stream Gbit/s | vs {base_name} | TCP 4 streams Gbit/s | vs {base_name} "
              f"| RTT p50 us | RTT p99 us | p99 vs {base_name} |")
    md.append("|---|---|---|---|---|---|---|---|")
    b1, b4 = med(s, "tcp-1", "linux", "gbps"), med(s, "tcp-4", "linux", "gbps")
    bp99 = med(s, "latency", "linux", "p99-us")
    for k in ["xdp", "tc", "linux"]:
        t1, t4 = med(s, "tcp-1", k, "gbps"), med(s, "tcp-4", k, "gbps")
        p99 = med(s, "latency", k, "p99-us")
        md.append(f"| {names[k]}{' (auto)' if k == ak else ''} | {num(s, 'tcp-1', k, 'gbps')} | {fx(ratio(t1, b1))} "
                  f"| {num(s, 'tcp-4', k, 'gbps')} | {fx(ratio(t4, b4))} "
                  f"| {num(s, 'latency', k, 'p50-us', '{:.0f}')} | {num(s, 'latency', k, 'p99-us', '{:.0f}')} "
                  f"| {fx(ratio(p99, bp99))} |")
        if k == ak:
            for n, t, b in (("1 stream", t1, b1), ("4 streams", t4, b4)):
                r = ratio(t, b)
                target(f"{s.upper()} TCP {n}, attach=auto ({k}) vs {base_name}", r, ">= 1.0x",
                       r is not None and r >= 1.0)
        if k != "linux":
            r = ratio(p99, bp99)
            target(f"{s.upper()} latency p99, attach={k} vs {base_name}", r, "<= 1.0x",
                   r is not None and r <= 1.0)
    md.append("")


def sec_nat():
    if not vals.get(("nat", "pps-1flow", "linux", "pps")):
        return
    md.append("### NAT, packets/s\n")
    md.append("| path | 1 flow: Mpps median (min-max) | vs nftables | 10k flows: Mpps median (min-max) | vs nftables |")
    md.append("|---|---|---|---|---|")
    b1 = med("nat", "pps-1flow", "linux", "pps")
    b10 = med("nat", "pps-10kflows", "linux", "pps")
    for k in ["xdp", "tc", "linux", "bare-xdp", "bare-tc"]:
        m1, m10 = med("nat", "pps-1flow", k, "pps"), med("nat", "pps-10kflows", k, "pps")
        md.append(f"| {NAT_NAMES[k]} | {mpps('nat', 'pps-1flow', k)} | {fx(ratio(m1, b1))} "
                  f"| {mpps('nat', 'pps-10kflows', k)} | {fx(ratio(m10, b10))} |")
    md.append("")
    for k, goal in (("xdp", 4.0), ("tc", 2.0)):
        for c, b, n in (("pps-1flow", b1, "1 flow"), ("pps-10kflows", b10, "10k flows")):
            r = ratio(med("nat", c, k, "pps"), b)
            target(f"NAT pps {n}, attach={k} vs nftables masquerade", r, f">= {goal}x",
                   r is not None and r >= goal)
    tcp_latency("nat", NAT_NAMES, "bridge + nftables")


def sec_scale():
    counts = sorted({int(c.split("-")[1]) for (s, c, k, m) in vals if s == "scale"})
    if not counts:
        return
    md.append("### NAT with N live sessions (one-flow stream), packets/s\n")
    md.append("| sessions | held in the tables (flows / mappings) | attach=xdp Mpps | of 1 session | attach=tc Mpps | of 1 session |")
    md.append("|---|---|---|---|---|---|")
    for n in counts:
        c = f"sessions-{n}"
        held = "-"
        if med("scale", c, "tc", "held-flows") is not None:
            held = f"{med('scale', c, 'tc', 'held-flows'):.0f} / {med('scale', c, 'tc', 'held-mappings'):.0f}"
        row = [f"{n}", held]
        for k in ("xdp", "tc"):
            row.append(mpps("scale", c, k))
            row.append(pct(ratio(med("scale", c, k, "pps"), med("scale", "sessions-1", k, "pps"))))
        md.append("| " + " | ".join(row) + " |")
    md.append("")
    for k in ("xdp", "tc"):
        r = ratio(med("scale", "sessions-100000", k, "pps"), med("scale", "sessions-1", k, "pps"))
        held = med("scale", "sessions-100000", k, "held-flows")
        target(f"NAT pps with 100k sessions, attach={k}, of the 1-session rate", r, ">= 0.80",
               r is not None and r >= 0.8,
               f"the tables held {held:.0f} flows: max_entries caps them" if held and held < 100000 else "")


def per_entry(mp):
    n, m = med("memory", mp, "map", "max-entries"), med("memory", mp, "map", "memlock-bytes")
    return m / n if n else None


def sec_memory():
    if per_entry("xv_nat_flow") is None:
        return
    md.append("### Map memory per entry (bytes_memlock / max_entries)\n")
    md.append("| map | key + value bytes | max_entries | bytes_memlock | bytes per entry |")
    md.append("|---|---|---|---|---|")
    for mp in ("xv_fdb", "xv_nat_flow", "xv_nat_port"):
        k, v = med("memory", mp, "map", "key-bytes"), med("memory", mp, "map", "value-bytes")
        n, m = med("memory", mp, "map", "max-entries"), med("memory", mp, "map", "memlock-bytes")
        if n:
            md.append(f"| {mp} | {k:.0f} + {v:.0f} | {n:.0f} | {m:.0f} | {m / n:.1f} |")
    md.append("")
    flow = per_entry("xv_nat_flow")
    sessions = med("memory", "xv_nat_flow", "map", "max-entries")
    ports = med("memory", "xv_nat_port", "map", "memlock-bytes")
    if ports is None:
        return
    share = ports / sessions
    s = flow + share
    md.append(f"An FDB entry: {per_entry('xv_fdb'):.0f} bytes. A NAT session is one flow in xv_nat_flow, "
              f"{flow:.0f} bytes, plus its share of xv_nat_port, {share:.0f} bytes: xv_nat_port is fixed, "
              f"{ports / 2**20:.1f} MB for every session count (one word per protocol and outside port, "
              f"whoever holds it), here spread over the flow table's {sessions:.0f} entries, the sessions "
              f"it serves (a larger `nat_sessions` makes the share smaller); together {s:.0f} bytes. "
              "The maps preallocate every entry: this memory is taken at `up`, used or not.\n")
    target("NAT session map memory (flow + its share of xv_nat_port)", s, "<= 128 bytes", s <= 128, "bytes")


def sec_updown():
    if med("updown", "up-64-ports", "tc", "seconds") is None:
        return
    md.append("### `xvnet up` and `down` with 64 ports (seconds)\n")
    md.append("| attach | up median (min-max) | down median (min-max) |")
    md.append("|---|---|---|")
    for k in ("xdp", "tc"):
        md.append(f"| {k} | {num('updown', 'up-64-ports', k, 'seconds', '{:.3f}')} "
                  f"| {num('updown', 'down-64-ports', k, 'seconds', '{:.3f}')} |")
    md.append("")


COST_CASES = ["bridge-forward", "flood", "isolation-drop", "nat-new", "nat-out", "nat-in"]


def sec_cost():
    if med("cost", "bridge-forward", "tc", "ns") is None:
        return
    md.append("### Per-packet cost under BPF_PROG_TEST_RUN (ns a packet, median of the rounds)\n")
    md.append("| case | xvnet XDP | bare XDP | XDP over bare | xvnet tc | bare tc | tc over bare |")
    md.append("|---|---|---|---|---|---|---|")
    for c in COST_CASES:
        x, bx = med("cost", c, "xdp", "ns"), med("cost", c, "bare-xdp", "ns")
        t, bt = med("cost", c, "tc", "ns"), med("cost", c, "bare-tc", "ns")
        if x is None:
            continue
        md.append(f"| {c} | {x:.0f} | {bx:.0f} | {x - bx:+.0f} | {t:.0f} | {bt:.0f} | {t - bt:+.0f} |")
    md.append("")
    md.append("bridge-forward, flood and isolation-drop: one call with a large repeat count; nat-*: one "
              "packet a call from the original frame (the programs rewrite it), so their bare numbers "
              "include the timer's floor for a single run. XDP translates nat-out and nat-in itself; it hands "
              "new sessions and floods to tc: its rows for those are the cost of that decision; tc flood "
              "includes sending the clones.\n")


sec_l2()
sec_nat()
sec_scale()
sec_memory()
sec_updown()
sec_cost()

meta = {
    "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    "kernel": platform.release(),
    "cpus": os.cpu_count(),
    "rounds": rounds(),
    "seconds": float(os.environ.get("BENCH_SECS", "1")),
    "generator": os.environ.get("BENCH_GEN", "xdpgen"),
    "loadavg_at_end": open("/proc/loadavg").read().split()[:3],
}
head = [f"## Results ({meta['date']})\n",
        f"Linux {meta['kernel']}, {meta['cpus']} CPUs; {meta['rounds']} rounds, interleaved "
        f"(A B C A B C ...), {meta['seconds']:g} s a measurement; generator {meta['generator']}; "
        f"load average at the end {' '.join(meta['loadavg_at_end'])}. Medians, min-max, "
        "ratios of medians.\n"]
tmd = ["### Targets (measured, not asserted)\n", "| target | goal | measured | met |", "|---|---|---|---|"]
for t in targets:
    m = t["measured"]
    ms = "-" if m is None else (f"{m:.0f}" if "bytes" in t["goal"] else f"{m:.2f}")
    tmd.append(f"| {t['target']} | {t['goal']} | {ms}{' (' + t['note'] + ')' if t['note'] else ''} "
               f"| {'yes' if t['met'] else 'no'} |")
tmd.append("")
text_md = "\n".join(head + md + tmd) + "\n"
with open(os.path.join(OUT, "results.md"), "w") as f:
    f.write(text_md)

results = []
for (s, c, k, m), v in sorted(vals.items()):
    results.append({"section": s, "case": c, "kind": k, "metric": m, "values": v,
                    "median": statistics.median(v), "min": min(v), "max": max(v)})
with open(os.path.join(OUT, "results.json"), "w") as f:
    json.dump({"meta": meta, "attach_auto": {f"{s}/{m}": v for (s, c, k, m), v in text.items()},
               "results": results, "targets": targets}, f, indent=1)
    f.write("\n")

# The chart: packets/s of every path, median with min-max bars.
rc = 0
rows = []
for s, c, label in (("l2", "pps-1flow", "L2"), ("nat", "pps-1flow", "NAT 1 flow"),
                    ("nat", "pps-10kflows", "NAT 10k flows")):
    for k in ["xdp", "tc", "linux", "bare-xdp", "bare-tc"]:
        r = rng(s, c, k, "pps")
        if r:
            rows.append((label, k, med(s, c, k, "pps") / 1e6, r[0] / 1e6, r[1] / 1e6))
if rows:
    kinds = [k for k in ["xdp", "tc", "linux", "bare-xdp", "bare-tc"] if any(r[1] == k for r in rows)]
    groups = list(dict.fromkeys(r[0] for r in rows))
    dat = os.path.join(OUT, "pps.dat")
    with open(dat, "w") as f:
        f.write("# group " + " ".join(f"{k} {k}-lo {k}-hi" for k in kinds) + "\n")
        for g in groups:
            line = [f'"{g}"']
            for k in kinds:
                r = [x for x in rows if x[0] == g and x[1] == k]
                line += [f"{r[0][2]:.3f} {r[0][3]:.3f} {r[0][4]:.3f}"] if r else ["NaN NaN NaN"]
            f.write(" ".join(line) + "\n")
    titles = {"xdp": "xvnet attach=xdp", "tc": "xvnet attach=tc",
              "linux": "Linux (bridge / + nftables)", "bare-xdp": "bare XDP redirect",
              "bare-tc": "bare tc redirect"}
    plots = []
    for i, k in enumerate(kinds):
        c = 2 + 3 * i
        plots.append(f"'{dat}' using {c}:{c + 1}:{c + 2}:xtic(1) title '{titles[k]}'")
    gp = f"""set terminal pngcairo size 1000,560 font 'sans,11'
set output '{os.path.join(OUT, "pps.png")}'
set title "Packets/s, 60-byte UDP, median and min-max of {meta['rounds']} interleaved rounds ({meta['cpus']} CPUs, veth)"
set ylabel 'Mpps'
set style data histograms
set style histogram errorbars gap 2 lw 1
set style fill solid 0.85 border -1
set key top right
set yrange [0:*]
set grid ytics
plot {', '.join(plots)}
"""
    try:
        subprocess.run(["gnuplot"], input=gp, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"report: gnuplot: {e}", file=sys.stderr)
        rc = 1

print(text_md)
sys.exit(rc)
