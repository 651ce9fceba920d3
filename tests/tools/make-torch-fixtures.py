#!/usr/bin/python3
"""Writes the torch.save fixtures of tests/data/torch/ (read by tests/test-torch.c).

Run with torch 1.13 (Debian's python3-torch):  /usr/bin/python3 tests/tools/make-torch-fixtures.py
Every fixture is a few KB.  Beside each readable one, NAME.expected.json holds
what dv_torch_load must give: per tensor the dtype name, the shape and the
row-major bytes in hex (views materialised by torch itself: .contiguous()).

  plain.pt        an OrderedDict state_dict: every dtype, a scalar, a
                  non-contiguous view, two tensors sharing one storage
                  and an nn.Parameter
  lightning.ckpt  a Lightning-style checkpoint: epoch, global_step, state_dict
                  with "model." keys, hyper_parameters in a dict subclass with
                  a foreign class instance, Adam optimizer_states, callbacks, loops
  malicious-*.pt  pickles whose __reduce__ calls os.system("touch PWNED");
                  the reader must never call it (PWNED must never exist)
  cyclic-hparams.ckpt  hyper_parameters with a list that holds itself, twice
  expand.pt       a stride-0 view (torch's expand), materialised by the reader
  bad-*.pt        hostile or broken archives; errors.json names the DvTorchError
                  code the reader must give for each
"""
import collections, io, json, os, sys, zipfile
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(os.path.dirname(HERE), "data", "torch")
PWNED = "/tmp/dv-torch-fixture-pwned"
DTYPE = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
         torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
         torch.uint8: "U8", torch.bool: "BOOL"}


def expected(sd, strip=""):
    out = collections.OrderedDict()
    for k, t in sd.items():
        if not isinstance(t, torch.Tensor):
            continue
        c = t.contiguous()
        raw = c.view(torch.uint8).numpy().tobytes() if c.dim() else c.reshape(1).view(torch.uint8).numpy().tobytes()
        out[k[len(strip):]] = {"dtype": DTYPE[t.dtype], "shape": list(t.shape), "hex": raw.hex()}
    return out


def save(name, obj, exp=None):
    path = os.path.join(OUT, name)
    torch.save(obj, path)
    if exp is not None:
        with open(path + ".expected.json", "w") as f:
            json.dump(exp, f, indent=1)
            f.write("\n")
    print(name, os.path.getsize(path))


class Evil:
    def __reduce__(self):
        return (os.system, ("touch " + PWNED,))


class HParams(dict):          # a dict subclass, as Lightning's AttributeDict
    pass


class Foreign:                # an instance of a class the reader does not know
    def __init__(self):
        self.depth = 3
        self.name = "foreign"


class Rebuild:                # a tensor with the offset, size and stride given
    def __init__(self, storage, offset, size, stride):
        self.args = (storage, offset, size, stride, False, collections.OrderedDict())

    def __reduce__(self):
        return (torch._utils._rebuild_tensor_v2, self.args)


