#!/bin/sh
# test-bench-matrix-table.sh — bench/matrix-table.py turns a matrix run's JSON lines into the
# table doc/performance.md describes: per cell the median over rounds of the engine / PyTorch
# ratios, the largest peak RSS of each side, and issue 15's targets (stricter at the benchmark
# shape), with the loaded-machine and smoke-run warnings.  Synthetic lines, no timing.
# usage: test-bench-matrix-table.sh SOURCE_ROOT WORKDIR
set -eu
root=$1 w=$2
command -v python3 > /dev/null || { echo "python3 not found: skipped"; exit 77; }
mkdir -p "$w"
raw=$w/raw.jsonl
e () { echo "{\"impl\": \"dynvision-c\", \"model\": \"$1\", \"threads\": 1, \"batch\": $2, \"T\": 20, \"size\": $3, \"infer_samples_per_s\": $4, \"train_samples_per_s\": $5, \"peak_rss_mb\": $6}"; }
t () { echo "{\"impl\": \"pytorch\", \"threads\": 1, \"batch\": $1, \"T\": 20, \"size\": $2, \"infer_samples_per_s\": $3, \"train_samples_per_s\": $4}"; }
row () { echo "{\"cell\": \"$1\", \"model\": \"$2\", \"round\": $3, \"engine\": $4, \"pytorch\": $5, \"pytorch_peak_rss_kb\": $6}"; }
{
  echo '{"start": "2026-12-07T00:00:00Z", "uptime": " 00:00 up 1 day, load average: 0.10, 0.2, 0.3", "cpu": "test", "commit": "abc", "rounds": 3, "reps": 3}'
  echo '{"fma_peak": {"impl": "fma-peak", "isa": "avx2", "lanes": 8, "threads": 1, "gflops": 100.0}}'
  # the benchmark shape: inference ratios 1.8, 2.2, 2.4 (median 2.2), training 1.6 each; RSS 500 ≤ 600
  row B CustomRCNN 1 "$(e CustomRCNN 32 32 18 16 500)" "$(t 32 32 10 10)" 614400
  row B CustomRCNN 2 "$(e CustomRCNN 32 32 22 16 480)" "$(t 32 32 10 10)" 600000
  row B CustomRCNN 3 "$(e CustomRCNN 32 32 24 16 490)" "$(t 32 32 10 10)" 610000
  # the benchmark shape again (its 2-thread cell): 1.8× / 1.6× meets 1.5 but not the benchmark's 2×
  row B2 CustomRCNN 1 "$(e CustomRCNN 32 32 18 16 500)" "$(t 32 32 10 10)" 614400
  # another shape: 1.6× / 1.4× would meet 1.5 / 1.3 but not the benchmark's 2 / 1.5; RSS max 700 > 600
  row S CustomRCNN 1 "$(e CustomRCNN 1 32 16 14 700)" "$(t 1 32 10 10)" 614400
  row S CustomRCNN 2 "$(e CustomRCNN 1 32 16 14 650)" "$(t 1 32 10 10)" 614400
  # DyRCNNx4: training too slow
  row D DyRCNNx4 1 "$(e DyRCNNx4 8 64 20 12 100)" "$(t 8 64 10 10)" 614400
  echo '{"end": "2026-12-07T00:10:00Z", "uptime": " 00:10 up 1 day, load average: 1.10, 0.2, 0.3"}'
} > "$raw"
out=$(python3 "$root/bench/matrix-table.py" "$raw")
echo "$out"
has () { printf '%s\n' "$out" | grep -qF -- "$1" || { echo "missing: $1"; exit 1; }; }
hasnt () { ! printf '%s\n' "$out" | grep -qF -- "$1" || { echo "unexpected: $1"; exit 1; }; }
has "| B | CustomRCNN | 32 | 32×32 | 20 | 1 | 2.20× | 1.60× | 22.0, 16.0 | 10.0, 10.0 | 500 / 600 | 3 | yes |"
has "| B2 | CustomRCNN | 32 | 32×32 | 20 | 1 | 1.80× | 1.60× | 18.0, 16.0 | 10.0, 10.0 | 500 / 600 | 1 | no: inference |"
has "| S | CustomRCNN | 1 | 32×32 | 20 | 1 | 1.60× | 1.40× | 16.0, 14.0 | 10.0, 10.0 | 700 / 600 | 2 | no: memory |"
has "| D | DyRCNNx4 | 8 | 64×64 | 20 | 1 | 2.00× | 1.20× | 20.0, 12.0 | 10.0, 10.0 | 100 / 600 | 1 | no: training |"
has "avx2 100 GFLOP/s at 1 thread(s)"
hasnt "not idle"
hasnt "smoke run"
# a loaded start and one round: both warnings
sed -i 's/"rounds": 3/"rounds": 1/; s/load average: 0.10/load average: 2.50/' "$raw"
out=$(python3 "$root/bench/matrix-table.py" "$raw")
has "Load average 2.50 at the start: the machine was not idle"
has "a smoke run, not figures to quote"
echo ok
