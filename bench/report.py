#!/usr/bin/env python3
"""bench/report.py ROUNDS.jsonl BURST.json PROFILE.txt [ENV.json]: results.md on stdout.
bench/report.py --profile FLOOD_TID RSTWATCH_TID < `perf script -F comm,tid,ip,sym`:
    the profile summary (PROFILE.txt).

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
    "json": "`rstwatch -v --json > /dev/null`",
    "serve": "`rstwatch serve -v --listen 127.0.0.1:9864` (counters only)",
    "bt_count": "bpftrace: `@[args->reason] = count()` on tcp_send_reset",
    "bt_print": "bpftrace: `printf` of each tcp_send_reset (to a file)",
    "tcpdump": "`tcpdump -w FILE 'tcp[tcpflags] & tcp-rst != 0'` in the server namespace",
    "json_nostats": "`rstwatch --json`, kernel.bpf_stats_enabled off",
    "json_nowire": "`rstwatch --json --disable wire`",
    "json_lean": "`rstwatch --json --disable wire,drops,receive,owner-io`",
    "json_paused": "`rstwatch --json --ringbuf-size 1G`, stopped (SIGSTOP) during the flood",
    "json_stalled": "`rstwatch --json --ringbuf-size 64M`, stopped (SIGSTOP) during the flood",
    "json_native": "`rstwatch --json --xdp-mode native`",
    "serve_nostats": "`rstwatch serve` (counters only), kernel.bpf_stats_enabled off: as operators run it",
    "serve_lean": "`rstwatch serve --disable wire,drops,receive,owner-io` (counters only, one program)",
}
MAIN = ["none", "json", "serve", "bt_count", "bt_print", "tcpdump"]
DIAG = ["json_nostats", "json_nowire", "json_lean", "json_paused", "json_stalled",
        "json_native", "serve_nostats", "serve_lean"]
RSTWATCH = {"json", "serve", "json_nostats", "json_nowire", "json_lean", "json_paused",
            "json_stalled", "json_native", "serve_nostats", "serve_lean"}

TARGET_STREAM = 0.95
TARGET_COUNTERS = 0.98
TARGET_BPF_NS = 150.0


def load_rounds(path):
    recs = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                recs.append(json.loads(line))
    return recs


def bpf_delta(rec):
    """name -> (delta run_time_ns, delta run_cnt) over the flood."""
    before = {p["id"]: p for p in rec.get("bpf0") or []}
    out = {}
    for p in rec.get("bpf1") or []:
        b = before.get(p["id"])
        if not b:
            continue
        rt = p["run_time_ns"] - b["run_time_ns"]
        cnt = p["run_cnt"] - b["run_cnt"]
        t = out.setdefault(p["name"], [0, 0])
        t[0] += rt
        t[1] += cnt
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
    fl = rec["flood"]
    rec["elapsed"] = fl["elapsed_s"]
    rec["rate"] = rec["rsts"] / fl["elapsed_s"] if fl["elapsed_s"] > 0 else 0.0
    rec["cpu_pct"] = 100.0 * rec["cpu_s"] / fl["elapsed_s"] if fl["elapsed_s"] > 0 else 0.0
    d = bpf_delta(rec)
    rec["bpf"] = d
    if "send_reset" in d and d["send_reset"][1] > 0:
        rec["send_reset_ns"] = d["send_reset"][0] / d["send_reset"][1]
        rec["send_reset_runs"] = d["send_reset"][1]
    inpath = {k: v for k, v in d.items() if k != "flush_pending"}
    if rec["config"] in RSTWATCH and rec["rsts"] > 0 and any(v[1] for v in inpath.values()):
        rec["bpf_ns_per_reset"] = sum(v[0] for v in inpath.values()) / rec["rsts"]
        rec["runs_per_reset"] = sum(v[1] for v in inpath.values()) / rec["rsts"]
    cfg = rec["config"]
    if cfg in RSTWATCH and not cfg.startswith("serve"):
        rec["summary"] = parse_summary(rec.get("summary_json"))
    elif cfg.startswith("serve"):
        rec["summary"] = parse_metrics(rec.get("metrics", ""))
    elif cfg == "bt_count":
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


def main():
    global E
    if len(sys.argv) > 4:
        with open(sys.argv[4]) as f:
            E = {k: str(v) for k, v in json.load(f).items()}
    rounds = [enrich(r) for r in load_rounds(sys.argv[1])]
    with open(sys.argv[2]) as f:
        burst = json.load(f)
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
        agg[cfg] = a
    base = agg["none"].get("rate")
    for cfg, a in agg.items():
        if a.get("rate") is not None and base:
            a["ratio"] = a["rate"] / base

    out = []
    w = out.append
    w("# rstwatch overhead under a TCP reset flood")
    w("")
    w("Generated by `make bench` (bench/run.sh); overwritten on every run. Numbers below "
      "are this run's only.")
    w("")
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
    for cfg in ["json", "serve"] + DIAG:
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

    # ---- burst
    w("### Burst")
    w("")
    bsum = parse_summary(burst.get("summary_json")) if burst.get("ok") else {}
    if burst.get("ok"):
        fl = burst["flood"]
        w(f"`rstwatch --json` (default settings: 8 MiB ring buffer) writing to a file while "
          f"`bench/flood -n {E.get('BENCH_BURST')}` ran at full speed: {fl['sent']:,} SYNs in "
          f"{fl['elapsed_s']:.2f} s ({fl['sent'] / fl['elapsed_s']:,.0f}/s), "
          f"{burst['rsts']:,} resets (TcpOutRsts delta)"
          + ("; another reset monitor was loaded meanwhile." if burst.get("foreign") else "."))
        w("")
        w(f"- JSON lines: {burst['lines']:,}; `closed_port` events from the server namespace: "
          f"{burst['closed_port_lines']:,} of {burst['rsts']:,} resets; `closed_port` events "
          f"from other namespaces: {burst['closed_port_lines_other_netns']:,}")
        w(f"- Exit summary: {fmt_int(bsum.get('shown'))} events shown, lost (ring buffer full): "
          f"**{bsum.get('lost', 'n/a')}**, malformed: {bsum.get('malformed', 'n/a')}; kernel "
          f"closed_port count {fmt_int(bsum.get('closed_port'))} vs TcpOutRsts delta "
          f"{burst['rsts']:,}")
        if bsum.get("closed_port") is not None:
            exact_rows.append(("burst", 1, bsum["closed_port"], burst["rsts"]))
    else:
        w(f"**Could not run**: {burst.get('why')}")
    w("")

    # ---- targets
    w("## Targets")
    w("")
    w("| target | measured | verdict |")
    w("|---|---|---|")

    def verdict(ok, miss):
        return "met" if ok else f"**missed** {miss}"

    rj = agg["json"].get("ratio")
    if rj is not None:
        w(f"| streaming (`--json`) >= {TARGET_STREAM} of the no-monitor rate | {rj:.3f} | "
          f"{verdict(rj >= TARGET_STREAM, f'by {TARGET_STREAM - rj:.3f} ({100 * (1 - rj / TARGET_STREAM):.0f}% below the target)')} |")
    else:
        w(f"| streaming >= {TARGET_STREAM} | not measured | - |")
    rs = agg["serve"].get("ratio")
    if rs is not None:
        w(f"| counters only (`serve`) >= {TARGET_COUNTERS} | {rs:.3f} | "
          f"{verdict(rs >= TARGET_COUNTERS, f'by {TARGET_COUNTERS - rs:.3f} ({100 * (1 - rs / TARGET_COUNTERS):.0f}% below the target)')} |")
    else:
        w(f"| counters only >= {TARGET_COUNTERS} | not measured | - |")
    rn = agg.get("serve_nostats", {}).get("ratio")
    if rn is not None:
        w(f"| counters only, as run (`serve`, bpf_stats off) >= {TARGET_COUNTERS} | {rn:.3f} | "
          f"{verdict(rn >= TARGET_COUNTERS, f'by {TARGET_COUNTERS - rn:.3f} ({100 * (1 - rn / TARGET_COUNTERS):.0f}% below the target)')} |")
    if bsum.get("lost") is not None:
        w(f"| zero lost events, {E.get('BENCH_BURST')}-reset burst, default settings | "
          f"{bsum['lost']:,} lost | {verdict(bsum['lost'] == 0, 'by {:,} events'.format(bsum['lost']))} |")
    else:
        w("| zero lost events in the burst | not measured | - |")
    if exact_rows:
        bad = [x for x in exact_rows if x[2] != x[3]]
        meas = (f"{len(exact_rows) - len(bad)} of {len(exact_rows)} runs equal"
                + ("; differences: " + ", ".join(f"{c} r{rd}: {cp - t:+d}" for c, rd, cp, t in bad)
                   if bad else ""))
        w(f"| counters exact at any rate (kernel closed_port count == TcpOutRsts delta) | "
          f"{meas} | {verdict(not bad, '(see below)')} |")
    srn = agg["json"].get("send_reset_ns")
    if srn is not None:
        w(f"| per-event BPF cost <= {TARGET_BPF_NS:.0f} ns (send_reset, bpf_stats) | "
          f"{srn:.0f} ns | {verdict(srn <= TARGET_BPF_NS, f'by {srn - TARGET_BPF_NS:.0f} ns ({srn / TARGET_BPF_NS:.1f}x the target)')} |")
    w("")
    if exact_rows and any(x[2] != x[3] for x in exact_rows):
        w("The counts are global (all namespaces) while TcpOutRsts is the server namespace's: "
          "a positive difference is closed-port resets of other namespaces on this shared host "
          "during the round (the burst line above counts such events from other namespaces "
          "directly); a negative one would be a lost count.")
        w("")

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
    sp = agg.get("json_paused", {}).get("send_reset_ns")
    ss = agg.get("json_stalled", {}).get("send_reset_ns")
    if sp and ss:
        stall_note = (f"The stalled reader makes send_reset {ss / sp:.1f}x as expensive."
                      if ss > 1.2 * sp else
                      "This run does not show a clear difference between the two.")
    else:
        stall_note = ""
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
    w(reflow(f"""In order of weight (code references are to the revision above):

