#!/usr/bin/env bash
# The benchmark matrix of issue 15: the engine (`dynvision bench`) against the same computation
# in PyTorch (../shared/bench/torch_customrcnn.py for the tutorial's CustomRCNN,
# bench/torch_dyrcnnx4.py for DyRCNNx4 at tinyimagenet's 64×64 and 200 classes) at every shape
# of the issue's table, at 1 and 2 threads.  Each round runs every cell once, engine then
# PyTorch (bench/pair.sh, as bench/vs-pytorch.sh), so a machine that slows down part-way slows
# both sides and every cell alike.  It also measures the ceiling, the FMA peak of one and two
# cores (bench/fma-peak.c).
#
# Prints a Markdown table on stdout (bench/matrix-table.py: per cell the median over rounds of
# engine / PyTorch samples per second for inference and training, the peak RSS of both, and
# whether the cell meets issue 15's targets); progress goes to stderr, and every JSON line (the
# load average before and after, the FMA peak, each pair of runs) to the --raw file.
#
# Usage: bench/matrix.sh [--rounds 3] [--reps 3] [--quick] [--cells PATTERN[,PATTERN…]] [--list]
#                        [--raw FILE]
#   --quick   one round of one repetition each, a smoke run (figures not worth quoting)
#   --cells   shell patterns over the cell names (--list prints them), e.g. 'CustomRCNN-b1-*'
#   --raw     where the JSON lines go (default $BUILD/bench-matrix-<UTC time>.jsonl)
# Environment: BUILD=<build dir> (default build; configured release if missing).
#
# Wall-clock figures need an otherwise idle machine; the table's header says the load average.
set -euo pipefail
source "$(dirname "$0")/pair.sh"
bench_init

# model batch size T: the issue's table (threads are crossed with every shape below)
shapes=(
  "CustomRCNN 32 32 20"   # the benchmark shape
  "CustomRCNN 1 32 20"    # the workbench's live view
  "CustomRCNN 8 64 20"
  "CustomRCNN 8 32 100"
  "CustomRCNN 32 64 20"
  "DyRCNNx4 8 64 20"      # tinyimagenet
  "DyRCNNx4 32 64 20"
)
thread_counts="1 2"

rounds=3
reps=3
patterns=""
list=0
raw=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    --quick) rounds=1; reps=1; shift ;;
    --cells) patterns=$2; shift 2 ;;
    --list) list=1; shift ;;
    --raw) raw=$2; shift 2 ;;
    *) echo "bench/matrix.sh: unknown option '$1' (see the comment at the top of the script)" >&2; exit 2 ;;
  esac
done

cells=()
for shape in "${shapes[@]}"; do
  read -r model batch size steps <<< "$shape"
  for threads in $thread_counts; do
    name="$model-b$batch-s$size-T$steps-th$threads"
    keep=0
    if [ -z "$patterns" ]; then
      keep=1
    else
      IFS=',' read -ra pats <<< "$patterns"
      for p in "${pats[@]}"; do
        # shellcheck disable=SC2053  # the pattern is meant to glob
        [[ $name == $p ]] && keep=1
      done
    fi
    [ $keep = 1 ] && cells+=("$name $model $batch $size $steps $threads")
  done
done
if [ $list = 1 ]; then
  for c in "${cells[@]}"; do echo "${c%% *}"; done
  exit 0
fi
[ ${#cells[@]} -gt 0 ] || { echo "bench/matrix.sh: no cell matches '$patterns' (--list prints them)" >&2; exit 2; }

customrcnn_script=../shared/bench/torch_customrcnn.py
[ -f "$customrcnn_script" ] || { echo "missing $customrcnn_script (shared/ beside the project)" >&2; exit 1; }
[ -x "$build/bench/fma-peak" ] || meson compile -C "$build" bench/fma-peak > /dev/null
[ -n "$raw" ] || raw="$build/bench-matrix-$(date -u +%Y%m%dT%H%MZ).jsonl"
: > "$raw"

json_str () { python3 -c 'import json, sys; print(json.dumps(sys.argv[1]))' "$1"; }
{
  echo "{\"start\": $(json_str "$(date -u +%FT%TZ)"), \"uptime\": $(json_str "$(uptime)"),"\
       "\"cpu\": $(json_str "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"),"\
       "\"commit\": $(json_str "$(git rev-parse --short HEAD 2> /dev/null || echo unknown)"),"\
       "\"rounds\": $rounds, \"reps\": $reps}"
} >> "$raw"
echo "fma-peak …" >&2
"$build/bench/fma-peak" --seconds "$([ "$reps" = 1 ] && echo 0.05 || echo 0.25)" | sed 's/^/{"fma_peak": /; s/$/}/' >> "$raw"

for ((r = 0; r < rounds; r++)); do
  for c in "${cells[@]}"; do
    read -r name model batch size steps threads <<< "$c"
    echo "round $((r + 1))/$rounds: $name" >&2
    bench_engine_args=(--model "$model" --batch "$batch" --size "$size" --steps "$steps" --reps "$reps")
    bench_torch_args=(--batch "$batch" --size "$size" --steps "$steps" --reps "$reps")
    case $model in
      CustomRCNN) script=$customrcnn_script ;;
      DyRCNNx4) script=bench/torch_dyrcnnx4.py
                bench_engine_args+=(n_classes=200)
                bench_torch_args+=(--classes 200) ;;
    esac
    bench_pair "$threads" "$script"
    echo "{\"cell\": \"$name\", \"model\": \"$model\", \"round\": $((r + 1)), \"engine\": $pair_engine,"\
         "\"pytorch\": $pair_torch, \"pytorch_peak_rss_kb\": $pair_torch_rss_kb}" >> "$raw"
  done
done
echo "{\"end\": $(json_str "$(date -u +%FT%TZ)"), \"uptime\": $(json_str "$(uptime)")}" >> "$raw"
echo "raw JSON lines: $raw" >&2
python3 bench/matrix-table.py "$raw"
