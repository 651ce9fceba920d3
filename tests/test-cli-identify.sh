#!/bin/sh
# test-cli-identify.sh — every command that takes a checkpoint takes one without our metadata:
# identified from DynVision's path convention, or refused (exit 1) naming the fix
# (`--model PRESET n_classes=N`, the matching presets); --model misuse is a usage error (exit 2);
# `dynvision convert` keeps the tensors bit for bit and regenerates the metadata.
# usage: test-cli-identify.sh DYNVISION WORKDIR
set -u
cli=$1 w=$2
command -v python3 > /dev/null || { echo "python3 not found: skipped"; exit 77; }
rm -rf "$w"
mkdir -p "$w"
fail=0
expect () { # STATUS PATTERN CMD… — runs CMD, checks its exit status and that stderr matches PATTERN
  want=$1 pat=$2
  shift 2
  "$@" > "$w/out" 2> "$w/err"
  got=$?
  if [ "$got" -ne "$want" ] || ! grep -q -- "$pat" "$w/err"; then
    echo "FAIL: $* -> exit $got (want $want), stderr:"
    cat "$w/err"
    echo "  (expected to match: $pat)"
    fail=1
  else
    echo "ok: $* -> $got"
  fi
}
strip () { # IN OUT: the same tensors without __metadata__ (what PyTorch's safetensors writer leaves)
  python3 - "$1" "$2" << 'PY'
import json, struct, sys
b = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', b[:8])[0]
h = json.loads(b[8:8 + n])
h.pop('__metadata__', None)
hb = json.dumps(h).encode()
hb += b' ' * ((8 - (8 + len(hb)) % 8) % 8)
open(sys.argv[2], 'wb').write(struct.pack('<Q', len(hb)) + hb + b[8 + n:])
PY
}
same_tensors () { # A B: same names, dtypes, shapes and bytes
  python3 - "$1" "$2" << 'PY'
import json, struct, sys
def read(p):
    b = open(p, 'rb').read(); n = struct.unpack('<Q', b[:8])[0]; h = json.loads(b[8:8 + n]); h.pop('__metadata__', None)
    return {k: (v['dtype'], v['shape'], b[8 + n + v['data_offsets'][0]:8 + n + v['data_offsets'][1]]) for k, v in h.items()}
a, b = read(sys.argv[1]), read(sys.argv[2])
sys.exit(0 if a == b else 1)
PY
}

"$cli" init DyRCNNx2 n_classes=100 'input_dims=[1,3,32,32]' tsteps=20 rctype=full -o "$w/full.safetensors" 2> /dev/null || { echo "init failed"; exit 1; }
strip "$w/full.safetensors" "$w/bare.safetensors"
dv="$w/models/DyRCNNx2/DyRCNNx2:tsteps=20+rctype=full_42/cifar100"
mkdir -p "$dv"
strip "$w/full.safetensors" "$dv/trained.pt" # safetensors bytes under .pt: the bytes decide

# refused, naming the fix
fix='--model DyRCNNx2 n_classes=100'
expect 1 "$fix" "$cli" plot weights "$w/bare.safetensors" -o "$w/w.png"
expect 1 "best first: DyRCNNx2" "$cli" run -c "$w/bare.safetensors" -i "$w/none" -o "$w/y.safetensors"
expect 1 "$fix" "$cli" grad -c "$w/bare.safetensors" -i "$w/none" -o "$w/y.safetensors"
expect 1 "$fix" "$cli" test --experiment contrast -c "$w/bare.safetensors"
expect 1 "$fix" "$cli" train "$w/bare.safetensors" --epochs 1
expect 1 "$fix" "$cli" convert "$w/bare.safetensors" "$w/x.safetensors"
# usage errors
expect 2 "need --model" "$cli" plot weights "$w/bare.safetensors" -o "$w/w.png" n_classes=100
expect 2 "preset name or a model description" "$cli" plot weights "$w/bare.safetensors" -o "$w/w.png" --model n_classes=100
expect 2 "write .safetensors, .pt or .pth" "$cli" convert "$w/bare.safetensors" "$w/x.txt" --model DyRCNNx2
expect 2 "usage: dynvision convert" "$cli" convert "$w/bare.safetensors"
expect 2 "is none" "$cli" train DyRCNNx2 --model DyRCNNx2 --epochs 1
# identified
expect 0 "model DyRCNNx2: from the path" "$cli" plot weights "$dv/trained.pt" -o "$w/w.png"
expect 0 "nothing in the file fixes the resolution" "$cli" plot weights "$w/bare.safetensors" -o "$w/w.png" --model DyRCNNx2 rctype=full tsteps=20
expect 0 "from --model: .*input_dims=\[1,3,32,32\]" "$cli" convert "$w/bare.safetensors" "$w/conv.safetensors" --model "DyRCNNx2 rctype=full tsteps=20" "input_dims=[1,3,32,32]"
same_tensors "$w/bare.safetensors" "$w/conv.safetensors" || { echo "FAIL: convert changed the tensors"; fail=1; }
# --model names the checkpoint a model was exported from (the way back from DynVision): its description
expect 0 "the description .*full.safetensors (--model)" "$cli" convert "$w/bare.safetensors" "$w/conv3.safetensors" --model "$w/full.safetensors"
same_tensors "$w/bare.safetensors" "$w/conv3.safetensors" || { echo "FAIL: convert --model CKPT changed the tensors"; fail=1; }
expect 1 "does not describe its model itself" "$cli" run -c "$w/bare.safetensors" -i "$w/none" -o "$w/y.safetensors" --model "$w/bare.safetensors"
# the converted file describes itself: no --model, nothing printed about identification
expect 0 "wrote" "$cli" convert "$w/conv.safetensors" "$w/conv2.safetensors"
grep -q "identified" "$w/err" && { echo "FAIL: a self-describing file needed identification"; fail=1; }
same_tensors "$w/conv.safetensors" "$w/conv2.safetensors" || { echo "FAIL: convert changed the tensors"; fail=1; }
"$cli" describe DyRCNNx2 n_classes=100 'input_dims=[1,3,32,32]' tsteps=20 rctype=full > "$w/want.json" 2> /dev/null
python3 - "$w/conv.safetensors" "$w/want.json" << 'PY' || { echo "FAIL: convert's metadata is not the identified model"; fail=1; }
import json, struct, sys
b = open(sys.argv[1], 'rb').read(); n = struct.unpack('<Q', b[:8])[0]
md = json.loads(b[8:8 + n])['__metadata__']
d = json.loads(md['dynvision.description']); want = json.load(open(sys.argv[2]))
for k in ('config',):
    d.pop(k, None); want.pop(k, None)
sys.exit(0 if md['dynvision.model'] == 'DyRCNNx2' and d == want else 1)
PY
exit $fail
