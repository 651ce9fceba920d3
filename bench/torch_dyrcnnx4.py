#!/usr/bin/env python3
"""Speed anchor for DyRCNNx4: the engine's DyRCNNx4 preset in plain PyTorch on the CPU.

The computation of `dynvision describe DyRCNNx4 'input_dims=[T,3,S,S]'` with
DynVision's defaults (SPEC-dynvision-semantics.md §1.11, §6): dt 2, tau 5,
t_feedforward 0, t_recurrence 6 (each layer's own output three steps back,
a ring of three states), skips V1→V4 and V2→IT (1×1 conv of the source's
state of this step, nearest-resized), no feedback, shared ReLU, no
supralinearity.  Per layer and step:

    a = conv(u) [+ rec(h[t-3])] [+ resize(skip_conv(h_src[t]))]
    y = alpha·a at the first step, else h[t-1] + alpha·(a - h[t-1])
    h[t] = relu(y); u_next = pool(h[t])       (V1, V2: max 3/2/1; V4: max 1/1/0; IT: none)
    logits = Linear(mean over space of u_IT)

Module names give the engine's checkpoint names (V1.conv.weight,
V1.recurrence.conv.weight, addskip_V4.conv.weight, classifier.2.weight,
tau_V1 …), so `bench/check-torch-dyrcnnx4.py` loads the engine's weights by
name and compares logits with `dynvision run`.  Fresh weights here follow
DynVision's scheme (§2.7) without being the engine's draws.

Timing as ../shared/bench/torch_customrcnn.py: one inference pass (eval, no
grad) and one training step (cross-entropy over all timesteps, BPTT, SGD
lr 0.01 momentum 0.9; tau frozen as train_tau=False), mean of --reps after a
warm-up, one JSON line.  Not a DynVision reimplementation beyond this preset.

    /usr/bin/python3 torch_dyrcnnx4.py [--threads N] [--batch B] [--steps T] [--size S] [--reps R] [--classes K]
"""
import argparse, json, time
import torch, torch.nn as nn, torch.nn.functional as F

# name, in, out, stride, pool (kernel, stride, padding) or None
LAYERS = [("V1", 3, 36, 1, (3, 2, 1)), ("V2", 36, 64, 1, (3, 2, 1)),
          ("V4", 64, 121, 1, (1, 1, 0)), ("IT", 121, 256, 2, None)]
SKIPS = {"V4": "V1", "IT": "V2"}  # target: source
DELAY_REC = 3  # max(1, int(t_recurrence / dt)) = int(6 / 2)


class Recurrence(nn.Module):  # "full": a 3×3 conv of the layer's own state
    def __init__(s, c):
        super().__init__()
        s.conv = nn.Conv2d(c, c, 3, 1, 1)


class RConv(nn.Module):
    def __init__(s, ci, co, stride):
        super().__init__()
        s.conv = nn.Conv2d(ci, co, 3, stride, 1)
        s.recurrence = Recurrence(co)


class Skip(nn.Module):
    def __init__(s, ci, co):
        super().__init__()
        s.conv = nn.Conv2d(ci, co, 1)


class DyRCNNx4(nn.Module):
    def __init__(s, n_classes=200, dt=2.0, tau=5.0):
        super().__init__()
        s.dt = dt
        for name, ci, co, st, _ in LAYERS:
            s.add_module(name, RConv(ci, co, st))
            s.register_buffer("tau_" + name, torch.tensor(tau, dtype=torch.float32))
        out = {name: co for name, _, co, _, _ in LAYERS}
        for tgt, src in SKIPS.items():
            s.add_module("addskip_" + tgt, Skip(out[src], out[tgt]))
        s.classifier = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(256, n_classes))
        s.n_classes = n_classes
        s.reset_parameters()

    @torch.no_grad()
    def reset_parameters(s):
        """DynVision's initialisation (SPEC §2.7): kaiming-normal convs, recurrence U(±0.001),
        skip convs and the classifier truncated normal, biases zero."""
        for name, *_ in LAYERS:
            m = getattr(s, name)
            nn.init.kaiming_normal_(m.conv.weight, mode="fan_in", nonlinearity="relu")
            nn.init.uniform_(m.recurrence.conv.weight, -0.001, 0.001)
            m.conv.bias.zero_()
            m.recurrence.conv.bias.zero_()
        for tgt in SKIPS:
            c = getattr(s, "addskip_" + tgt).conv
            nn.init.trunc_normal_(c.weight, 0.0, min(0.001, (c.in_channels * c.out_channels) ** -0.5), -2, 2)
            c.bias.zero_()
        nn.init.trunc_normal_(s.classifier[2].weight, 0.0, 0.004, -2, 2)
        s.classifier[2].bias.zero_()

    def forward(s, x):  # x: [B,T,C,H,W] -> logits [B,T,K]
        T = x.shape[1]
        hist = {name: [] for name, *_ in LAYERS}  # the last DELAY_REC states, newest last
        own = {}  # the Euler step's own state, used while no state is stored
        outs = []
        for t in range(T):
            u = x[:, t]
            for name, _, _, _, pool in LAYERS:
                m = getattr(s, name)
                h = hist[name]
                a = m.conv(u)
                if len(h) >= DELAY_REC:
                    a = a + m.recurrence.conv(h[-DELAY_REC])
                if name in SKIPS:
                    sk = getattr(s, "addskip_" + name).conv(hist[SKIPS[name]][-1])
                    a = a + F.interpolate(sk, size=a.shape[-2:], mode="nearest")
                alpha = s.dt / getattr(s, "tau_" + name)
                prev = h[-1] if h else own.get(name)
                y = alpha * a if prev is None else prev + alpha * (a - prev)
                if not h:
                    own[name] = y
                r = F.relu(y)
                h.append(r)
                if len(h) > DELAY_REC:
                    h.pop(0)
                u = F.max_pool2d(r, *pool) if pool else r
            outs.append(s.classifier(u))
        return torch.stack(outs, 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--classes", type=int, default=200)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    m = DyRCNNx4(a.classes)
    x = torch.randn(a.batch, a.steps, 3, a.size, a.size)
    y = torch.randint(0, a.classes, (a.batch,))
    opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)
    m.eval()
    with torch.no_grad():
        m(x)
        t0 = time.perf_counter()
        for _ in range(a.reps):
            m(x)
        inf = (time.perf_counter() - t0) / a.reps
    m.train()

    def step():
        opt.zero_grad()
        out = m(x)
        loss = F.cross_entropy(out.reshape(-1, a.classes), y.repeat_interleave(a.steps))
        loss.backward()
        opt.step()

    step()
    t0 = time.perf_counter()
    for _ in range(a.reps):
        step()
    tr = (time.perf_counter() - t0) / a.reps
    print(json.dumps({"impl": "pytorch-" + torch.__version__, "model": "DyRCNNx4", "n_classes": a.classes,
                      "threads": a.threads, "batch": a.batch, "T": a.steps, "size": a.size,
                      "infer_s": round(inf, 4), "train_step_s": round(tr, 4),
                      "infer_samples_per_s": round(a.batch / inf, 2),
                      "train_samples_per_s": round(a.batch / tr, 2)}))


if __name__ == "__main__":
    main()
