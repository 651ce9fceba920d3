#!/bin/sh
# test-cli-bench.sh — `dynvision bench` times the preset it is asked for: --model names it (the
# tutorial's CustomRCNN by default), key=value words set its kwargs, and its JSON line says which
# model and how many classes it ran; input dimensions come only from --steps/--size.
# usage: test-cli-bench.sh DYNVISION
# Speed is not checked here (doc/performance.md, bench/matrix.sh): only what was run.
set -eu
cli=$1
command -v python3 > /dev/null || { echo "python3 not found: skipped"; exit 77; }
field () { python3 -c 'import json, sys; d = json.loads(sys.argv[1]); print(d[sys.argv[2]])' "$1" "$2"; }
expect () { [ "$(field "$1" "$2")" = "$3" ] || { echo "bench $2: got $(field "$1" "$2"), want $3 in $1"; exit 1; }; }

out=$("$cli" bench --batch 2 --steps 2 --size 16 --reps 1)
expect "$out" model CustomRCNN
expect "$out" n_classes 10
expect "$out" size 16

out=$("$cli" bench --model DyRCNNx4 n_classes=200 --batch 3 --steps 4 --size 16 --reps 1)
expect "$out" model DyRCNNx4
expect "$out" n_classes 200
expect "$out" batch 3
expect "$out" T 4
python3 -c 'import json, sys; d = json.loads(sys.argv[1]); sys.exit(not (d["infer_samples_per_s"] > 0 and d["train_samples_per_s"] > 0 and d["peak_rss_mb"] > 0))' "$out" \
  || { echo "bench gave no positive rates: $out"; exit 1; }

out=$("$cli" bench --model CustomRCNN n_classes=7 --batch 1 --steps 1 --size 16 --reps 1)
expect "$out" n_classes 7

refuses () {
  want=$1; shift
  if err=$("$cli" bench "$@" 2>&1); then echo "bench $* succeeded: $err"; exit 1; fi
  case "$err" in *"$want"*) ;; *) echo "bench $*: want '$want' in: $err"; exit 1 ;; esac
}
refuses "no preset model named 'NoSuchNet'" --model NoSuchNet
refuses "the input's size and length are --size and --steps" --size 16 'input_dims=[2,3,16,16]'
refuses "is not of the form key=value" --size 16 notakwarg
refuses "bptt-checkpoint" --bptt-checkpoint -1 --size 16
# recomputation is what ran, and says so
out=$("$cli" bench --batch 1 --steps 4 --size 16 --reps 1 --bptt-checkpoint 2)
expect "$out" bptt_checkpoint 2
echo ok
