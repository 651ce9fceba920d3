#!/usr/bin/env bash
# The comparison of bench/vs-pytorch.sh timed in CPU seconds of each process
# instead of wall time (bench/cputime.c against the engine library,
# bench/torch_cputime.py around the shared PyTorch model), so that a machine
# shared with other jobs still gives comparable numbers at 1 thread.  At 2
# threads CPU time counts both threads (and a waiting thread's spinning), so
# it shows the cost of threading, not the wall-clock gain.
#
# Usage: bench/vs-pytorch-cputime.sh [--rounds 3] [--threads "1"] [--batch 32 --steps 20 --size 32 --reps 3]
# Environment: BUILD=<build dir with engine/libdvengine.a> (default build).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=3
thread_list="1"
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --threads) thread_list=$2; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
build=${BUILD:-build}
[ -f "$build/engine/libdvengine.a" ] || { echo "no $build/engine/libdvengine.a: build it first" >&2; exit 1; }
bin=$(mktemp /tmp/dv-cputime.XXXXXX)
results=$(mktemp)
trap 'rm -f "$bin" "$results"' EXIT
cc -O2 -o "$bin" bench/cputime.c -Iengine $(pkg-config --cflags glib-2.0 gio-2.0) \
  "$build/engine/libdvengine.a" $(pkg-config --libs glib-2.0 gio-2.0 gmodule-2.0) -lopenblas -lm
echo "# $(uptime)"
for threads in $thread_list; do
  for ((r = 0; r < rounds; r++)); do
    c=$(OPENBLAS_NUM_THREADS=$threads "$bin" --threads "$threads" "${args[@]}")
    t=$(/usr/bin/python3 bench/torch_cputime.py --threads "$threads" "${args[@]}")
    echo "$c"
    echo "$t"
    echo "$c|$t" >> "$results"
  done
done
echo "# $(uptime)"
python3 - "$results" <<'PY'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    c, t = (json.loads(x) for x in line.rstrip("\n").split("|"))
    rows.setdefault(c["threads"], []).append((c, t))
for th, rs in sorted(rows.items()):
    inf = [t["infer_cpu_s"] / c["infer_cpu_s"] for c, t in rs]
    tr = [t["train_cpu_s"] / c["train_cpu_s"] for c, t in rs]
    print(f"threads {th}: inference {statistics.median(inf):.2f}x (best {max(inf):.2f}x), "
          f"training {statistics.median(tr):.2f}x (best {max(tr):.2f}x) PyTorch in CPU seconds over {len(rs)} rounds "
          f"(engine median {statistics.median(c['infer_cpu_s'] for c, _ in rs):.3f} / "
          f"{statistics.median(c['train_cpu_s'] for c, _ in rs):.3f} s, PyTorch "
          f"{statistics.median(t['infer_cpu_s'] for _, t in rs):.3f} / {statistics.median(t['train_cpu_s'] for _, t in rs):.3f} s)")
PY