def fixed(name, compress=zipfile.ZIP_STORED):
    """A zip entry of a fixed date, so that the fixtures are the same every run."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = compress
    return info


def rewrite(src, dst, change):
    """Copies the archive src to dst with change(name, data) -> data (None drops it)."""
    with zipfile.ZipFile(os.path.join(OUT, src)) as zi, \
         zipfile.ZipFile(os.path.join(OUT, dst), "w", zipfile.ZIP_STORED) as zo:
        for info in zi.infolist():
            data = change(info.filename, zi.read(info.filename))
            if data is not None:
                zo.writestr(fixed(info.filename), data)


def raw_pickle(dst, pkl):
    with zipfile.ZipFile(os.path.join(OUT, dst), "w", zipfile.ZIP_DEFLATED) as zo:
        zo.writestr(fixed("archive/data.pkl", zipfile.ZIP_DEFLATED), pkl)
        zo.writestr(fixed("archive/version", zipfile.ZIP_DEFLATED), "3\n")


def bad_fixtures():
    errors = collections.OrderedDict()
    def bad(name, code):
        errors[name] = code
        print(name, os.path.getsize(os.path.join(OUT, name)))
    four = torch.arange(4, dtype=torch.float32)
    for name, code, offset, size, stride in [
            ("bad-offset.pt", "STORAGE", 3, (2,), (1,)),
            ("bad-stride.pt", "STORAGE", 0, (2, 2), (3, 1)),
            ("bad-stride-overflow.pt", "STORAGE", 0, (2, 2), (2 ** 62, 1)),
            ("bad-huge-shape.pt", "TOO_LARGE", 0, (2 ** 40, 2 ** 40), (0, 0)),
            ("bad-expand-bomb.pt", "TOO_LARGE", 0, (2 ** 28,), (0,)),
            ("bad-ndim.pt", "TOO_LARGE", 0, (1,) * 9, (0,) * 9)]:
        torch.save(collections.OrderedDict(w=Rebuild(four.storage(), offset, size, stride)),
                   os.path.join(OUT, name))
        bad(name, code)
    torch.save(collections.OrderedDict(w=torch.ones(4)), os.path.join(OUT, "w.tmp"))
    rewrite("w.tmp", "bad-short-storage.pt", lambda n, d: d[:8] if n.endswith("data/0") else d)
    bad("bad-short-storage.pt", "STORAGE")
    rewrite("w.tmp", "bad-missing-storage.pt", lambda n, d: None if n.endswith("data/0") else d)
    bad("bad-missing-storage.pt", "STORAGE")
    rewrite("w.tmp", "bad-no-pickle.pt", lambda n, d: None if n.endswith("data.pkl") else d)
    bad("bad-no-pickle.pt", "ZIP")
    rewrite("w.tmp", "bad-big-endian.pt", lambda n, d: d)
    with zipfile.ZipFile(os.path.join(OUT, "bad-big-endian.pt"), "a") as z:
        z.writestr(fixed("w/byteorder"), "big")
    bad("bad-big-endian.pt", "STORAGE")
    # a stored byte flipped without its CRC: libzip's check catches it
    raw = bytearray(open(os.path.join(OUT, "w.tmp"), "rb").read())
    at = raw.index(b"ctorch")
    raw[at + 1] ^= 0x20
    open(os.path.join(OUT, "bad-crc.pt"), "wb").write(raw)
    bad("bad-crc.pt", "ZIP")
    os.unlink(os.path.join(OUT, "w.tmp"))
    torch.save({"state_dict": collections.OrderedDict([("model.__metadata__", torch.ones(2))])},
               os.path.join(OUT, "bad-metadata-name.ckpt"))
    bad("bad-metadata-name.ckpt", "CONTENT")
    torch.save([torch.ones(2)], os.path.join(OUT, "bad-list.pt"))
    bad("bad-list.pt", "CONTENT")
    raw_pickle("bad-marks.pt", b"\x80\x02" + b"(" * 100001 + b"N.")
    bad("bad-marks.pt", "TOO_LARGE")
    raw_pickle("bad-memo.pt", b"\x80\x02Nr\xff\xff\xff\xff.")
    bad("bad-memo.pt", "TOO_LARGE")
    raw_pickle("bad-underflow.pt", b"\x80\x02}s.")
    bad("bad-underflow.pt", "PICKLE")
    raw_pickle("bad-string.pt", b"\x80\x02X\xff\xff\xff\x7fab.")
    bad("bad-string.pt", "PICKLE")
    raw_pickle("bad-protocol0.pt", b"(dp0\n.")
    bad("bad-protocol0.pt", "PICKLE")
    raw_pickle("bad-storage-call.pt", b"\x80\x02ctorch\nFloatStorage\n)R.")
    bad("bad-storage-call.pt", "UNSAFE")
    open(os.path.join(OUT, "bad-not-zip.pt"), "wb").write(b"PK\x03\x04 this is not a zip")
    bad("bad-not-zip.pt", "ZIP")
    with open(os.path.join(OUT, "errors.json"), "w") as f:
        json.dump(errors, f, indent=1)
        f.write("\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    g = torch.Generator().manual_seed(12)
    base = torch.randn(3, 4, generator=g)
    shared = torch.arange(8, dtype=torch.float32) * 0.25
    sd = collections.OrderedDict()
    sd["conv.weight"] = torch.randn(2, 3, generator=g)
    sd["f16"] = torch.tensor([1.0, -2.5, 65504.0], dtype=torch.float16)
    sd["bf16"] = torch.tensor([3.0, -0.125], dtype=torch.bfloat16)
    sd["f64"] = torch.tensor([[1.0, 2.0 ** -40], [-3.5, 1e300]], dtype=torch.float64)
    sd["num_batches_tracked"] = torch.tensor([-1, 7, 2 ** 40], dtype=torch.int64)
    sd["i32"] = torch.tensor([-5, 2 ** 30], dtype=torch.int32)
    sd["i16"] = torch.tensor([-300, 9], dtype=torch.int16)
    sd["i8"] = torch.tensor([-1, 127, 3], dtype=torch.int8)
    sd["mask"] = torch.tensor([True, False, False, True])
    sd["u8"] = torch.tensor([0, 1, 128, 254, 255], dtype=torch.uint8)
    sd["tau"] = torch.tensor(0.5)                         # a 0-d scalar
    sd["n_residual_timesteps"] = torch.tensor(2, dtype=torch.int32)
    sd["base"] = base
    sd["view"] = base[:, 1:3].t()                         # offset 1, strides (1, 4)
    sd["shared_a"] = shared[:4]
    sd["shared_b"] = shared[4:].view(2, 2)                # same storage, offset 4
    sd["empty"] = torch.zeros(0, 3)
    sd["param"] = torch.nn.Parameter(torch.tensor([0.5, -0.25]))   # _rebuild_parameter
    assert not sd["view"].is_contiguous()
    sd._metadata = collections.OrderedDict([("", {"version": 1}), ("conv", {"version": 2})])
    save("plain.pt", sd, expected(sd))

    msd = collections.OrderedDict()
    msd["model.layer1.conv.weight"] = torch.randn(2, 1, 3, 3, generator=g)
    msd["model.layer1.conv.bias"] = torch.randn(2, generator=g)
    msd["model.tau_layer1"] = torch.tensor(0.25)
    msd["model.n_residual_timesteps"] = torch.tensor(1, dtype=torch.int32)
    msd._metadata = collections.OrderedDict([("", {"version": 1})])
    params = [msd["model.layer1.conv.weight"], msd["model.layer1.conv.bias"]]
    hp = HParams(lr=0.001, n_timesteps=20, model_name="DyRCNNx2", dims=[3, 32, 32],
                 dropout=None, use_bias=True, nested={"a": 1.5, "b": [1, "two"]},
                 thing=Foreign())
    ckpt = {
        "epoch": 3,
        "global_step": 120,
        "pytorch-lightning_version": "1.9.0",
        "state_dict": msd,
        "loops": {"fit_loop": {"state_dict": {}, "epoch_progress": {"total": {"ready": 4}}}},
        "callbacks": {"ModelCheckpoint{'monitor': 'val_loss'}": {"best_model_score": torch.tensor(0.3),
                                                                "best_model_path": "/x/y.ckpt"}},
        "optimizer_states": [{
            "state": {i: {"step": torch.tensor(120.0), "exp_avg": torch.zeros_like(p),
                          "exp_avg_sq": torch.ones_like(p)} for i, p in enumerate(params)},
            "param_groups": [{"lr": 0.001, "betas": (0.9, 0.999), "eps": 1e-08,
                              "weight_decay": 0, "amsgrad": False, "params": [0, 1]}]}],
        "lr_schedulers": [],
        "hyper_parameters": hp,
    }
    save("lightning.ckpt", ckpt, expected(msd, "model."))

    # Never executed here: pickling only records the call.
    save("malicious-top.pt", Evil())
    save("malicious-value.pt", collections.OrderedDict([("w", torch.ones(2)), ("evil", Evil())]))
    save("malicious-hparams.ckpt", {"state_dict": collections.OrderedDict([("w", torch.ones(2))]),
                                    "hyper_parameters": {"evil": Evil(), "lr": 0.5}})
    assert not os.path.exists(PWNED)

    # a list holding itself twice: 2^depth nodes if unfolded naively
    loop = []
    loop.append(loop)
    loop.append(loop)
    save("cyclic-hparams.ckpt", {"state_dict": collections.OrderedDict([("w", torch.ones(2))]),
                                 "hyper_parameters": {"lr": 0.5, "loop": loop}})

    one = torch.tensor([1.5, -2.0])
    ex = collections.OrderedDict(row=one[:1].expand(3), grid=one.view(2, 1).expand(2, 3))
    save("expand.pt", ex, expected(ex))
    bad_fixtures()


if __name__ == "__main__":
    main()
