#!/usr/bin/python3
"""Files written by DynVision's own code open here with no hints, and give DynVision's logits.

For each configuration below this script builds the model with DynVision's
real classes (its source tree + ../shared/dynvision-stubs), initialises it the
way DynVision's runtime does (Lightning's setup("fit") warm-up), and writes

  models/{Model}/{Model}:{args}_{seed}/{data}/init.pt       torch.save(model.state_dict())
  models/{Model}/{Model}:{args}_{seed}/{data}/init-last-0-0.ckpt
                                                     a Lightning checkpoint: state_dict,
                                                     hyper_parameters, optimizer_states, loops

exactly as init_model.py and Lightning's ModelCheckpoint lay them out.  It
runs DynVision's forward on a random input and then `dynvision run -c FILE`
(no --model: the engine identifies the model from the file and its folder
names) on the same input, and compares the logits.

  usage: dynvision-open-check.py DYNVISION_CLI [--src DYNVISION_TREE] [--keep DIR]
  exit 0 all agree to 1e-4 (relative to the largest logit when it exceeds 1), 1 a difference or a refusal, 77 torch or DynVision missing

Not part of the product: a local check against the real thing (and a meson
test that skips in CI, where DynVision is not available).
"""
import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared"))

# (class, DynVision's Model:args string, data set) — the args use DynVision's
# aliases as its workflow writes them in folder names.
CONFIGS = [
    ("DyRCNNx4", "tsteps=6+rctype=full", "cifar10"),
    ("DyRCNNx4", "tsteps=6+rctype=self+dt=2+tff=4", "mnist"),
    ("DyRCNNx4", "tsteps=6+rctype=depthpointwise+skip=true", "cifar100"),
    ("DyRCNNx2", "tsteps=5+rctype=pointdepthwise", "cifar10"),
    ("DyRCNNx2", "tsteps=5+rctype=local+trc=4", "mnist"),
    ("DyRCNNx2", "tsteps=5+rctype=full+feedback=true+tfb=4", "cifar10"),
    ("DyRCNNx8", "tsteps=4+rctype=full", "cifar10"),
    ("CorNetRT", "tsteps=5+pretrained=false", "cifar10"),
]
DATA = {  # DynVision's configs/config_data.yaml: resolution, channels, classes
    "mnist": (28, 1, 10),
    "cifar10": (32, 3, 10),
    "cifar100": (32, 3, 100),
    "tinyimagenet": (64, 3, 200),
}


def skip(msg):
    print("SKIP:", msg)
    sys.exit(77)


def parse_value(v):
    low = v.lower()
    if low in ("true", "false"):
        return low == "true"
    for cast in (int, float):
        try:
            return cast(v)
        except ValueError:
            pass
    return v


def setup_fit(model):
    """DynVision's Lightning setup("fit"): its warm-up forward creates the
    Skip/Feedback transforms.  Upstream zeroes only the model's
    delay_feedforward for it, so with per-area t_feedforward > 0 the skip's
    target is still None and the warm-up crashes (SPEC §2.12); the areas'
    delays are zeroed for its duration too, and restored."""
    saved = [(m, m.t_feedforward) for m in model.modules()
             if type(m).__name__ == "RecurrentConnectedConv2d" and getattr(m, "t_feedforward", 0)]
    for m, _ in saved:
        m.t_feedforward = 0
    try:
        model.setup("fit")
    finally:
        for m, t in saved:
            m.t_feedforward = t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cli")
    ap.add_argument("--src", default=os.environ.get("DV_DYNVISION_SRC", "/tmp/dvsrc"))
    ap.add_argument("--keep")
    a = ap.parse_args()
    try:
        import torch
    except ImportError:
        skip("python3-torch is not installed")
    if not os.path.isdir(os.path.join(a.src, "dynvision")):
        skip(f"no DynVision tree at {a.src} (set DV_DYNVISION_SRC)")
    sys.path.insert(0, a.src)
    sys.path.append(os.path.join(SHARED, "dynvision-stubs"))
    sys.path.append(os.path.join(SHARED, "golden"))
    import dvstubs  # noqa: F401
    import st_io
    import numpy as np
    from dynvision.models import dyrcnn, cornet_rt
    classes = {"DyRCNNx2": dyrcnn.DyRCNNx2, "DyRCNNx4": dyrcnn.DyRCNNx4,
               "DyRCNNx8": dyrcnn.DyRCNNx8, "CorNetRT": cornet_rt.CorNetRT}
    aliases = {"tsteps": "n_timesteps", "rctype": "recurrence_type", "tff": "t_feedforward",
               "trc": "t_recurrence", "tsk": "t_skip", "tfb": "t_feedback", "idle": "idle_timesteps"}

    work = a.keep or tempfile.mkdtemp(prefix="dv-open-check-")
    failures = 0
    for k, (cls, args, data) in enumerate(CONFIGS):
        size, chans, n_classes = DATA[data]
        kwargs = {aliases.get(key, key): parse_value(v)
                  for key, v in (p.split("=", 1) for p in args.split("+"))}
        kwargs.update(input_dims=(kwargs.get("n_timesteps", 1), chans, size, size), n_classes=n_classes)
        seed = 1000 + k
        torch.manual_seed(seed)
        random.seed(seed)
        model = classes[cls](**kwargs)
        setup_fit(model)
        model.eval()
        # the readout's N(0, 0.01) initialisation gives logits of ~1e-3; scaled up they are
        # O(1), so an absolute 1e-4 means something (both sides read the same weights)
        with torch.no_grad():
            for name, p in model.named_parameters():
                if name.startswith("classifier"):
                    p.mul_(100.0)
        folder = os.path.join(work, "models", cls, f"{cls}:{args}_{seed}", data)
        os.makedirs(folder, exist_ok=True)
        pt = os.path.join(folder, "init.pt")
        torch.save(model.state_dict(), pt)
        ckpt = os.path.join(folder, "init-last-0-0.ckpt")
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        torch.save({
            "epoch": 0, "global_step": 0, "pytorch-lightning_version": "2.1.0",
            "state_dict": model.state_dict(),
            "hyper_parameters": dict(getattr(model, "hparams", {})),
            "optimizer_states": [opt.state_dict()], "lr_schedulers": [],
            "loops": {"fit_loop": {"state_dict": {}}}, "callbacks": {},
        }, ckpt)
        T = kwargs.get("n_timesteps", 4)
        x = torch.rand(2, T, chans, size, size)
        with torch.no_grad():
            ref = model(x).numpy()
        xin = os.path.join(folder, "x.safetensors")
        st_io.save_file({"x": x.numpy().astype(np.float32)}, xin)
        for path in (pt, ckpt):
            out = path + ".out.safetensors"
            r = subprocess.run([a.cli, "run", "-c", path, "-i", xin, "-o", out],
                               capture_output=True, text=True)
            name = os.path.relpath(path, work)
            if r.returncode != 0:
                print(f"FAIL {name}: exit {r.returncode}: {r.stderr.strip()}")
                failures += 1
                continue
            got = st_io.load_file(out)["logits"]
            if got.shape != ref.shape:
                print(f"FAIL {name}: logits {got.shape} vs DynVision {ref.shape}")
                failures += 1
                continue
            d = float(np.max(np.abs(got - ref)))
            ok = d <= 1e-4 * max(1.0, float(np.max(np.abs(ref))))  # relative where logits exceed 1
            failures += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {name}: max |Δ logits| = {d:.2e}"
                  f" (largest |logit| {float(np.max(np.abs(ref))):.2g})")
    if not a.keep:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{len(CONFIGS) * 2 - failures} of {len(CONFIGS) * 2} files agree")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
