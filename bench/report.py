#!/usr/bin/env python3
"""bench/report.py ROUNDS.jsonl BURST.jsonl PROFILE.txt ENV.json PIPELINE.json: results.md
    on stdout.
bench/report.py --profile FLOOD_TID RSTWATCH_TID < `perf script -F comm,tid,ip,sym`:
    the profile summary (PROFILE.txt).
bench/report.py --sockperf < `sockperf ping-pong` output: one JSON object (round trips,
    latency).

Called by bench/run.sh, which passes the machine and run parameters in the
environment (MACHINE_*, BENCH_*).  Only numbers measured in this run are
written; a configuration that could not run says so.
"""
import json
import os
import re
import statistics
import sys
import textwrap

# the run's parameters: a JSON file from run.sh (5th argument), else the environment
E = os.environ

COMMANDS = {
    "none": "no monitor",
    "json": "`rstwatch -v --json > FILE` (a file on disk, /var/tmp)",
    "json_nowire": "`rstwatch -v --json --disable wire > FILE` (on disk)",
    "serve": "`rstwatch serve -v --listen 127.0.0.1:9864` (counters only, every view)",
    "serve_nowire": "`rstwatch serve --disable wire` (counters only)",
    "serve_nowire_nostats": "`rstwatch serve --disable wire`, kernel.bpf_stats_enabled off",
    "bt_count": "bpftrace: `@[args->reason] = count()` on tcp_send_reset",
    "bt_count_stats": "the same bpftrace one-liner, kernel.bpf_stats_enabled on (its ns)",
    "bt_print": "bpftrace: `printf` of each tcp_send_reset (to a file)",
    "tcpdump": "`tcpdump -w FILE 'tcp[tcpflags] & tcp-rst != 0'` in the server namespace",
    "json_nostats": "`rstwatch --json > /dev/null`, kernel.bpf_stats_enabled off",
    "json_lean": "`rstwatch --json --disable wire,drops,receive,owner-io`",
    "json_paused": "`rstwatch --json --ringbuf-size 1G`, stopped (SIGSTOP) during the flood",
    "json_stalled": "`rstwatch --json --ringbuf-size 64M`, stopped (SIGSTOP) during the flood",
    "json_native": "`rstwatch --json --xdp-mode native`",
    "serve_nostats": "`rstwatch serve` (counters only), kernel.bpf_stats_enabled off: as operators run it",
    "serve_lean": "`rstwatch serve --disable wire,drops,receive,owner-io` (counters only, one program)",
    "baseline": "`bench/baseline`: empty programs on each of rstwatch's hook types (the floor)",
}
MAIN = ["none", "json", "json_nowire", "serve", "serve_nowire", "serve_nostats",
        "serve_nowire_nostats", "bt_count", "bt_count_stats", "bt_print", "tcpdump"]
DIAG = ["json_nostats", "json_lean", "json_paused", "json_stalled", "json_native",
        "serve_lean", "baseline"]
RSTWATCH = ["json", "json_nowire", "serve", "serve_nowire", "serve_nostats",
            "serve_nowire_nostats", "json_nostats", "json_lean", "json_paused",
            "json_stalled", "json_native", "serve_lean"]
TRAFFIC = ["t_none", "t_baseline", "t_serve", "t_serve_nowire"]
TRAFFIC_COMMANDS = {
    "t_none": "no monitor",
    "t_baseline": "`bench/baseline`: empty programs on each of rstwatch's hook types",
    "t_serve": "`rstwatch serve` (every view on)",
    "t_serve_nowire": "`rstwatch serve --disable wire`",
}

# issue 11's targets
TARGET_COUNT_X_BT = 2.0      # serve: BPF ns per reset <= 2x bpftrace's count one-liner
TARGET_RATE_SLACK = 0.03     # serve's reset-rate ratio >= bpftrace's - 0.03
TARGET_STREAM_X_BT = 3.0     # --json: BPF ns per reset <= 3x bpftrace's
TARGET_USER_NS = 500.0       # --json: user-space CPU per event
TARGET_BYTES = 350.0         # --json: bytes per event
TARGET_HOOK_X = 1.3          # ordinary traffic: ns/run <= 1.3x the empty program's
TARGET_RT_NS = 300.0         # ordinary traffic: rstwatch BPF ns per ping-pong round trip
# hooks on every packet or every send/recv: where the 1.3x target applies
HOT_HOOKS = ("xdp", "tcx_ingress", "tcx_egress", "tc", "tp_btf/sock_send_length",
             "tp_btf/sock_recv_length")


def load_rounds(path):
    recs = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                recs.append(json.loads(line))
    return recs


def bpf_delta(rec, k0="bpf0", k1="bpf1", by_hook=False):
    """name (or (name, hook)) -> [delta run_time_ns, delta run_cnt] between two snapshots."""
    before = {p["id"]: p for p in rec.get(k0) or []}
    hooks = rec.get("hooks") or {}
    out = {}
    for p in rec.get(k1) or []:
        b = before.get(p["id"])
        if not b:
            continue
        rt = p["run_time_ns"] - b["run_time_ns"]
        cnt = p["run_cnt"] - b["run_cnt"]
        key = (p["name"], hook_of(p, hooks)) if by_hook else p["name"]
        t = out.setdefault(key, [0, 0])
        t[0] += rt
        t[1] += cnt
    return out


def hook_of(prog, hooks):
    """The hook run.sh read from the link's fdinfo, else the program type (no link)."""
    h = hooks.get(str(prog["id"]))
    if h:
        return h
    return {"sched_cls": "tc", "xdp": "xdp"}.get(prog.get("type"), prog.get("type") or "?")


def parse_sockperf(text):
    """round trips (sockperf's own count, whole run) and latency from its summary."""
    out = {}
    m = re.search(r"\[Total Run\].*?SentMessages=(\d+); ReceivedMessages=(\d+)", text)
    if m:
        out["sent"] = int(m.group(1))
        out["round_trips"] = int(m.group(2))
    m = re.search(r"\[Valid Duration\] RunTime=([0-9.]+) sec;.*?ReceivedMessages=(\d+)", text)
    if m:
        out["valid_s"] = float(m.group(1))
        out["valid_round_trips"] = int(m.group(2))
    m = re.search(r"avg-latency=([0-9.]+)", text)
    if m:
        out["avg_latency_us"] = float(m.group(1))
    for name, pct in (("p50_us", "50.000"), ("p99_us", "99.000")):
        m = re.search(r"percentile " + re.escape(pct) + r" =\s*([0-9.]+)", text)
        if m:
            out[name] = float(m.group(1))
    return out


