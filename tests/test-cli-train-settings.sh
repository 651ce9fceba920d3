#!/bin/sh
# test-cli-train-settings.sh — `dynvision train`'s options are the training settings of
# train/dv-train-settings.c: refused values exit 2 with the settings' message (the same one
# the workbench's panel shows; test-train-settings.c compares every key), the flags and short
# options still work, and the defaults reach the trainer (DynVision's base rate 2e-4, scaled
# by batch 32 / 64, is the logged learning rate of a one-epoch run).
# usage: test-cli-train-settings.sh DYNVISION MODEL.json WORKDIR
set -u
cli=$1 model=$2 w=$3
rm -rf "$w"
mkdir -p "$w"
fail=0
expect () { # STATUS TEXT CMD… — runs CMD, checks its exit status and that stderr has TEXT
  want=$1 text=$2
  shift 2
  "$@" > "$w/out" 2> "$w/err"
  got=$?
  if [ "$got" -ne "$want" ] || ! grep -q -F -- "$text" "$w/err"; then
    echo "FAIL: $* -> exit $got (want $want), stderr:"
    cat "$w/err"
    echo "  (expected: $text)"
    fail=1
  else
    echo "ok: $* -> $got"
  fi
}
expect 2 "dynvision train: epochs=0: give a whole number from 1 to 100000" "$cli" train "$model" --epochs 0
expect 2 "dynvision train: epochs=x: not a whole number; give a whole number from 1 to 100000" "$cli" train "$model" -e x
expect 2 "dynvision train: lr=abc: not a number; give a number > 0 and ≤ 10" "$cli" train "$model" --lr abc
expect 2 "dynvision train: lr=0: give a number > 0 and ≤ 10" "$cli" train "$model" --lr=0
expect 2 "dynvision train: optimizer=rmsprop: use one of sgd, adam or adamw" "$cli" train "$model" --optimizer rmsprop
expect 2 "dynvision train: val-fraction=1: give a number ≥ 0 and < 1" "$cli" train "$model" --val-fraction 1
expect 2 "dynvision train: divergence-factor=0.5: give 0 (off) or a finite factor above 1 (default 1000)" \
  "$cli" train "$model" --divergence-factor 0.5
expect 2 "dynvision train: data=: name a data set: embedded, fashion-mnist, mnist, cifar10, folder:DIR, …" \
  "$cli" train "$model" -d ""
# the defaults, with the flags and short options of before
expect 0 "epoch 1: lr 0.0001  train loss" \
  "$cli" train "$model" -e 1 -b 32 --train-samples 64 --no-augment --threads 1 -o "$w/run"
grep -q "settings: epochs=1 augment=false train-samples=64 threads=1$" "$w/err" \
  || { echo "FAIL: the run does not name the settings that differ from the defaults:"; cat "$w/err"; fail=1; }
[ -s "$w/run/metrics.csv" ] || { echo "FAIL: no metrics.csv"; fail=1; }
# --test-samples: the final evaluation over the first N of the test split, or none
expect 2 "dynvision train: --test-samples -3: give a whole number from 0 to" "$cli" train "$model" --test-samples -3
expect 0 "; 24 samples; training took" \
  "$cli" train "$model" -e 1 --train-samples 32 --test-samples 24 --threads 1 -o "$w/run2"
grep -q "24 samples" "$w/run2/test.txt" || { echo "FAIL: test.txt does not say 24 samples"; fail=1; }
expect 0 "no test evaluation (--test-samples 0)" \
  "$cli" train "$model" -e 1 --train-samples 32 --test-samples 0 --threads 1 -o "$w/run3"
if grep -q "^test:" "$w/err" || [ -e "$w/run3/test.txt" ]; then
  echo "FAIL: --test-samples 0 still evaluated the test split"; fail=1
fi
exit $fail
