#!/usr/bin/python3
"""verify-dynvision-export.py DIR INPUT.safetensors EXPECTED.safetensors [options]

Checks a `dynvision export-dynvision` folder against DynVision itself: imports
DIR/model.py with DynVision on sys.path, builds the model (build_model():
MODEL_CLASS(**MODEL_KWARGS) and its connection set-up), loads DIR/weights.pt
with exactly DynVision's key set (every key of the model's state_dict in the
file and nothing else, then load_state_dict(strict=True)), runs DynVision's
forward on INPUT's tensor 'x' [B,T,C,H,W] and compares the logits [B,T,K], and
each area's per-step response, with EXPECTED (what `dynvision run` wrote):
logits to --tol absolutely, responses to --tol relative to their largest
magnitude when that exceeds 1.

DynVision comes from $DV_DYNVISION_SRC (default /tmp/dvsrc, an extracted
DynVision tree); the stand-ins for packages Debian does not ship from
$DV_DYNVISION_STUBS (default /work/shared/dynvision-stubs), appended last so
real packages win.  Neither is part of this project.

Options:
  --weights-from CKPT.safetensors  take the weights from the engine's checkpoint
                                   instead of DIR/weights.pt (until the .pt
                                   writer lands; the tensor names are the same)
  --tol X                          largest accepted |difference| (default 1e-4)

Exit status: 0 when everything agrees, 1 when something differs, 77 when
torch or DynVision is not available (a skipped test).
"""
import argparse
import importlib.util
import json
import os
import struct
import sys

import numpy as np

_DTYPES = {"F32": "<f4", "F64": "<f8", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2",
           "I8": "i1", "U8": "u1", "BOOL": "?"}


def read_safetensors(path):
    """(tensors: name -> numpy array, metadata: dict)"""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {}) or {}
    body = data[8 + n:]
    out = {}
    for name, e in header.items():
        b, end = e["data_offsets"]
        arr = np.frombuffer(body[b:end], dtype=np.dtype(_DTYPES[e["dtype"]]))
        out[name] = arr.reshape(e["shape"]).copy()
    return out, meta


def skip(msg):
    print(f"SKIP: {msg}")
    sys.exit(77)