1. **The BPF programs themselves, {ns('json', 'bpf_ns_per_reset')} per reset** (json, bpf_stats;
   {fmt_f(agg['json'].get('runs_per_reset'), 0)} program runs per reset), against the budget
   above. Per reset: `send_reset` {prog_ns('json', 'send_reset', 'reset')}, `skb_dropped`
   {prog_ns('json', 'skb_dropped', 'reset')} (three kfree_skb per reset: the server's SYN and
   the client's RST, both NO_SOCKET, and the copy the flood's raw socket filters out),
   `xdp_rst_in` {prog_ns('json', 'xdp_rst_in', 'reset')} and `tc_rst_out`
   {prog_ns('json', 'tc_rst_out', 'reset')} (each runs on both veth ends), `track_send`
   {prog_ns('json', 'track_send', 'reset')} (`sock_send_length` fires for every message the
   flood sends and returns at once: not TCP). `handle_send()` in `bpf/resets.bpf.c` does for
   every reset: a 168-byte memset of the scratch event, pid/tgid, cgroup id and
   `bpf_get_current_comm`, the syscall probe (`context_facts`), one `bpf_probe_read_kernel`
   for the IP header and one for the TCP header (`tuple_from_skb`; the skb's fields are read
   directly through its BTF pointer), an LRU lookup of the last listener, two per-CPU hash
   updates (`count_key`, `count_service` with a 16-byte key), the stack-RST mark for the TC
   program, a ring-buffer reserve, a 168-byte copy, a `bpf_ringbuf_query` and a submit. The
   cheapest rstwatch program, `track_send`, which reads
   two socket fields and returns, measures {prog_ns('json', 'track_send')} per run: the floor
   of what bpf_stats reports on this machine.
