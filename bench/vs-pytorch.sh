#!/usr/bin/env bash
# Runs the engine's benchmark beside the PyTorch baseline
# (../shared/bench/torch_customrcnn.py, the same computation) on this machine,
# at 1 and 2 threads, and prints both JSON lines and the ratios
# (engine / PyTorch; > 1 means the engine is faster).
# Usage: bench/vs-pytorch.sh [--batch 32] [--steps 20] [--size 32] [--reps 3]
set -euo pipefail
cd "$(dirname "$0")/.."
args=("$@")
torch_script=../shared/bench/torch_customrcnn.py
[ -f "$torch_script" ] || { echo "missing $torch_script (shared/ beside the project)" >&2; exit 1; }
[ -x build/app/dynvision ] || { meson setup build --buildtype=release >/dev/null && meson compile -C build >/dev/null; }
for threads in 1 2; do
  c=$(OPENBLAS_NUM_THREADS=$threads build/app/dynvision bench --threads "$threads" "${args[@]}")
  t=$(/usr/bin/python3 "$torch_script" --threads "$threads" "${args[@]}")
  echo "$c"
  echo "$t"
  python3 - "$c" "$t" <<'PY'
import json, sys
c, t = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"threads {c['threads']}: inference {c['infer_samples_per_s'] / t['infer_samples_per_s']:.2f}x, "
      f"training {c['train_samples_per_s'] / t['train_samples_per_s']:.2f}x PyTorch "
      f"(engine peak RSS {c['peak_rss_mb']:.0f} MB)")
PY
done
