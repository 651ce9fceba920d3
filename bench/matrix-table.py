#!/usr/bin/env python3
"""matrix-table.py — the Markdown table of a bench/matrix.sh run, from its raw JSON lines.

Per cell: the median over rounds of engine / PyTorch samples per second for
inference and for the training step (> 1: the engine is faster), the medians
of both sides' samples per second, both peak RSS (the largest over rounds;
the engine's from its own getrusage, PyTorch's from /usr/bin/time), and
whether the cell meets issue 15's targets (inference ≥ 1.5×, training ≥ 1.3×,
at the benchmark shape ≥ 2× and ≥ 1.5×; peak RSS at most PyTorch's).  Above
the table: when and where it ran, the load average before and after, and the
FMA peak (bench/fma-peak.c) the figures stand against.

    python3 bench/matrix-table.py RAW.jsonl

Not for: running anything (bench/matrix.sh does), or judging noise: with
fewer than three rounds a ratio is one sample.
"""
import json, statistics, sys

BENCHMARK_SHAPE = ("CustomRCNN", 32, 32, 20)


def targets(model, batch, size, steps):
    return (2.0, 1.5) if (model, batch, size, steps) == BENCHMARK_SHAPE else (1.5, 1.3)


def main(path):
    head, tail, peaks, cells = None, None, [], {}
    for line in open(path):
        d = json.loads(line)
        if "start" in d:
            head = d
        elif "end" in d:
            tail = d
        elif "fma_peak" in d:
            peaks.append(d["fma_peak"])
        elif "cell" in d:
            cells.setdefault(d["cell"], []).append(d)
    if head:
        print(f"Matrix run {head['start']}{' – ' + tail['end'] if tail else ''}, {head['cpu']}, "
              f"commit {head['commit']}, {head['rounds']} round(s) of {head['reps']} repetition(s).  ")
        print(f"Load before: `{head['uptime'].strip()}`" + (f"; after: `{tail['uptime'].strip()}`" if tail else "") + "  ")
    if head and head["rounds"] < 3:
        print("*Fewer than three rounds: a smoke run, not figures to quote.*  ")
    loads = [float(d["uptime"].rsplit("load average:", 1)[1].split(",")[0]) for d in (head, tail) if d]
    if loads and loads[0] > 0.5:
        print(f"*Load average {loads[0]:.2f} at the start: the machine was not idle, these figures are from a "
              "loaded machine.*  ")
    if peaks:
        by_isa = {}
        for p in peaks:
            by_isa.setdefault(p["isa"], []).append(f"{p['gflops']:.0f} GFLOP/s at {p['threads']} thread(s)")
        print("Ceiling (bench/fma-peak, fp32 FMA): "
              + "; ".join(f"{isa} {', '.join(v)}" for isa, v in by_isa.items()) + ".")
    print()
    print("| cell | model | batch | size | T | threads | inference engine / PyTorch | training engine / PyTorch "
          "| engine samples/s (inference, training) | PyTorch samples/s | peak RSS engine / PyTorch (MB) "
          "| rounds | meets issue 15 |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, rs in cells.items():
        e0 = rs[0]["engine"]
        model, batch, size, steps, threads = rs[0]["model"], e0["batch"], e0["size"], e0["T"], e0["threads"]
        inf = statistics.median(r["engine"]["infer_samples_per_s"] / r["pytorch"]["infer_samples_per_s"] for r in rs)
        tr = statistics.median(r["engine"]["train_samples_per_s"] / r["pytorch"]["train_samples_per_s"] for r in rs)
        ei = statistics.median(r["engine"]["infer_samples_per_s"] for r in rs)
        et = statistics.median(r["engine"]["train_samples_per_s"] for r in rs)
        ti = statistics.median(r["pytorch"]["infer_samples_per_s"] for r in rs)
        tt = statistics.median(r["pytorch"]["train_samples_per_s"] for r in rs)
        erss = max(r["engine"]["peak_rss_mb"] for r in rs)
        trss = max(r["pytorch_peak_rss_kb"] for r in rs) / 1024
        want_inf, want_tr = targets(model, batch, size, steps)
        misses = [what for what, ok in (("inference", inf >= want_inf), ("training", tr >= want_tr),
                                        ("memory", erss <= trss)) if not ok]
        meets = "yes" if not misses else "no: " + ", ".join(misses)
        print(f"| {name} | {model} | {batch} | {size}×{size} | {steps} | {threads} | {inf:.2f}× | {tr:.2f}× "
              f"| {ei:.1f}, {et:.1f} | {ti:.1f}, {tt:.1f} | {erss:.0f} / {trss:.0f} | {len(rs)} | {meets} |")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: matrix-table.py RAW.jsonl")
    main(sys.argv[1])