2. **Two records per reset in this scenario.** The RST that returns to the client finds no
   socket there; `skb_dropped` records it (`rst_no_socket`) with its own counts and ring-buffer
   record, so the ring carries two records per reset and the reader formats two JSON lines.
   The flag check before `event_begin()` keeps the SYN's and the raw-socket copy's kfree_skb
   cheap.
3. **Wakeups.** `emit_kind()` submits with `BPF_RB_NO_WAKEUP`; only the record that takes
   the ring past a quarter full (`wakeup_bytes`) forces a wakeup, so a reader that stalls or
   falls behind gets one wakeup, not one per event. With the reader stopped and a ring too
   large to reach the mark (json_paused, 1 GiB) `send_reset` takes {ns('json_paused')} per
   run and `skb_dropped` {prog_ns('json_paused', 'skb_dropped')}; stopped with a 64 MiB ring
   (json_stalled) {ns('json_stalled')} and {prog_ns('json_stalled', 'skb_dropped')}; the flood
   keeps {ratio('json_paused')} and {ratio('json_stalled')} of its rate. {stall_note}
   Streaming (json): {ns('json')} per `send_reset` run; in the profile
   {pct(pf, 'bpf_ringbuf_submit')} of the flood thread's samples are inside
   `bpf_ringbuf_submit`, {pct(pf, 'irq_work_queue')} in `irq_work_queue`.