def parse_summary(sj):
    """rstwatch's exit summary (--summary-json; keys in README), or {} if it wrote none."""
    if not isinstance(sj, dict):
        return {}
    ev = sj.get("events", {})
    rs = sj.get("resets", {})
    return {"total": rs.get("total"), "closed_port": rs.get("sent", {}).get("closed_port", 0),
            "shown": ev.get("shown"), "lost": ev.get("lost"), "malformed": ev.get("malformed")}


def parse_metrics(text):
    s = {}
    for line in text.splitlines():
        name, _, val = line.rpartition(" ")
        try:
            v = int(float(val))
        except ValueError:
            continue
        if name.startswith("rstwatch_resets_sent_total"):
            s["closed_port"] = v
        elif name == "rstwatch_events_total":
            s["shown"] = v
        elif name == "rstwatch_events_lost_total":
            s["lost"] = v
    return s


def enrich(rec):
    if not rec.get("ok"):
        return rec
    if rec["config"].startswith("t_"):
        rec["phase_iperf"] = bpf_delta(rec, "bpf0", "bpf1", True)
        rec["phase_sockperf"] = bpf_delta(rec, "bpf1", "bpf2", True)
        rec["phase_both"] = bpf_delta(rec, "bpf0", "bpf2", True)
        rts = rec["sockperf"]["round_trips"]
        tot = sum(v[0] for v in rec["phase_sockperf"].values())
        rec["ns_per_rt"] = tot / rts if rts else None
        rec["runs_per_rt"] = sum(v[1] for v in rec["phase_sockperf"].values()) / rts if rts else None
        return rec
    fl = rec["flood"]
    rec["elapsed"] = fl["elapsed_s"]
    rec["rate"] = rec["rsts"] / fl["elapsed_s"] if fl["elapsed_s"] > 0 else 0.0
    rec["cpu_pct"] = 100.0 * rec["cpu_s"] / fl["elapsed_s"] if fl["elapsed_s"] > 0 else 0.0
    d = bpf_delta(rec)
    rec["bpf"] = d
    if "send_reset" in d and d["send_reset"][1] > 0:
        rec["send_reset_ns"] = d["send_reset"][0] / d["send_reset"][1]
        rec["send_reset_runs"] = d["send_reset"][1]
    # every program of the monitor (rstwatch's or bpftrace's) counts
    inpath = d
    if (rec["config"] in RSTWATCH or rec["config"] in ("bt_count_stats", "baseline")) \
            and rec["rsts"] > 0 and any(v[1] for v in inpath.values()):
        rec["bpf_ns_per_reset"] = sum(v[0] for v in inpath.values()) / rec["rsts"]
        rec["runs_per_reset"] = sum(v[1] for v in inpath.values()) / rec["rsts"]
    if rec["config"] == "baseline" and rec["rsts"] > 0:
        # rstwatch's default ingress is TC, not XDP: the floor of each view set
        rec["floor_ns_per_reset"] = sum(v[0] for k, v in d.items()
                                        if k != "empty_xdp") / rec["rsts"]
        rec["floor_nowire_ns_per_reset"] = sum(v[0] for k, v in d.items()
                                               if not k.startswith(("empty_xdp", "empty_tc"))) \
            / rec["rsts"]
    cfg = rec["config"]
    if rec.get("file_lines"):
        rec["bytes_per_event"] = rec["file_bytes"] / rec["file_lines"]
        rec["user_ns_per_event"] = 1e9 * rec.get("cpu_drain_s", 0) / rec["file_lines"]
    if cfg in RSTWATCH and not cfg.startswith("serve"):
        rec["summary"] = parse_summary(rec.get("summary_json"))
    elif cfg.startswith("serve"):
        rec["summary"] = parse_metrics(rec.get("metrics", ""))
    elif cfg in ("bt_count", "bt_count_stats"):
        rec["bt_total"] = sum(int(x) for x in re.findall(r"^@\[[^\]]*\]: (\d+)", rec.get("out", ""), re.M))
    elif cfg == "bt_print":
        lost = re.findall(r"Lost (\d+) events", rec.get("err", "") + rec.get("out", ""))
        rec["bt_lost"] = sum(int(x) for x in lost)
    elif cfg == "tcpdump":
        err = rec.get("err", "")
        for key, pat in (("captured", r"(\d+) packets? captured"),
                         ("received", r"(\d+) packets? received by filter"),
                         ("dropped", r"(\d+) packets? dropped by kernel")):
            m = re.search(pat, err)
            rec["td_" + key] = int(m.group(1)) if m else None
    return rec


# Inclusive shares: the fraction of a thread's samples with the symbol anywhere
# in the call chain (each sample counted once).
FLOOD_SYMS = [
    ("tcp_v4_send_reset", r"^tcp_v4_send_reset$"),
    ("bpf_prog_send_reset", r"^bpf_prog_[0-9a-f]+_send_reset$"),
    ("bpf_prog_skb_dropped", r"^bpf_prog_[0-9a-f]+_skb_dropped$"),
    ("bpf_prog_xdp_rst_in", r"^bpf_prog_[0-9a-f]+_xdp_rst_in$"),
    ("bpf_prog_tc_rst_out", r"^bpf_prog_[0-9a-f]+_tc_rst_out$"),
    ("bpf_prog_track_send", r"^bpf_prog_[0-9a-f]+_track_send$"),
    ("any rstwatch program", r"^bpf_prog_[0-9a-f]+_(send_reset|skb_dropped|xdp_rst_in|tc_rst_out|track_send|track_recv|track_state|receive_reset)$"),
    ("bpf_ringbuf_submit", r"^bpf_ringbuf_submit$"),
    ("irq_work_queue", r"^irq_work_queue$"),
    ("native_write_msr", r"^native_write_msr$"),
    ("IPI handling (sysvec_call_function_single)", r"^sysvec_call_function_single$"),
    ("veth_xdp_rcv", r"^veth_xdp_rcv$"),
    ("skb_pp_cow_data", r"^skb_pp_cow_data$"),
    ("copy_from_kernel_nofault", r"^copy_from_kernel_nofault$"),
    ("pvclock_clocksource_read_nowd", r"^pvclock_clocksource_read(_nowd)?$"),
]
RW_SYMS = [
    ("bpf_prog_test_run_raw_tp", r"^bpf_prog_test_run_raw_tp$"),
    ("smp_call_function_single", r"^smp_call_function_single$"),
    ("epoll_wait", r"^(__x64_sys_epoll_wait|do_epoll_wait)$"),
    ("write(2)", r"^(__x64_sys_write|ksys_write)$"),
]


