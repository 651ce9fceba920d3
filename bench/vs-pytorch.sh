#!/usr/bin/env bash
# Runs the engine's benchmark beside the PyTorch baseline
# (../shared/bench/torch_customrcnn.py, the same computation) on this machine,
# at 1 and 2 threads, alternating the two several times, and prints every JSON
# line, then per thread count the median and best ratios
# (engine / PyTorch samples per second; > 1 means the engine is faster) and
# both peak RSS (PyTorch's from /usr/bin/time).
#
# Usage: bench/vs-pytorch.sh [--rounds 3] [--threads "1 2"] [bench options: --batch 32 --steps 20 --size 32 --reps 3]
# Environment: BUILD=<build dir> (default build; configured release if missing).
# bench/matrix.sh runs the same pairs (bench/pair.sh) over the shapes of issue 15.
#
# Wall-clock numbers need an otherwise idle machine: on a shared one, use
# bench/vs-pytorch-cputime.sh (CPU seconds) as well and read the load average
# this script prints before and after.
set -euo pipefail
source "$(dirname "$0")/pair.sh"
bench_init
rounds=3
thread_list="1 2"
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --threads) thread_list=$2; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
torch_script=../shared/bench/torch_customrcnn.py
[ -f "$torch_script" ] || { echo "missing $torch_script (shared/ beside the project)" >&2; exit 1; }
bench_engine_args=("${args[@]}")
bench_torch_args=("${args[@]}")
echo "# $(uptime)"
results=$(mktemp)
trap 'rm -f "$results"' EXIT
for threads in $thread_list; do
  for ((r = 0; r < rounds; r++)); do
    bench_pair "$threads" "$torch_script"
    echo "$pair_engine"
    echo "$pair_torch"
    echo "$pair_engine|$pair_torch|$pair_torch_rss_kb" >> "$results"
  done
done
echo "# $(uptime)"
python3 - "$results" <<'PY'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    c, t, rss = line.rstrip("\n").split("|")
    c, t = json.loads(c), json.loads(t)
    rows.setdefault(c["threads"], []).append((c, t, float(rss) / 1024))
for th, rs in sorted(rows.items()):
    inf = [c["infer_samples_per_s"] / t["infer_samples_per_s"] for c, t, _ in rs]
    tr = [c["train_samples_per_s"] / t["train_samples_per_s"] for c, t, _ in rs]
    print(f"threads {th}: inference {statistics.median(inf):.2f}x (best {max(inf):.2f}x), "
          f"training {statistics.median(tr):.2f}x (best {max(tr):.2f}x) PyTorch over {len(rs)} rounds; "
          f"peak RSS engine {max(c['peak_rss_mb'] for c, _, _ in rs):.0f} MB, "
          f"PyTorch {max(r for _, _, r in rs):.0f} MB")
PY
