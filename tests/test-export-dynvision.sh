#!/bin/sh
# test-export-dynvision.sh — `dynvision export-dynvision` end to end in DynVision itself: for
# preset models (DyRCNNx4, DyRCNNx8 with feedback, CorNetRT, with kwargs) and three edited models
# (areas whose recurrence type, tau, pool, norm, nonlinearity, supralinearity, feedforward delay
# and two-stage mid GroupNorm, and connections, no preset's kwargs express), export, run the engine on a random input, and check with
# tests/tools/verify-dynvision-export.py that DynVision builds MODEL_CLASS(**MODEL_KWARGS), loads
# the weights with its exact key set and computes the same logits and responses (1e-4).
# usage: test-export-dynvision.sh DYNVISION VERIFY.py WORKDIR
# Skips (77) unless /usr/bin/python3 has torch and a DynVision tree is at $DV_DYNVISION_SRC
# (default /tmp/dvsrc).
set -eu
cli=$1 verify=$2 w=$3
py=/usr/bin/python3
src=${DV_DYNVISION_SRC:-/tmp/dvsrc}
[ -x "$py" ] && "$py" -c "import torch, numpy" 2> /dev/null || { echo "no torch for $py: skipped"; exit 77; }
[ -d "$src/dynvision" ] || { echo "no DynVision tree at $src (set DV_DYNVISION_SRC): skipped"; exit 77; }
rm -rf "$w"
mkdir -p "$w"
cd "$w"

"$cli" describe DyRCNNx4 'input_dims=[4,3,32,32]' n_classes=10 > base.json
"$py" - << 'EOF'
import json, struct
import numpy as np

d = json.load(open("base.json"))
L = {l["name"]: l for l in d["layers"]}
L["V1"]["tau"] = 3.0
L["V2"]["recurrence_type"] = "self"
L["V4"]["recurrence_type"] = "depthpointwise"
L["V4"]["tau"] = 9.0
L["V4"]["pool"] = {"kind": "avg", "kernel_size": 3, "stride": 1, "padding": 1}
L["IT"]["recurrence_type"] = "pointdepthwise"
L["IT"]["t_recurrence"] = 4.0
conn = dict(form="adapt", source_alias=True)
d["connections"].append(dict(conn, kind="feedback", name="addfeedback_V2", source="IT", target="V2",
                             op="addfeedback", t_ms=4.0, integration="multiplicative"))
d["connections"].append(dict(conn, kind="skip", name="addext_IT", source="V1", target="IT",
                             op="addext", t_ms=2.0, integration="additive"))
json.dump(d, open("edit1.json", "w"), indent=1)

d = json.load(open("base.json"))
L = {l["name"]: l for l in d["layers"]}
d["layer_operations"].append("norm")
L["V1"]["recurrence_type"] = "local"
L["V1"]["supralinearity"] = 2.0
L["V2"]["norm"] = {"kind": "batch", "name": "norm_V2"}
L["V2"]["t_feedforward"] = 2.0
L["IT"]["nonlin"] = "identity"
json.dump(d, open("edit2.json", "w"), indent=1)

# x [2,4,3,32,32] (and 64×64 for CorNetRT's stride-4 start) as safetensors
for name, size in (("input", 32), ("input64", 64)):
    x = np.random.default_rng(size).standard_normal((2, 4, 3, size, size)).astype("<f4")
    h = json.dumps({"x": {"dtype": "F32", "shape": list(x.shape), "data_offsets": [0, x.nbytes]}}).encode()
    h += b" " * (-(8 + len(h)) % 8)
    open(name + ".safetensors", "wb").write(struct.pack("<Q", len(h)) + h + x.tobytes())
EOF

"$cli" describe DyRCNNx8 'input_dims=[4,3,32,32]' n_classes=10 feedback=mul tfb=4 > x8.json
"$py" - << 'EOF'
import json
d = json.load(open("x8.json"))
L = {l["name"]: l for l in d["layers"]}
L["V1"]["mid_groupnorm"] = 4
L["V2"]["recurrence_type"] = "self"
L["IT"]["tau"] = 7.0
json.dump(d, open("edit3.json", "w"), indent=1)
EOF