def summarize_profile(lines, flood_tid, rw_tid):
    samples = {flood_tid: [], rw_tid: []}
    cur = None
    for line in lines:
        if not line.strip():
            cur = None
            continue
        if not line[0].isspace():
            parts = line.split()
            tid = parts[-1] if len(parts) >= 2 else ""
            cur = [] if tid in samples else None
            if cur is not None:
                samples[tid].append(cur)
            continue
        if cur is not None:
            f = line.split(None, 1)
            if len(f) == 2:
                cur.append((f[0], f[1].strip()))
    out = []
    for title, tid, syms in (("flood", flood_tid, FLOOD_SYMS), ("rstwatch", rw_tid, RW_SYMS)):
        ss = samples[tid]
        n = len(ss)
        out.append(f"== {title} (tid {tid}, {n} samples): inclusive share of its samples")
        if not n:
            continue
        for name, pat in syms:
            rx = re.compile(pat)
            k = sum(1 for st in ss if any(rx.match(sym) for _, sym in st))
            out.append(f"{100.0 * k / n:6.2f}%  {name}")
        # user space has no frame pointers: only its leaf frames are reliable
        k = sum(1 for st in ss if st and not st[0][0].startswith("ffff"))
        out.append(f"{100.0 * k / n:6.2f}%  user space (leaf frame outside the kernel)")
        leaf = {}
        for st in ss:
            if st:
                leaf[st[0][1]] = leaf.get(st[0][1], 0) + 1
        out.append(f"== {title}: self share, top 8")
        for sym, k in sorted(leaf.items(), key=lambda kv: -kv[1])[:8]:
            out.append(f"{100.0 * k / n:6.2f}%  {sym}")
    return "\n".join(out)


def parse_profile(text):
    """section title -> {symbol: percent} from run.sh's profile.txt."""
    secs, cur = {}, None
    for line in text.splitlines():
        if line.startswith("== "):
            cur = secs.setdefault(line[3:].split(" ")[0] + (" self" if "self" in line else ""), {})
            continue
        m = re.match(r"^\s*([0-9.]+)%\s+(.+)$", line)
        if m and cur is not None:
            cur.setdefault(m.group(2).strip(), float(m.group(1)))
    return secs


def reflow(text, width=96):
    """Re-wrap paragraphs and numbered items (Markdown source stays readable)."""
    blocks = []
    for block in re.split(r"\n\s*\n", text.strip()):
        items, cur = [], []
        for line in block.splitlines():
            if re.match(r"^\d+\. ", line) and cur:
                items.append(cur)
                cur = []
            cur.append(line.strip())
        if cur:
            items.append(cur)
        out = []
        for it in items:
            para = " ".join(it)
            sub = "   " if re.match(r"^\d+\. ", para) else ""
            out.append(textwrap.fill(para, width=width, subsequent_indent=sub,
                                     break_long_words=False, break_on_hyphens=False))
        blocks.append("\n".join(out))
    return "\n\n".join(blocks)


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt_int(x):
    return "n/a" if x is None else f"{x:,.0f}"


def fmt_f(x, nd=2):
    return "n/a" if x is None else f"{x:.{nd}f}"


def traffic_agg(by):
    """Ordinary-traffic rounds: ratios to no monitor, per-program ns/run beside the empty
    program's on the same hook, rstwatch ns per ping-pong round trip."""
    t = {}
    for cfg in TRAFFIC:
        recs = by.get(cfg, [])
        ok = [r for r in recs if r.get("ok")]
        use = [r for r in ok if not r.get("foreign")]
        a = {"recs": recs, "ok": ok, "use": use,
             "why": next((r.get("why") for r in recs if not r.get("ok")), None)}
        a["bps"] = [r["iperf"]["bps"] for r in use]
        a["lat"] = [r["sockperf"]["avg_latency_us"] for r in use
                    if r["sockperf"].get("avg_latency_us") is not None]
        a["ns_per_rt"] = [r["ns_per_rt"] for r in use if r.get("ns_per_rt") is not None]
        a["runs_per_rt"] = [r["runs_per_rt"] for r in use if r.get("runs_per_rt") is not None]
        a["rts"] = [r["sockperf"]["round_trips"] for r in use]
        progs, runs_rt, runs_ip = {}, {}, {}
        for r in use:
            rts = r["sockperf"]["round_trips"]
            for key, (rt, cnt) in r["phase_both"].items():
                if cnt:
                    progs.setdefault(key, []).append(rt / cnt)
            for key, (rt, cnt) in r["phase_sockperf"].items():
                runs_rt.setdefault(key, []).append(cnt / rts if rts else 0)
            for key, (rt, cnt) in r["phase_iperf"].items():
                runs_ip.setdefault(key, []).append(cnt)
        a["progs"] = {k: med(v) for k, v in progs.items()}
        a["runs_rt"] = {k: med(v) for k, v in runs_rt.items()}
        a["runs_ip"] = {k: med(v) for k, v in runs_ip.items()}
        t[cfg] = a
    floor = {}
    for r in t["t_baseline"]["use"]:
        per = {}
        for (name, hook), (rt, cnt) in r["phase_both"].items():
            x = per.setdefault(hook, [0, 0])
            x[0] += rt
            x[1] += cnt
        for hook, (rt, cnt) in per.items():
            if cnt:
                floor.setdefault(hook, []).append(rt / cnt)
    floor = {h: med(v) for h, v in floor.items()}
    none_bps, none_lat = med(t["t_none"]["bps"]), med(t["t_none"]["lat"])
    for cfg, a in t.items():
        if a["bps"] and none_bps:
            a["bps_ratio"] = (med(a["bps"]) / none_bps, min(a["bps"]) / none_bps,
                              max(a["bps"]) / none_bps)
        if a["lat"] and none_lat:
            a["lat_ratio"] = (med(a["lat"]) / none_lat, min(a["lat"]) / none_lat,
                              max(a["lat"]) / none_lat)
        rows = []
        if cfg.startswith("t_serve"):
            for (name, hook), ns in sorted(a["progs"].items(), key=lambda kv: kv[0][1]):
                fl = floor.get(hook)
                x = ns / fl if fl else None
                rows.append({"name": name, "hook": hook, "ns": ns, "floor": fl, "x": x,
                             "applies": hook in HOT_HOOKS, "runs_rt": a["runs_rt"].get((name, hook)),
                             "runs_ip": a["runs_ip"].get((name, hook))})
        a["rows"] = rows
    t["floor"] = floor
    return t


def fmt_range(xs, nd=2, unit=""):
    xs = [x for x in xs if x is not None]
    if not xs:
        return "n/a"
    return f"{med(xs):,.{nd}f}{unit} ({min(xs):,.{nd}f}-{max(xs):,.{nd}f})"


