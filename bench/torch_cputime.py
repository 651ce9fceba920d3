#!/usr/bin/env python3
"""The PyTorch side of bench/vs-pytorch-cputime.sh: the baseline model of
../shared/bench/torch_customrcnn.py (imported, not copied), timed in CPU
seconds of the process instead of wall time, so that a machine shared with
other jobs still gives comparable numbers.  Prints one JSON line.

    /usr/bin/python3 torch_cputime.py [--threads N] [--batch B] [--steps T] [--size S] [--reps R]
"""
import argparse, json, os, resource, sys, time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "shared", "bench"))
import torch, torch.nn.functional as F  # noqa: E402
from torch_customrcnn import CustomRCNN  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--size", type=int, default=32)
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    m = CustomRCNN()
    x = torch.randn(a.batch, a.steps, 3, a.size, a.size)
    y = torch.randint(0, 10, (a.batch,))
    opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)
    m.eval()
    with torch.no_grad():
        m(x)
        t0 = time.process_time()
        for _ in range(a.reps):
            m(x)
        inf = (time.process_time() - t0) / a.reps
    m.train()

    def step():
        opt.zero_grad()
        out = m(x)
        loss = F.cross_entropy(out.reshape(-1, 10), y.repeat_interleave(a.steps))
        loss.backward()
        opt.step()

    step()
    t0 = time.process_time()
    for _ in range(a.reps):
        step()
    tr = (time.process_time() - t0) / a.reps
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({"impl": "pytorch-cpu-" + torch.__version__, "threads": a.threads, "batch": a.batch,
                      "T": a.steps, "size": a.size, "infer_cpu_s": round(inf, 4), "train_cpu_s": round(tr, 4),
                      "peak_rss_mb": round(rss, 1)}))


if __name__ == "__main__":
    main()