4. **XDP on veth.** XDP runs in generic mode unless `--xdp-mode native`. Native XDP moves the
   veth receive path to NAPI with a page-pool copy of every skb, RST or not: json_native
   {ratio('json_native')} vs json {ratio('json')} (generic; in the profiled generic round
   {pct(pf, 'veth_xdp_rcv')} of the flood thread's samples are under `veth_xdp_rcv`).
   json_nowire {ratio('json_nowire')} shows the wire view's whole cost.
5. **bpf_stats.** With `kernel.bpf_stats_enabled=1` every BPF program run on the host reads
   the clock twice: json_nostats {ratio('json_nostats')} vs json {ratio('json')}, serve_nostats
   {ratio('serve_nostats')} vs serve {ratio('serve')}. `rstwatch serve` turns it on only with
   `--bpf-stats`.
6. **serve counts only.** Without `--log`, `sample_events` (.rodata) is false: the kernel side
   counts and returns before the ring buffer, and skips the clock and `comm` reads that only
   samples need. What remains is the programs' fact gathering (the packet headers still need
   `bpf_probe_read_kernel`: {pct(pf, 'copy_from_kernel_nofault')} of the flood thread in
   `copy_from_kernel_nofault`), the counter updates, and the wire and drop programs.
   serve_lean (`--disable wire,drops,receive,owner-io`: one program per reset) keeps
   {ratio('serve_lean')}.
7. **User space** runs on the other CPU: rstwatch used {fmt_f(agg['json'].get('cpu_pct'), 0)}%
   of a CPU for --json and {fmt_f(agg['serve'].get('cpu_pct'), 0)}% for serve during the
   flood. JSON formatting and escaping (`json_escape`, stdio) and one `fflush()` (a
   `write(2)`) per event dominate it (profile: {pct(pr, 'user space (leaf frame outside the kernel)')}
   of its samples in user space, {pct(pr, 'write(2)')} in `write(2)`).

Why the targets are out of reach with every view on, on this machine: a reset costs about
{fmt_f(base_ns, 0) if base_ns else 'n/a'} ns here, so 0.98 leaves
{fmt_f(base_ns * 0.02 / 0.98, 0) if base_ns else 'n/a'} ns per reset for all programs
together, and 0.95 leaves {fmt_f(base_ns * 0.05 / 0.95, 0) if base_ns else 'n/a'} ns. The
floor of one BPF program run that returns at once is {prog_ns('json', 'track_send')} here, and
a flood reset runs {fmt_f(agg['json'].get('runs_per_reset'), 0)} programs: the tracepoint,
three kfree_skb, XDP and TC on both veth ends, send/recv tracking. The views that need them
(refused RSTs, accept-queue drops, firewall REJECTs, TIME_WAIT assassination, owners of
accepted sockets) are what the operator asked for; `--disable` turns off the ones a host does
not need, and with all of them off (json_lean, serve_lean) one program runs per reset.

For comparison, bpftrace's counting one-liner (one tracepoint program, a per-CPU map update,
no record) keeps {ratio('bt_count')}; its printf one-liner (a perf-buffer record and a wakeup
per reset) keeps {ratio('bt_print')}. On bare metal, where reading the clock and raising
interrupts do not go through a hypervisor, the ratios would likely be closer to 1, but the
work per reset is the same."""))
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
        if not r.get("ok"):
            w(f"| {r['config']} | {r.get('round')} | could not run: {r.get('why')} | | | | | | | |")
            continue
        w(f"| {r['config']} | {r['round']} | {r['flood']['sent']:,} | {r['rsts']:,} | "
          f"{r['elapsed']:.2f} | {r['rate']:,.0f} | {r['cpu_s']:.2f} | "
          f"{fmt_f(r.get('send_reset_ns'), 0)} | {r.get('bpf_stats')} | "
          f"{'yes' if r.get('foreign') else 'no'} |")
    w("")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--profile":
        print(summarize_profile(sys.stdin, sys.argv[2], sys.argv[3]))
    else:
        main()