def write_traffic(w, t):
    w("## Ordinary traffic (no resets)")
    w("")
    w("Each round: one iperf3 stream (client namespace to server namespace over the bench veth, "
      "`iperf3 -c -t IPERF_S`) and then sockperf TCP ping-pong (`sockperf ping-pong --tcp -m 64 "
      "-t SOCKPERF_S`), `kernel.bpf_stats_enabled=1` throughout (for every configuration, so "
      "the ratios compare like with like); configurations alternate, the order rotated every "
      "round; medians with min-max over the rounds. Round trips are sockperf's own count "
      "(ReceivedMessages of its whole run, warm-up included, which is what the BPF snapshots "
      "around it cover). BPF counts are host-wide: tracing programs also run on other "
      "processes' send/recv calls meanwhile, so runs per round trip above 4 (two sends, two "
      "receives) are other activity on this shared host.")
    w("")
    w("| config | command | rounds (clean) | iperf3 Gbit/s | throughput vs none | "
      "ping-pong latency us (half RTT) | latency vs none | monitor BPF ns per round trip | "
      "program runs per round trip |")
    w("|---|---|---|---|---|---|---|---|---|")
    for cfg in TRAFFIC:
        a = t[cfg]
        if not a["use"]:
            w(f"| {cfg} | {TRAFFIC_COMMANDS[cfg]} | {len(a['ok'])} (0) | **could not run**: "
              f"{a.get('why') or 'no clean round'} | | | | | |")
            continue
        br = a.get("bps_ratio")
        lr = a.get("lat_ratio")
        w(f"| {cfg} | {TRAFFIC_COMMANDS[cfg]} | {len(a['ok'])} ({len(a['use'])}) | "
          f"{fmt_range([x / 1e9 for x in a['bps']])} | "
          f"{'n/a' if not br else f'{br[0]:.3f} ({br[1]:.3f}-{br[2]:.3f})'} | "
          f"{fmt_range(a['lat'])} | "
          f"{'n/a' if not lr else f'{lr[0]:.3f} ({lr[1]:.3f}-{lr[2]:.3f})'} | "
          f"{fmt_range(a['ns_per_rt'], 0) if cfg != 't_none' else '-'} | "
          f"{fmt_range(a['runs_per_rt'], 1)} |")
    w("")
    w("Per program, ns per run over both phases (median of the rounds) beside the empty "
      f"program on the same hook (`bench/baseline`, same rounds); target <= {TARGET_HOOK_X}x on "
      "the hooks that run on every packet or every send/recv ("
      + ", ".join(f"`{h}`" for h in HOT_HOOKS) + "):")
    w("")
    w("| config | program | hook | ns/run | empty program ns/run | ratio | runs per round trip "
      "(ping-pong) | runs (iperf3 phase) |")
    w("|---|---|---|---|---|---|---|---|")
    for cfg in ("t_serve", "t_serve_nowire"):
        for row in t[cfg]["rows"]:
            x = row["x"]
            xs = "n/a (no empty program on this hook)" if x is None else f"{x:.2f}x"
            if x is not None and row["applies"]:
                xs += "" if x <= TARGET_HOOK_X else " **over**"
            w(f"| {cfg} | {row['name']} | `{row['hook']}` | {row['ns']:,.0f} | "
              f"{fmt_f(row['floor'], 0)} | {xs} | {fmt_f(row['runs_rt'], 2)} | "
              f"{fmt_int(row['runs_ip'])} |")
    w("")
    w("Every traffic round: " + "; ".join(
        f"{r['config']} r{r['round']}: "
        + (f"{r['iperf']['bps'] / 1e9:.2f} Gbit/s, {r['sockperf'].get('avg_latency_us')} us, "
           f"{r['sockperf']['round_trips']:,} round trips"
           + (f", {r['ns_per_rt']:,.0f} BPF ns each" if r.get('ns_per_rt') else "")
           + (" (another monitor seen: not used)" if r.get("foreign") else "")
           if r.get("ok") else f"could not run: {r.get('why')}")
        for cfg in TRAFFIC for r in t[cfg]["recs"]) + ".")
    w("")
    w("Empty programs (t_baseline), ns per run: "
      + ", ".join(f"`{h}` {ns:,.0f}" for h, ns in sorted(t["floor"].items())) + ".")
    w("")


