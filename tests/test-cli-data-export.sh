#!/bin/sh
# test-cli-data-export.sh — `dynvision data export` writes what `dynvision run` reads: samples of a
# data set under a presentation as x [B,T,C,H,W] (float32) and labels [B,T] (int64, −1 = no
# label), with the data set, split, indices, presentation and seed in the metadata.  Checked by
# reading the file back (blank frames are the blank value, stimulus frames repeat, labels only
# where the stimulus is), by the class `data show` names for each index, and by running the
# trained default on it: it names each sample's class at the end of the stimulus.
# usage: test-cli-data-export.sh DYNVISION TRAINED.safetensors WORKDIR
set -u
cli=$1 trained=$2 w=$3
rm -rf "$w"
mkdir -p "$w"
umask 022
fail=0
say_fail () { echo "FAIL: $*"; fail=1; }

if "$cli" data export --index 3 --count 4 --intro 2 --stim 6 --steps 10 -o "$w/x.safetensors" >"$w/out" 2>"$w/err" \
   && grep -q "wrote $w/x.safetensors: x \[4, 10, 3, 32, 32\]" "$w/out"; then
  echo "ok: data export wrote and named x.safetensors"
else
  say_fail "data export"; cat "$w/out" "$w/err"
fi
# the usual mode: 0666 less the umask, as every file the programs write
mode=$(stat -c %a "$w/x.safetensors" 2>/dev/null)
[ "$mode" = 644 ] || say_fail "x.safetensors has mode $mode, not 644 under umask 022"
classes=""
for i in 3 4 5 6; do
  c=$("$cli" data show --index $i -o "$w/s$i.png" | sed -n 's/.* class \([0-9]*\) .*/\1/p' | head -1)
  classes="$classes $c"
done
"$cli" run -c "$trained" -i "$w/x.safetensors" -o "$w/y.safetensors" >"$w/run.out" 2>&1 \
  || { say_fail "dynvision run on the exported input"; cat "$w/run.out"; }

python3 - "$w/x.safetensors" "$w/y.safetensors" $classes <<'PY' || fail=1
import array, json, struct, sys

def read(path):
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    head = json.loads(b[8:8 + n])
    out = {}
    for k, v in head.items():
        if k == "__metadata__":
            continue
        lo, hi = v["data_offsets"]
        a = array.array({"F32": "f", "I64": "q"}[v["dtype"]])
        a.frombytes(b[8 + n + lo:8 + n + hi])
        out[k] = (v["dtype"], v["shape"], a)
    return head.get("__metadata__", {}), out

bad = []
meta, t = read(sys.argv[1])
classes = [int(c) for c in sys.argv[3:]]
want = {"dynvision.data": "embedded", "dynvision.split": "test", "dynvision.indices": "3-6", "dynvision.seed": "42"}
for k, v in want.items():
    if meta.get(k) != v:
        bad.append(f"metadata {k} = {meta.get(k)!r}, want {v!r}")
if "intro_duration=2" not in meta.get("dynvision.presentation", ""):
    bad.append("the presentation is not in the metadata")
dx, sx, x = t["x"]
dl, sl, lab = t["labels"]
if (dx, sx, dl, sl) != ("F32", [4, 10, 3, 32, 32], "I64", [4, 10]):
    bad.append(f"x {dx} {sx}, labels {dl} {sl}")
frame = 3 * 32 * 32
for b in range(4):
    for s in range(10):
        f = x[(b * 10 + s) * frame:(b * 10 + s + 1) * frame]
        stim = 2 <= s < 8
        want_l = classes[b] if stim else -1
        if lab[b * 10 + s] != want_l:
            bad.append(f"labels[{b},{s}] = {lab[b * 10 + s]}, want {want_l}")
        if not stim and any(v != 0 for v in f):
            bad.append(f"x[{b},{s}] is a blank step but not blank")
        if stim and (max(f) - min(f) < 0.1 or f != x[(b * 10 + 2) * frame:(b * 10 + 3) * frame]):
            bad.append(f"x[{b},{s}] is not the sample's image")
_, y = read(sys.argv[2])
_, sy, logits = y["logits"]
for b in range(4):
    row = logits[(b * 10 + 7) * sy[2]:(b * 10 + 8) * sy[2]]
    if row.index(max(row)) != classes[b]:
        bad.append(f"the trained default reads sample {b} as class {row.index(max(row))}, not {classes[b]}")
for m in bad:
    print("FAIL:", m)
print("ok: the exported tensors, their metadata and the trained model's reading of them" if not bad else "")
sys.exit(1 if bad else 0)
PY

expect2 () { # TEXT CMD… — exit 2 with TEXT on stderr, no file written
  text=$1
  shift
  rm -f "$w/bad.safetensors"
  "$@" >"$w/out" 2>"$w/err"
  rc=$?
  if [ $rc -ne 2 ] || ! grep -q -F -- "$text" "$w/err" || [ -e "$w/bad.safetensors" ]; then
    say_fail "$* -> exit $rc"; cat "$w/err"
  else
    echo "ok: $* -> 2"
  fi
}
expect2 "give the file to write with -o X.safetensors" "$cli" data export --index 0
expect2 "runs past the last sample" "$cli" data export --index 1999 --count 5 -o "$w/bad.safetensors"
expect2 "bad --split" "$cli" data export --split validation -o "$w/bad.safetensors"
expect2 "--count" "$cli" data export --count 0 -o "$w/bad.safetensors"
exit $fail
