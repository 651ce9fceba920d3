#!/usr/bin/python3
"""CorNetRT restated in plain PyTorch. It imports nothing from DynVision.

    python3 cornetrt_reference.py CASE_DIR

The script recomputes a CorNetRT case (cornetrt_forward, train_cornetrt) from
model.safetensors and input.safetensors in float64. It compares the logits and
the layer responses with expected.safetensors. For a training case it also
compares the loss, every gradient in grads.safetensors, and the L2 norms of the
two gradients left out of that file. It prints max|diff|/max|ref| for each item
and exits 1 if any of them exceeds 1e-4.

It is not a general DynVision model. It covers only what CorNetRT does with its
defaults (dt 2 ms, t_feedforward 2, t_recurrence 2, self recurrence with no bias
at the middle, skip and feedback off)."""
import json
import os
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
for p in (os.path.join(HERE, "../../../../shared/golden"), "/work/shared/golden"):
    sys.path.insert(0, p)
from st_io import load_file  # noqa: E402

# name, kernel of conv (first stage), its stride and padding; conv2 is 3x3 s1 p1 without bias
AREAS = [("V1", 7, 4, 3), ("V2", 3, 2, 1), ("V4", 3, 2, 1), ("IT", 3, 2, 1)]
D_FF = {"V1": 1, "V2": 1, "V4": 1, "IT": 0}  # t_feedforward / dt (IT is built with t_feedforward 0)


def forward(P, x, n_classes):
    """x [B,T,C,H,W] -> logits [B,T,K], responses {area: [B,T,C,H,W]}."""
    B, T = x.shape[:2]
    # each area's buffer holds one entry (history 2 ms / dt 2 ms); None = empty
    buf = {n: None for n, *_ in AREAS}
    # spatial size of each area's first-stage output (the 'middle', = its output size)
    size, s_in = {}, x.shape[-1]
    for n, k, s, p in AREAS:
        size[n] = (s_in + 2 * p - k) // s + 1
        s_in = size[n]
    logits, resp = [], {n: [] for n, *_ in AREAS}
    for t in range(T):
        y = x[:, t]
        for i, (n, k, s, p) in enumerate(AREAS):
            # 'layer': RConv2d with recurrence_target "middle"
            h = buf[n]  # get_hidden_state(1): own output of t-1, or the zeros skipzeros pushed
            a = None
            if y is not None:
                a = F.conv2d(y, P[f"{n}.conv.weight"], P[f"{n}.conv.bias"], stride=s, padding=p)
                a = F.group_norm(a, 32, P[f"{n}.mid_modules.weight"], P[f"{n}.mid_modules.bias"], 1e-5)
                a = F.relu(a)
            if h is not None:
                r = h * P[f"{n}.recurrence.weight"]  # SelfConnection, no bias
                a = r if a is None else a + r
            out = None
            if a is not None:
                out = F.conv2d(a, P[f"{n}.conv2.weight"], None, stride=1, padding=1)
                # 'norm' and 'nonlin'
                out = F.relu(F.group_norm(out, 32, P[f"norm_{n}.weight"], P[f"norm_{n}.bias"], 1e-5))
            resp[n].append(out)  # 'record'
            # 'delay': read the delayed output before pushing this one
            d = buf[n] if D_FF[n] > 0 else out
            buf[n] = out
            # 'skipzeros' (V1, V2, V4 only): absent or all-zero (whole batch) -> zero state for the next area
            if i + 1 < len(AREAS) and (d is None or not torch.any(d)):
                nxt = AREAS[i + 1][0]
                c = P[f"{nxt}.conv.weight"].shape[0]
                buf[nxt] = torch.zeros(B, c, size[nxt], size[nxt], dtype=x.dtype)
                d = None
            y = d
        if y is None:
            logits.append(torch.zeros(B, n_classes, dtype=x.dtype))
        else:
            logits.append(F.linear(y.mean((2, 3)), P["classifier.2.weight"], P["classifier.2.bias"]))
    return torch.stack(logits, 1), {n: torch.stack(v, 1) for n, v in resp.items()}


def metadata(path):
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        return json.loads(f.read(n)).get("__metadata__", {})


def rel(a, b):
    a = torch.as_tensor(a).detach().double()
    b = torch.as_tensor(b).double()
    m = b.abs().max().item()
    d = (a - b).abs().max().item()
    return d / m if m > 0 else d


def main():
    d = sys.argv[1]
    M = load_file(os.path.join(d, "model.safetensors"))
    I = load_file(os.path.join(d, "input.safetensors"))
    E = load_file(os.path.join(d, "expected.safetensors"))
    P = {}
    for k, v in M.items():
        t = torch.from_numpy(v)
        P[k] = t.double().requires_grad_(True) if t.is_floating_point() else t
    x = torch.from_numpy(I["x"]).double()
    K = P["classifier.2.weight"].shape[0]
    logits, resp = forward(P, x, K)
    out = {"logits": rel(logits, E["logits"])}
    for n in resp:
        out[n] = rel(resp[n], E[n])
    if "labels" in I:
        labels = torch.from_numpy(I["labels"])
        loss = F.cross_entropy(logits.reshape(-1, K), labels.reshape(-1))
        out["loss"] = rel(loss, E["loss"])
        loss.backward()
        gpath = os.path.join(d, "grads.safetensors")
        G = load_file(gpath)
        for k in G:
            out[f"grad:{k}"] = rel(P[k].grad, G[k])
        left = json.loads(metadata(gpath).get("left_out_for_size", "{}"))
        for k, v in left.items():
            out[f"grad:{k} (L2 norm)"] = abs(P[k].grad.norm().item() - v["l2"]) / v["l2"]
    worst = max(out.values())
    print(f"{os.path.basename(os.path.normpath(d)):40s} {len(out)} items  max rel {worst:.2e}  "
          + ("ok" if worst <= 1e-4 else "MISMATCH"))
    for k, v in out.items():
        if v > 1e-4:
            print(f"  {k}: {v:.3e}")
    sys.exit(0 if worst <= 1e-4 else 1)


if __name__ == "__main__":
    main()