def targets_table(agg, bursts, t, pipeline):
    L = ["## Targets", "",
         "Issue 11's targets, measured side by side in this run (how: the sections below). "
         "\"bpftrace\" is the count one-liner `tracepoint:tcp:tcp_send_reset { @[args->reason] = "
         "count(); }`, its ns from bpf_stats of its own programs (found by its pid's fds) in its "
         "own rounds (bt_count_stats) and its rate in rounds with bpf_stats off (bt_count). "
         "Medians over the rounds, min-max in brackets.", "",
         "| target | measured | met |", "|---|---|---|"]

    def row(target, measured, ok):
        L.append(f"| {target} | {measured} | "
                 f"{'n/a' if ok is None else ('yes' if ok else '**no**')} |")

    def rng(a, key, nd=0, unit=" ns"):
        r = a.get(key + "_range")
        return f"{a[key]:,.{nd}f}{unit} ({r[0]:,.{nd}f}-{r[1]:,.{nd}f})" if r else ""

    bt_ns = agg["bt_count_stats"].get("bpf_ns_per_reset")
    bt_ratio = agg["bt_count"].get("ratio")
    views = (("", "every view on"), ("_nowire", "`--disable wire`"))

    def floor(suf, bound):
        """What empty programs on the same hooks cost per reset (the baseline rounds)."""
        f = agg.get("baseline", {}).get("floor" + suf + "_ns_per_reset")
        if f is None or not bt_ns:
            return ""
        return (f"; floor {f:,.0f} ns = {f / bt_ns:.2f}x bpftrace (empty programs on the same "
                "hooks, `baseline` rounds)" + (": **unreachable** while these hooks run"
                                                 if f > bound else ""))

    for suf, view in views:
        a = agg["serve" + suf]
        ns = a.get("bpf_ns_per_reset")
        tgt = f"Resets, counting (`serve`, {view}): BPF ns per reset <= {TARGET_COUNT_X_BT:g}x bpftrace"
        if ns is None or not bt_ns:
            row(tgt, "not measured", None)
        else:
            row(tgt, f"{rng(a, 'bpf_ns_per_reset')} = {ns / bt_ns:.2f}x bpftrace's {bt_ns:,.0f} ns"
                + floor(suf, TARGET_COUNT_X_BT * bt_ns), ns <= TARGET_COUNT_X_BT * bt_ns)
        a = agg["serve" + suf + "_nostats"]
        r = a.get("ratio")
        tgt = (f"Resets, counting (`serve`, {view}, bpf_stats off): reset rate vs no monitor "
               f">= bpftrace's - {TARGET_RATE_SLACK}")
        if r is None or bt_ratio is None:
            row(tgt, "not measured", None)
        else:
            row(tgt, f"{r:.3f} (bpftrace {bt_ratio:.3f}: {r - bt_ratio:+.3f})",
                r >= bt_ratio - TARGET_RATE_SLACK)
    for suf, view in views:
        a = agg["json" + suf]
        ns = a.get("bpf_ns_per_reset")
        tgt = (f"Resets, streaming (`--json` to a file, {view}): BPF ns per reset "
               f"<= {TARGET_STREAM_X_BT:g}x bpftrace")
        if ns is None or not bt_ns:
            row(tgt, "not measured", None)
        else:
            row(tgt, f"{rng(a, 'bpf_ns_per_reset')} = {ns / bt_ns:.2f}x bpftrace's {bt_ns:,.0f} ns"
                + floor(suf, TARGET_STREAM_X_BT * bt_ns), ns <= TARGET_STREAM_X_BT * bt_ns)
        u = a.get("user_ns_per_event")
        tgt = (f"Resets, streaming ({view}): user-space CPU per event (utime+stime / events "
               f"written) <= {TARGET_USER_NS:.0f} ns")
        b = bursts.get("burst" + suf, {})
        extra = (f"; bursts: {1e9 * b['cpu_s'] / b['lines']:,.0f} ns"
                 if b.get("ok") and b.get("lines") else "")
        row(tgt, "not measured" if u is None else rng(a, "user_ns_per_event") + extra,
            None if u is None else u <= TARGET_USER_NS)
        bs = parse_summary(b.get("summary_json")) if b.get("ok") else {}
        tgt = (f"Resets, streaming ({view}): 0 events lost, {E.get('BENCH_BURSTS', '3')} bursts x "
               f"{int(E.get('BENCH_BURST', '300000')):,} resets at full speed, default ring")
        if bs.get("lost") is None:
            row(tgt, "not measured" + (f" ({b.get('why')})" if b.get("why") else ""), None)
        else:
            row(tgt, f"{bs['lost']:,} lost of {bs['lost'] + (bs.get('shown') or 0):,} events",
                bs["lost"] == 0)
        by = a.get("bytes_per_event")
        tgt = f"Resets, streaming ({view}): typical event <= {TARGET_BYTES:.0f} bytes (file size / events)"
        row(tgt, "not measured" if by is None else rng(a, "bytes_per_event", 0, " bytes"),
            None if by is None else by <= TARGET_BYTES)
    if pipeline:
        row("`bench/pipeline` (synthetic records, no BPF): user-space CPU per event "
            f"<= {TARGET_USER_NS:.0f} ns", f"{pipeline.get('cpu_ns_per_event')} ns",
            pipeline.get("cpu_ns_per_event", 1e9) <= TARGET_USER_NS)
        row(f"`bench/pipeline`: bytes per event <= {TARGET_BYTES:.0f}",
            f"{pipeline.get('bytes_per_event')} bytes",
            pipeline.get("bytes_per_event", 1e9) <= TARGET_BYTES)
    for suf, view in views:
        a = t["t_serve" + suf]
        rows = [r for r in a["rows"] if r["applies"]]
        tgt = (f"Ordinary traffic (`serve`, {view}): every program on a packet or send/recv "
               f"hook <= {TARGET_HOOK_X}x the empty program's ns/run")
        if not rows or any(r["x"] is None for r in rows):
            row(tgt, "not measured" + ("" if not rows else ": no empty program on "
                + ", ".join(r["hook"] for r in rows if r["x"] is None)), None)
        else:
            worst = max(rows, key=lambda r: r["x"])
            within = sum(1 for r in rows if r["x"] <= TARGET_HOOK_X)
            row(tgt, f"{within} of {len(rows)} within; worst `{worst['name']}` on "
                f"`{worst['hook']}` {worst['ns']:,.0f} ns vs {worst['floor']:,.0f} ns = "
                f"{worst['x']:.2f}x", within == len(rows))
        tgt = (f"Ordinary traffic (`serve`, {view}): rstwatch BPF ns per ping-pong round trip "
               f"<= {TARGET_RT_NS:.0f} ns")
        # what empty programs would cost with the same runs on the same hooks
        fl = [r["runs_rt"] * r["floor"] for r in a["rows"] if r["runs_rt"] and r["floor"]]
        fl_txt = ""
        if fl:
            fl_txt = (f"; floor {sum(fl):,.0f} ns (empty programs, the same runs per round trip "
                      "on the same hooks)" + (": **unreachable** while these hooks run"
                                              if sum(fl) > TARGET_RT_NS else ""))
        row(tgt, (fmt_range(a["ns_per_rt"], 0, " ns") + fl_txt) if a["ns_per_rt"] else "not measured",
            med(a["ns_per_rt"]) <= TARGET_RT_NS if a["ns_per_rt"] else None)
        br, lr = a.get("bps_ratio"), a.get("lat_ratio")
        row(f"Ordinary traffic (`serve`, {view}): iperf3 throughput and ping-pong latency vs no "
            "monitor (reported, no target: judge by ns)",
            ("n/a" if not br else f"throughput {br[0]:.3f} ({br[1]:.3f}-{br[2]:.3f})") + "; "
            + ("n/a" if not lr else f"latency {lr[0]:.3f} ({lr[1]:.3f}-{lr[2]:.3f})"), None)
    L.append("")
    return L