def write_logits(path, logits):
    """A one-tensor safetensors file ("logits", F32), for compare.py."""
    arr = np.ascontiguousarray(logits, dtype="<f4")
    h = json.dumps({"logits": {"dtype": "F32", "shape": list(arr.shape),
                               "data_offsets": [0, arr.nbytes]}}).encode()
    h += b" " * (-(8 + len(h)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + arr.tobytes())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("input")
    ap.add_argument("expected")
    ap.add_argument("--weights-from")
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--trained-back", metavar="OUT.pt",
                    help="then change every weight in DynVision (a stand-in for training there: "
                         "Lightning cannot train here), torch.save the state_dict to OUT.pt and "
                         "DynVision's logits on the input to OUT.pt.logits.safetensors")
    a = ap.parse_args()

    src = os.environ.get("DV_DYNVISION_SRC", "/tmp/dvsrc")
    stubs = os.environ.get("DV_DYNVISION_STUBS", "/work/shared/dynvision-stubs")
    if not os.path.isdir(os.path.join(src, "dynvision")):
        skip(f"no DynVision tree at {src} (set DV_DYNVISION_SRC)")
    try:
        import torch
    except ImportError:
        skip("this python has no torch")
    sys.path.insert(0, src)
    if os.path.isdir(stubs):
        sys.path.append(stubs)
        try:
            import dvstubs  # noqa: F401  activates stand-ins for what is missing
            import _stubkit
            # torchvision: only DynVision's AlexNet/ResNet wrappers; matplotlib: only its plots
            for name in ("torchvision", "matplotlib"):
                try:
                    importlib.import_module(name)
                except ImportError:
                    _stubkit.install([name])
        except ImportError:
            pass
    try:
        import dynvision.models  # noqa: F401
    except Exception as e:  # a missing dependency of DynVision itself
        skip(f"DynVision does not import here: {e}")

    spec = importlib.util.spec_from_file_location("dv_exported_model", os.path.join(a.dir, "model.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    for name in ("MODEL_CLASS", "MODEL_KWARGS", "MODEL_ARGS"):
        if not hasattr(mod, name):
            print(f"FAIL: model.py defines no {name}")
            return 1
    torch.manual_seed(0)
    model = mod.build_model()
    model.eval()

    if a.weights_from:
        tensors, _ = read_safetensors(a.weights_from)
        sd = {k: torch.from_numpy(v) for k, v in tensors.items()}
        print(f"weights: {a.weights_from} (engine checkpoint, same names as weights.pt)")
    else:
        sd = torch.load(os.path.join(a.dir, "weights.pt"))
    want = set(model.state_dict().keys())
    got = set(sd.keys())
    if want != got:
        print(f"FAIL: key sets differ; missing from the weights: {sorted(want - got)}; "
              f"not in {mod.MODEL_CLASS.__name__}: {sorted(got - want)}")
        return 1
    own = model.state_dict()
    for k in sorted(want):
        if tuple(own[k].shape) != tuple(sd[k].shape):
            print(f"FAIL: {k}: shape {tuple(sd[k].shape)} in the weights, {tuple(own[k].shape)} in the model")
            return 1
    model.load_state_dict(sd, strict=True)
    for k in sorted(want):  # DynVision's own load_state_dict is tolerant: check it took every tensor
        if not torch.equal(model.state_dict()[k].to(sd[k].dtype), sd[k]):
            print(f"FAIL: {k} did not load")
            return 1
    print(f"loaded {len(want)} tensors with DynVision's exact key set ({mod.MODEL_CLASS.__name__})")

    inp, _ = read_safetensors(a.input)
    exp, meta = read_safetensors(a.expected)
    x = torch.from_numpy(inp["x"].astype(np.float32))
    with torch.no_grad():
        logits = model(x).numpy()
    worst = 0.0
    d = float(np.max(np.abs(logits - exp["logits"])))
    print(f"logits {list(logits.shape)}: max |Δ| = {d:.3g} (largest |logit| {float(np.max(np.abs(exp['logits']))):.3g})")
    worst = max(worst, d)

    # per-area responses, step by step (what the "record" op sees), when no idle steps precede
    if getattr(model, "idle_timesteps", 0) == 0:
        none = json.loads(meta.get("dynvision.none_timesteps", "{}"))
        with torch.no_grad():
            model.reset(x.shape)
            per = {name: [] for name in model.layer_names}
            for t in range(x.shape[1]):
                _, resp = model._forward(x[:, t], t=t, feedforward_only=model.feedforward_only,
                                         store_responses=True)
                for name in model.layer_names:
                    per[name].append(resp.get(name))
        for name in model.layer_names:
            if name not in exp:
                continue
            dl = 0.0
            for t, r in enumerate(per[name]):
                if r is None:
                    if t not in none.get(name, []):
                        print(f"FAIL: {name} has no response at t={t} in DynVision but has one in the engine")
                        return 1
                    continue
                dl = max(dl, float(np.max(np.abs(r.numpy() - exp[name][:, t]))))
            # float32 rounding grows with the values (a supralinear area reaches hundreds):
            # a response is compared relative to its largest magnitude when that exceeds 1
            scale = max(1.0, float(np.max(np.abs(exp[name]))))
            print(f"{name} responses: max |Δ| = {dl:.3g} (largest |value| {scale:.3g}, relative {dl / scale:.3g})")
            worst = max(worst, dl / scale)
    if worst > a.tol:
        print(f"FAIL: max |Δ| {worst:.3g} > {a.tol:g}")
        return 1
    if a.trained_back:
        g = torch.Generator().manual_seed(1)
        with torch.no_grad():
            for name, p in model.named_parameters():
                if p.dtype.is_floating_point:
                    p.mul_(1 + 0.2 * (torch.rand(p.shape, generator=g) - 0.5))
            back = model(x).numpy()
        os.makedirs(os.path.dirname(os.path.abspath(a.trained_back)), exist_ok=True)
        torch.save(model.state_dict(), a.trained_back)
        write_logits(a.trained_back + ".logits.safetensors", back)
        print(f"wrote {a.trained_back} (weights changed in DynVision) and its logits")
    print(f"OK: DynVision agrees with the engine (max |Δ| {worst:.3g} ≤ {a.tol:g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