"$cli" init DyRCNNx4 'input_dims=[4,3,32,32]' n_classes=10 tau=9 rctype=self --seed 1 -o preset.safetensors
"$cli" init DyRCNNx8 'input_dims=[4,3,32,32]' n_classes=10 feedback=add tfb=4 --seed 4 -o preset8.safetensors
"$cli" init CorNetRT 'input_dims=[4,3,64,64]' n_classes=10 --seed 6 -o cornet.safetensors
"$cli" init edit1.json --seed 2 -o edit1.safetensors
"$cli" init edit2.json --seed 3 -o edit2.safetensors
"$cli" init edit3.json --seed 5 -o edit3.safetensors
# DyRCNN's readout starts at σ 0.004 (logits ~0.01): scale it so that the logits compare at O(1)
"$py" - << 'EOF'
import json, struct
import numpy as np
for case in ("preset", "preset8", "edit1", "edit2", "edit3"):  # CorNetRT's readout is PyTorch's default
    path = case + ".safetensors"
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    body = bytearray(data[8 + n:])
    b, e = header["classifier.2.weight"]["data_offsets"]
    w = np.frombuffer(bytes(body[b:e]), dtype="<f4") * np.float32(250)
    body[b:e] = w.astype("<f4").tobytes()
    open(path, "wb").write(data[:8 + n] + bytes(body))
EOF
status=0
for case in preset preset8 cornet edit1 edit2 edit3; do
  echo "== $case"
  input=input.safetensors
  [ $case = cornet ] && input=input64.safetensors
  "$cli" run -c $case.safetensors -i $input -o $case-expected.safetensors
  "$cli" export-dynvision $case.safetensors -o $case > $case-export.log 2>&1 || { cat $case-export.log; exit 1; }
  [ -f $case/model.py ] && [ -f $case/weights.pt ] || { echo "no model.py or weights.pt"; exit 1; }
  # and back: DynVision changes the weights (a stand-in for training there) and saves the
  # state_dict as its runtime does; a preset model under DynVision's folder names opens here
  # with no hint, an edited one with --model naming the checkpoint it was exported from
  args=$(sed -n 's/^MODEL_ARGS = "\(.*\)"$/\1/p' $case/model.py)
  data=cifar10
  [ $case = cornet ] && data=tinyimagenet
  if [ -n "$args" ]; then
    cls=${args%%:*}
    back="back/models/$cls/${args}_0/$data/trained.pt" hint=
  else
    back="back/models/ExportedModel/ExportedModel_0/$data/trained.pt" hint="--model $case.safetensors"
  fi
  "$py" "$verify" $case $input $case-expected.safetensors --trained-back "$back" 2> $case-verify.err || status=$?
  [ $status -eq 0 ] || { cat $case-verify.err; exit $status; }
  # shellcheck disable=SC2086
  "$cli" run -c "$back" -i $input -o $case-back.safetensors $hint 2> $case-back.err \
    || { cat $case-back.err; echo "FAIL: $back does not open here"; exit 1; }
  # run says what it wrote
  grep -q "^wrote $case-back.safetensors (.*logits \[" $case-back.err \
    || { cat $case-back.err; echo "FAIL: dynvision run did not say what it wrote"; exit 1; }
  if [ -z "$hint" ] && ! grep -q "from the path" $case-back.err; then
    cat $case-back.err; echo "FAIL: $back was not identified from its folder names"; exit 1
  fi
  "$py" - "$back.logits.safetensors" $case-back.safetensors << 'EOF' || exit 1
import json, struct, sys
import numpy as np
def logits(p):
    b = open(p, "rb").read(); n = struct.unpack("<Q", b[:8])[0]; h = json.loads(b[8:8 + n])
    t = h["logits"]; o = t["data_offsets"]
    return np.frombuffer(b[8 + n + o[0]:8 + n + o[1]], dtype="<f4").reshape(t["shape"])
a, b = logits(sys.argv[1]), logits(sys.argv[2])
d = float(np.max(np.abs(a - b))); scale = max(1.0, float(np.max(np.abs(a))))
print(f"back here: max |Δ logits| = {d:.3g} (largest |logit| {scale:.3g})")
sys.exit(0 if d <= 1e-4 * scale else 1)
EOF
done
echo "all cases agree, both ways"