def main():
    global E
    if len(sys.argv) > 4:
        with open(sys.argv[4]) as f:
            E = {k: str(v) for k, v in json.load(f).items()}
    rounds = [enrich(r) for r in load_rounds(sys.argv[1])]
    bursts = {b["config"]: b for b in load_rounds(sys.argv[2])}
    pipeline = {}
    if len(sys.argv) > 5:
        with open(sys.argv[5]) as f:
            text = f.read().strip()
            pipeline = json.loads(text) if text else {}
    with open(sys.argv[3]) as f:
        profile = f.read().rstrip()

    by = {}
    for r in rounds:
        by.setdefault(r["config"], []).append(r)

    agg = {}
    for cfg in MAIN + DIAG:
        recs = by.get(cfg, [])
        ok = [r for r in recs if r.get("ok")]
        clean = [r for r in ok if not r.get("foreign")]
        # rounds with another reset monitor loaded are not comparable: shown, not used
        use = clean
        a = {"recs": recs, "ok": ok, "clean": clean, "use": use,
             "why": next((r.get("why") for r in recs if not r.get("ok")), None)}
        if use:
            rates = [r["rate"] for r in use]
            a["rate"] = med(rates)
            a["rate_min"], a["rate_max"] = min(rates), max(rates)
            a["cpu_s"] = med([r["cpu_s"] for r in use])
            a["cpu_pct"] = med([r["cpu_pct"] for r in use])
            a["rss_kb"] = max(r["rss_kb"] for r in use)
            a["send_reset_ns"] = med([r.get("send_reset_ns") for r in use])
            a["bpf_ns_per_reset"] = med([r.get("bpf_ns_per_reset") for r in use])
            a["runs_per_reset"] = med([r.get("runs_per_reset") for r in use])
            a["stats"] = sorted({r.get("bpf_stats") for r in use})
            for key in ("bpf_ns_per_reset", "bytes_per_event", "user_ns_per_event"):
                xs = [r[key] for r in use if r.get(key) is not None]
                if xs:
                    a[key + "_range"] = (min(xs), max(xs))
            a["bytes_per_event"] = med([r.get("bytes_per_event") for r in use])
            a["user_ns_per_event"] = med([r.get("user_ns_per_event") for r in use])
            a["lost"] = sum(r.get("summary", {}).get("lost") or 0 for r in use)
            for key in ("floor_ns_per_reset", "floor_nowire_ns_per_reset"):
                a[key] = med([r.get(key) for r in use])
        agg[cfg] = a
    tagg = traffic_agg(by)
    base = agg["none"].get("rate")
    for cfg, a in agg.items():
        if a.get("rate") is not None and base:
            a["ratio"] = a["rate"] / base

    out = []
    w = out.append
    w("# What rstwatch costs: under a TCP reset flood and under ordinary traffic")
    w("")
    w("Generated by `make bench` (bench/run.sh); overwritten on every run. Numbers below "
      "are this run's only.")
    w("")
    if E.get("BENCH_NOTE"):
        w(f"- **Note**: {E['BENCH_NOTE']}")
    w(f"- rstwatch binary: {E.get('BENCH_RW_VERSION', 'n/a')}; iperf3: {E.get('BENCH_IPERF', 'n/a')}; "
      f"sockperf: {E.get('BENCH_SOCKPERF', 'n/a')}; rounds: {E.get('BENCH_ROUNDS')} (flood), "
      f"{E.get('BENCH_DIAG_ROUNDS')} (diagnostic), {E.get('BENCH_TRAFFIC_ROUNDS')} (traffic: "
      f"iperf3 {E.get('BENCH_IPERF_S')} s + sockperf {E.get('BENCH_SOCKPERF_S')} s each)")
    w(f"- Date: {E.get('BENCH_DATE')}; run time {E.get('BENCH_ELAPSED')} s, of which "
      f"{E.get('BENCH_WAITED', '0')} s waiting for other sessions' reset monitors to go away")
    w(f"- Machine: Linux {E.get('MACHINE_KERNEL')}, {E.get('MACHINE_NPROC')} CPUs, "
      f"{E.get('MACHINE_CPU')} ({E.get('MACHINE_VIRT')}); load average at the end "
      f"{E.get('MACHINE_LOAD')}")
    dirty = E.get("BENCH_DIRTY", "0")
    w(f"- rstwatch: {E.get('BENCH_REV')}"
      + (f" plus {dirty} uncommitted change(s) under user/ bpf/ include/ (others edit the tree)"
         if dirty != "0" else "")
      + "; the binary was copied at the start, so a concurrent rebuild could not swap it")
    bt = E.get("BENCH_BT", "none")
    w(f"- Others: {bt}{' (' + E['BENCH_BT_WHY'] + ')' if E.get('BENCH_BT_WHY') else ''}; "
      f"{E.get('BENCH_TD')}")
    w(f"- Method: namespaces rwbench*-cli/-srv joined by a veth pair "
      f"(`{E.get('BENCH_IF')}`). `bench/flood` (raw socket, IP_HDRINCL, sendmmsg batches of "
      f"64, one thread) sends SYNs from the client to a closed port of the server for "
      f"{E.get('BENCH_DURATION')} s per round; every SYN differs (source port and sequence "
      f"number). Reset rate = `TcpOutRsts` delta in the server namespace / flood time. "
      f"{E.get('BENCH_ROUNDS')} rounds of each main configuration and "
      f"{E.get('BENCH_DIAG_ROUNDS')} of each diagnostic one, alternating, the order rotated "
      f"every round; medians. Everything runs on the flood's CPU (the sender's `sendmmsg` "
      f"carries the packet through both namespaces' stacks in its softirq), so the rate is "
      f"the inverse of the per-reset kernel cost plus what monitors add on that path.")
    w("- `-v` only lets the benchmark see rstwatch's \"watching\" line (every program attached) "
      "before the flood starts; it prints nothing per event.")
    w("- Every rstwatch instance ran with `-i <bench veth>` so its XDP/TC programs stayed off "
      "other namespaces' interfaces on this shared host; the benchmark's own veth pair gets "
      "what it gets by default. rstwatch `serve` ran (and was scraped) in a namespace of its "
      "own (rwbench*-mon).")
    w(f"- `kernel.bpf_stats_enabled` (initially {E.get('BENCH_STATS_ORIG')}) was set to 1 for "
      "the rstwatch rounds (serve itself turns it on only with `--bpf-stats`) and restored "
      "after each; `json_nostats` and `serve_nostats` show what the statistics cost.")
    w("- Each flood SYN produces two rstwatch events: the server's `sent closed_port` and the "
      "client's `received rst_no_socket` (the RST reaches a host with no TCP socket for it, "
      "and kfree_skb reports it).")
    w("")

    targets_at = len(out)

    # ---- main table
    w("## Results")
    w("")
    w("| config | command | rounds (clean) | resets/s median (min-max) | vs no monitor | "
      "monitor CPU during flood | monitor peak RSS | events / loss |")
    w("|---|---|---|---|---|---|---|---|")
    for cfg in MAIN + DIAG:
        a = agg[cfg]
        if not a["use"]:
            if a["ok"]:
                why = ("no clean round: another reset monitor was loaded during all "
                       f"{len(a['ok'])} (median {fmt_int(med([r['rate'] for r in a['ok']]))}/s, "
                       "not comparable)")
            else:
                why = "**could not run**: " + (a.get("why") or "no round ran")
            w(f"| {cfg} | {COMMANDS[cfg]} | {len(a['ok'])} (0) | {why} | | | | |")
            continue
        use = a["use"]
        nrounds = f"{len(a['ok'])} ({len(a['clean'])})"
        rate = f"{fmt_int(a['rate'])} ({fmt_int(a['rate_min'])}-{fmt_int(a['rate_max'])})"
        ratio = fmt_f(a.get("ratio"), 3) if cfg != "none" else "1"
        if cfg == "none":
            cpu, rss = "-", "-"
        else:
            cpu = f"{fmt_f(a['cpu_s'])} s ({fmt_f(a['cpu_pct'], 0)}% of a CPU)"
            rss = f"{a['rss_kb'] / 1024:.1f} MiB"
        ev = ""
        if cfg in RSTWATCH:
            shown = sum(r["summary"].get("shown") or 0 for r in use)
            lost = sum(r["summary"].get("lost") or 0 for r in use)
            produced = shown + lost
            ev = (f"{shown:,} delivered, {lost:,} lost ({100.0 * lost / produced:.2f}%)"
                  if produced else "n/a")
            if cfg.startswith("serve"):
                ev = f"{shown:,} sampled (serve without --log only counts), {lost:,} lost"
        elif cfg == "bt_count":
            tot = sum(r.get("bt_total", 0) for r in use)
            life = sum(r["rsts_life"] for r in use)
            ev = f"counted {tot:,} of {life:,} resets"
        elif cfg == "bt_print":
            lines = sum(r.get("lines", 0) for r in use)
            life = sum(r["rsts_life"] for r in use)
            lost = sum(r.get("bt_lost", 0) for r in use)
            ev = f"{lines:,} lines for {life:,} resets, {lost:,} reported lost"
        elif cfg == "tcpdump":
            cap = sum(r.get("td_captured") or 0 for r in use)
            rcv = sum(r.get("td_received") or 0 for r in use)
            drop = sum(r.get("td_dropped") or 0 for r in use)
            life = sum(r["rsts_life"] for r in use)
            ev = (f"{rcv:,} received by filter, {cap:,} written, of {life:,} RSTs; "
                  f"{drop:,} dropped by kernel")
        w(f"| {cfg} | {COMMANDS[cfg]} | {nrounds} | {rate} | {ratio} | {cpu} | {rss} | {ev} |")
    w("")
    w("Rounds (clean): rounds run, and of those, rounds during which no other reset monitor "
      "(another session's rstwatch or bpftrace on tcp_send_reset, or a foreign XDP program on "
      "the bench veth) was loaded; only clean rounds count (the others are listed at the end). "
      "Monitor CPU: utime+stime of the monitor process during the flood "
      "(`/proc/PID/stat`); work done in the flood's softirq by BPF programs is not in it. "
      "Events / loss sums over the rounds; for rstwatch, delivered = \"Events shown\" of its "
      "exit summary (the JSON lines it wrote; serve: `rstwatch_events_total`) and lost = its "
      "\"lost (ring buffer full)\" (`rstwatch_events_lost_total`); two events per reset "
      "(see above).")
    w("")

    # ---- rstwatch details
    w("### rstwatch in detail")
    w("")
    w("| config | send_reset ns/run (bpf_stats) | BPF ns per reset, all rstwatch programs "
      "in the packet path | program runs per reset | kernel closed_port count vs TcpOutRsts "
      "delta (per round) |")
    w("|---|---|---|---|---|")
    exact_rows = []
    for cfg in RSTWATCH:
        a = agg[cfg]
        if not a["use"]:
            w(f"| {cfg} | could not run | | | |")
            continue
        diffs = []
        for r in a["ok"]:
            cp = r["summary"].get("closed_port")
            if cp is None:
                diffs.append("no count")
                continue
            diffs.append(f"{cp - r['rsts_life']:+d}")
            exact_rows.append((cfg, r["round"], cp, r["rsts_life"]))
        stats_note = ""
        if a["stats"] != ["1"]:
            stats_note = f" (bpf_stats_enabled={','.join(a['stats'])}: no timing)"
        w(f"| {cfg} | {fmt_f(a['send_reset_ns'], 0)}{stats_note} | "
          f"{fmt_f(a['bpf_ns_per_reset'], 0)} | {fmt_f(a['runs_per_reset'], 1)} | "
          f"{', '.join(diffs)} |")
    w("")
    # per-program breakdown of the median round of json and json_paused
    def median_round(cfg):
        use = agg[cfg]["use"]
        if not use:
            return None
        return sorted(use, key=lambda r: r["rate"])[len(use) // 2]

    js = agg["json"]["use"]
    mid = median_round("json")
    for cfg in ("json", "json_paused", "json_stalled"):
        m = median_round(cfg)
        if not m or not any(c for _, c in m["bpf"].values()):
            continue
        w(f"Per program, {cfg} round {m['round']} (its median rate), over the flood "
          f"({m['rsts']:,} resets):")
        w("")
        w("| program | runs | runs per reset | ns per run | ns per reset |")
        w("|---|---|---|---|---|")
        for name, (rt, cnt) in sorted(m["bpf"].items(), key=lambda kv: -kv[1][0]):
            if cnt == 0:
                continue
            w(f"| {name} | {cnt:,} | {cnt / m['rsts']:.2f} | {rt / cnt:.0f} | "
              f"{rt / m['rsts']:.0f} |")
        w("")

    # ---- bursts
    w("### Bursts")
    w("")
    for name, label in (("burst", "every view on"), ("burst_nowire", "`--disable wire`")):
        burst = bursts.get(name, {})
        bsum = parse_summary(burst.get("summary_json")) if burst.get("ok") else {}
        if not burst.get("ok"):
            w(f"- {name} ({label}): **could not run**: {burst.get('why', 'not run')}")
            continue
        fl = burst["floods"]
        sent = sum(x["sent"] for x in fl)
        secs = sum(x["elapsed_s"] for x in fl)
        lines = burst["lines"]
        w(f"- **{name}** ({label}): `rstwatch --json` (default settings: 8 MiB ring buffer) "
          f"writing to a file on disk while {len(fl)} x `bench/flood -n {E.get('BENCH_BURST')}` "
          f"ran at full speed a second apart: {sent:,} SYNs in {secs:.2f} s of flooding "
          f"({sent / secs:,.0f}/s), {burst['rsts']:,} resets (TcpOutRsts delta)"
          + ("; another reset monitor was loaded meanwhile." if burst.get("foreign") else ".")
          + f" JSON lines {lines:,} ({burst['file_bytes'] / max(lines, 1):.0f} bytes each, "
          f"{1e9 * burst['cpu_s'] / max(lines, 1):,.0f} ns of rstwatch CPU each); "
          f"`closed_port` events from the server namespace {burst['closed_port_lines']:,} of "
          f"{burst['rsts']:,} resets (from other namespaces: "
          f"{burst['closed_port_lines_other_netns']:,}). Exit summary: "
          f"{fmt_int(bsum.get('shown'))} shown, lost (ring buffer full) "
          f"**{bsum.get('lost', 'n/a')}**, malformed {bsum.get('malformed', 'n/a')}; kernel "
          f"closed_port count {fmt_int(bsum.get('closed_port'))}.")
        if bsum.get("closed_port") is not None:
            exact_rows.append((name, 1, bsum["closed_port"], burst["rsts"]))
    w("")
    if exact_rows:
        bad = [x for x in exact_rows if x[2] != x[3]]
        w(f"Counters exact (kernel closed_port count == TcpOutRsts delta): "
          f"{len(exact_rows) - len(bad)} of {len(exact_rows)} runs equal"
          + ("; differences: " + ", ".join(f"{c} r{rd}: {cp - t:+d}" for c, rd, cp, t in bad)
             if bad else "") + ".")
        w("")
        if bad:
            w("The counts are global (all namespaces) while TcpOutRsts is the server "
              "namespace's: a positive difference is closed-port resets of other namespaces on "
              "this shared host during the round; a negative one would be a lost count.")
            w("")
    if pipeline:
        w(f"`bench/pipeline` (synthetic ring-buffer records through decode, attribute, resolve "
          f"and the JSON sink into a file on disk, no BPF): "
          f"{pipeline.get('cpu_ns_per_event')} ns of CPU and "
          f"{pipeline.get('bytes_per_event')} bytes per event over "
          f"{fmt_int(pipeline.get('events'))} events.")
        w("")

    write_traffic(w, tagg)

    # ---- analysis
    w("## Where the overhead comes from")
    w("")
    prof = parse_profile(profile)
    pf = prof.get("flood", {})
    pr = prof.get("rstwatch", {})
    if not pf:
        w("(No profile in this run, see its section below: the profile shares read n/a.)")
        w("")

    def pct(d, sym):
        return f"{d[sym]:.0f}%" if sym in d else "n/a"

    def ratio(cfg):
        x = agg.get(cfg, {}).get("ratio")
        return "n/a" if x is None else f"{x:.3f}"

    def ns(cfg, key="send_reset_ns"):
        x = agg.get(cfg, {}).get(key)
        return "n/a" if x is None else f"{x:,.0f} ns"

    def prog_ns(cfg, name, per="run"):
        """median over the clean rounds of cfg: ns per run, or per reset."""
        xs = []
        for r in agg.get(cfg, {}).get("use", []):
            rt, cnt = r["bpf"].get(name, (0, 0))
            if cnt and r["rsts"]:
                xs.append(rt / cnt if per == "run" else rt / r["rsts"])
        x = med(xs)
        return "n/a" if x is None else f"{x:,.0f} ns"

    base_ns = 1e9 / base if base else None
    w(f"Baseline: one reset (a SYN sent, carried through the server's stack, the RST back, "
      f"dropped by the client) costs about {fmt_f(base_ns, 0) if base_ns else 'n/a'} ns of the "
      f"flood's CPU with no monitor; a monitor that adds 5% must stay under "
      f"{fmt_f(base_ns * 0.05 / 0.95, 0) if base_ns else 'n/a'} ns per reset on that CPU, 2% "
      f"under {fmt_f(base_ns * 0.02 / 0.98, 0) if base_ns else 'n/a'} ns. Ratios to the "
      f"no-monitor rate: json {ratio('json')}, serve {ratio('serve')}; json_nostats "
      f"{ratio('json_nostats')}, json_nowire {ratio('json_nowire')}, json_lean "
      f"{ratio('json_lean')}, json_paused {ratio('json_paused')}, json_stalled "
      f"{ratio('json_stalled')}; bt_count "
      f"{ratio('bt_count')}, bt_print {ratio('bt_print')}, tcpdump {ratio('tcpdump')}.")
    w("")
    w(reflow(f"""Per program, the tables above give each program's runs and ns per reset; the
profile below shows where the flood's CPU goes (inclusive shares). Without a monitor a reset
costs about {fmt_f(base_ns, 0) if base_ns else 'n/a'} ns of the flood's CPU here; a monitor that
leaves 0.97 of the rate may add about {fmt_f(base_ns * 0.03 / 0.97, 0) if base_ns else 'n/a'} ns
per reset on that CPU. The cheapest way to watch resets, bpftrace's counting one-liner (one
tracepoint program, a per-CPU map update, no record), keeps {ratio('bt_count')} and costs
{ns('bt_count_stats', 'bpf_ns_per_reset')} per reset; its printf one-liner (a perf-buffer record
and a wakeup per reset) keeps {ratio('bt_print')}. rstwatch runs
{fmt_f(agg['serve'].get('runs_per_reset'), 1)} programs per reset in serve
({fmt_f(agg['serve_nowire'].get('runs_per_reset'), 1)} with `--disable wire`) and
{fmt_f(agg['json'].get('runs_per_reset'), 1)} with --json; with every optional view off
(json_lean, serve_lean) {fmt_f(agg['serve_lean'].get('runs_per_reset'), 1)}."""))
    w("")
    w("Profile of one `rstwatch --json` flood round (`perf record -a -g`, 2 s, bpf_stats on; "
      "not used for the tables). Inclusive share: the fraction of that thread's samples with "
      "the symbol anywhere on the stack; the flood thread's samples include the softirq and "
      "interrupt work done on its CPU in its context:")
    w("")
    w("```")
    w(profile if profile else "(empty)")
    w("```")
    w("")

    # ---- raw rounds
    w("## Every round")
    w("")
    w("| config | round | SYNs sent | resets (TcpOutRsts) | s | resets/s | monitor CPU s | "
      "send_reset ns | bpf_stats | other monitor seen |")
    w("|---|---|---|---|---|---|---|---|---|---|")
    for r in rounds:
        if r["config"].startswith("t_"):
            continue
        if not r.get("ok"):
            w(f"| {r['config']} | {r.get('round')} | could not run: {r.get('why')} | | | | | | | |")
            continue
        w(f"| {r['config']} | {r['round']} | {r['flood']['sent']:,} | {r['rsts']:,} | "
          f"{r['elapsed']:.2f} | {r['rate']:,.0f} | {r['cpu_s']:.2f} | "
          f"{fmt_f(r.get('send_reset_ns'), 0)} | {r.get('bpf_stats')} | "
          f"{'yes' if r.get('foreign') else 'no'} |")
    w("")
    out[targets_at:targets_at] = targets_table(agg, bursts, tagg, pipeline)
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--profile":
        print(summarize_profile(sys.stdin, sys.argv[2], sys.argv[3]))
    elif len(sys.argv) == 2 and sys.argv[1] == "--sockperf":
        print(json.dumps(parse_sockperf(sys.stdin.read())))
    else:
        main()
