#!/usr/bin/env python3
"""check-torch-dyrcnnx4.py — is bench/torch_dyrcnnx4.py the engine's DyRCNNx4?

The benchmark compares speeds only if both sides compute the same thing.  This
writes the engine's fresh DyRCNNx4 (`dynvision init`, tinyimagenet's
64×64 and 200 classes by default), loads its tensors by name into the PyTorch
model (every PyTorch parameter and buffer must come from the checkpoint; the
engine's extra names may only be DynVision's aliases), runs both on the same
random input (`dynvision run`) and compares the logits of every timestep.
Fresh weights leave recurrence, skips and biases small (U(±0.001),
std ≤ 0.001, zero), so a second round gives them sizeable values, written back
into the checkpoint, and compares again.

    /usr/bin/python3 bench/check-torch-dyrcnnx4.py [--engine build/app/dynvision]
        [--batch 2] [--steps 8] [--size 64] [--classes 200] [--tol 1e-4]

Prints max |Δ| / max |logit| per round; exits 0 when both are within --tol,
1 when one is not, 77 (skip) when torch is missing.  For checks only: it does
not time anything.
"""
import argparse, os, re, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.append(os.path.join(ROOT, "..", "shared", "golden"))

# names the engine writes that the PyTorch model has no module for: DynVision's duplicates
# (a skip's source layer, each EulerStep's tau) and its residual-timesteps buffer
ALIASES = re.compile(r"^(addskip_\w+\.source\..*|tstep_\w+\.tau|n_residual_timesteps)$")


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{p.stderr or p.stdout}")


def compare(engine, ck, x, model, torch, st_io, tmp, label):
    tensors = st_io.load_file(ck)
    sd = {k: torch.from_numpy(v.copy()) for k, v in tensors.items() if not ALIASES.match(k)}
    missing, unexpected = model.load_state_dict(sd, strict=False)
    if missing or unexpected:
        print(f"{label}: names differ: missing in the checkpoint {missing}, not in the PyTorch model {unexpected}")
        return False
    inp, out = os.path.join(tmp, "in.safetensors"), os.path.join(tmp, "out.safetensors")
    st_io.save_file({"x": x}, inp)
    run([engine, "run", "-c", ck, "-i", inp, "-o", out, "--threads", "1"])
    got = st_io.load_file(out)["logits"]
    with torch.no_grad():
        want = model.eval()(torch.from_numpy(x)).numpy()
    if got.shape != want.shape:
        print(f"{label}: logits shape engine {got.shape}, PyTorch {want.shape}")
        return False
    err = float(abs(got - want).max())
    scale = float(abs(want).max())
    rel = err / scale if scale > 0 else err
    print(f"{label}: logits {want.shape}, max |logit| {scale:.4g}, max |Δ| {err:.3g}, relative {rel:.3g}")
    return rel <= args.tol


def main():
    global args
    ap = argparse.ArgumentParser()
    ap.add_argument("--engine", default=os.path.join(ROOT, "build", "app", "dynvision"))
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--classes", type=int, default=200)
    ap.add_argument("--tol", type=float, default=1e-4)
    args = ap.parse_args()
    try:
        import torch
    except ImportError:
        print("python3-torch is not installed: skipped")
        sys.exit(77)
    import numpy as np
    import st_io
    sys.path.insert(0, HERE)
    from torch_dyrcnnx4 import DyRCNNx4
    torch.set_num_threads(1)
    model = DyRCNNx4(args.classes)
    x = np.random.default_rng(5).standard_normal(
        (args.batch, args.steps, 3, args.size, args.size)).astype(np.float32)
    ok = True
    with tempfile.TemporaryDirectory(prefix="dv-check-x4-") as tmp:
        ck = os.path.join(tmp, "x4.safetensors")
        run([args.engine, "init", "DyRCNNx4", f"input_dims=[{args.steps},3,{args.size},{args.size}]",
             f"n_classes={args.classes}", "-s", "1", "-o", ck])
        ok &= compare(args.engine, ck, x, model, torch, st_io, tmp, "fresh weights")
        # make the small terms large: biases, recurrence, skips and the readout
        tensors, meta = st_io.load_file(ck, with_metadata=True)
        r = np.random.default_rng(9)
        for k, v in tensors.items():
            if ALIASES.match(k) or v.dtype != np.float32 or v.ndim == 0:
                continue
            if k.endswith(".bias"):
                new = r.uniform(-0.1, 0.1, v.shape)
            elif ".recurrence." in k:
                new = r.uniform(-0.03, 0.03, v.shape)
            elif k.startswith(("addskip_", "classifier")):
                new = r.normal(0, 0.05, v.shape)
            else:
                continue
            tensors[k] = new.astype(np.float32)
        for k in tensors:  # the aliases keep equal to what they alias
            m = re.match(r"^addskip_(\w+)\.source\.(.*)$", k)
            if m:
                src = {"V4": "V1", "IT": "V2"}[m.group(1)]
                tensors[k] = tensors[f"{src}.{m.group(2)}"]
        ck2 = os.path.join(tmp, "x4-perturbed.safetensors")
        st_io.save_file(tensors, ck2, metadata=meta)
        ok &= compare(args.engine, ck2, x, model, torch, st_io, tmp, "biases, recurrence, skips made large")
    print("same computation" if ok else f"DIFFERENT (tolerance {args.tol:g} relative)")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
