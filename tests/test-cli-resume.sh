#!/bin/sh
# test-cli-resume.sh — `dynvision train` killed with SIGKILL in the middle of epoch 2 of 3 and
# continued with --resume ends with the same weights as an uninterrupted run, bit for bit, on
# two kernel threads as the recorded runs use.
# usage: test-cli-resume.sh DYNVISION MODEL.json WORKDIR
# The kill comes 0.3 s after epoch 1's metrics.csv row appears (an epoch here takes 1–3 s; the
# last.safetensors written before epoch 1 is the starting weights, so it marks nothing); the test
# checks that metrics.csv then holds exactly one epoch, i.e. that the kill landed inside epoch 2,
# and that the resume removes the temporary files an interrupted save left.
set -eu
cli=$1 model=$2 w=$3
command -v python3 > /dev/null || { echo "python3 not found: skipped"; exit 77; }
rm -rf "$w"
mkdir -p "$w"
set -- "$model" --train-samples 3000 --epochs 3 --batch 16 --lr 1e-2 --threads 2
"$cli" train "$@" -o "$w/straight" > "$w/straight.log" 2>&1
"$cli" train "$@" -o "$w/killed" > "$w/killed.log" 2>&1 &
pid=$!
while [ ! -f "$w/killed/metrics.csv" ]; do
  kill -0 $pid 2> /dev/null || { echo "training ended before its first checkpoint"; cat "$w/killed.log"; exit 1; }
  sleep 0.02
done
sleep 0.3
kill -9 $pid
wait $pid 2> /dev/null || true
rows=$(($(wc -l < "$w/killed/metrics.csv") - 1))
echo "killed after $rows completed epoch(s)"
[ "$rows" -eq 1 ] || { echo "the kill did not land in epoch 2"; exit 1; }
# what a kill in the middle of a save leaves (the 0.3 s kill rarely lands in one): the resume
# removes the orphaned temporaries of its own patterns, and nothing else
for f in last.safetensors.tmp-Ab12Cd metrics.csv.Qw3Er5 notes.txt.tmp-123456; do
  echo partial > "$w/killed/$f"
  touch -t 202001010000 "$w/killed/$f"
done
"$cli" train "$@" -o "$w/killed" --resume "$w/killed/last.safetensors" > "$w/resumed.log" 2>&1
for f in last.safetensors.tmp-Ab12Cd metrics.csv.Qw3Er5; do
  [ ! -e "$w/killed/$f" ] || { echo "the resume left the orphan $f"; exit 1; }
done
[ -e "$w/killed/notes.txt.tmp-123456" ] || { echo "the resume removed a file that is not its own"; exit 1; }
ls "$w/killed" | grep -E '\.tmp-|metrics\.csv\.' | grep -v notes && { echo "temporary files left after the resume"; exit 1; }
rows=$(($(wc -l < "$w/killed/metrics.csv") - 1))
[ "$rows" -eq 3 ] || { echo "metrics.csv has $rows epochs after resuming, not 3"; exit 1; }
python3 - "$w/straight/last.safetensors" "$w/killed/last.safetensors" <<'PY'
import json, struct, sys
def tensors(path):
    b = open(path, 'rb').read()
    n = struct.unpack('<Q', b[:8])[0]
    h = json.loads(b[8:8 + n])
    return {k: b[8 + n + v['data_offsets'][0]:8 + n + v['data_offsets'][1]]
            for k, v in h.items() if k != '__metadata__'}
a, b = tensors(sys.argv[1]), tensors(sys.argv[2])
differ = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
print(f"{len(a)} tensors (weights and optimiser moments), {len(differ)} differ {differ[:5]}")
sys.exit(1 if differ else 0)
PY
rm -rf "$w"
