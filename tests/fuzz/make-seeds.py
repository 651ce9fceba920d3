#!/usr/bin/env python3
"""Writes the seed corpora of tests/fuzz/corpus/TARGET/ (doc/fuzzing.md).

Seeds are small valid inputs, one per feature a reader has, in the layouts
the targets expect (fuzz-idx.c, fuzz-cifar.c).  Image seeds for the folder
target are made here (PNG, BMP, PPM, PGM) or copied from CPython's test data
(JPEG, GIF, TIFF; gdk-pixbuf on Debian 12 reads no WebP) when it is installed.  Regression inputs (crashes the
fuzzers found) live beside the seeds as regress-*; this script never removes
them.  Run from anywhere: python3 tests/fuzz/make-seeds.py
"""
import copy, glob, gzip, json, os, shutil, struct, sys, sysconfig, zipfile, zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def put(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def gz(b):
    return gzip.compress(b, mtime=0)


# --- safetensors -----------------------------------------------------------
def safetensors(tensors, metadata=None):
    header, blob = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, data in tensors:
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [len(blob), len(blob) + len(data)]}
        blob += data
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - (8 + len(h)) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + blob

f32 = lambda *v: struct.pack("<%df" % len(v), *v)
put("safetensors", "f32-2x3", safetensors([("w", "F32", [2, 3], f32(1, 2, 3, 4, 5, 6))]))
put("safetensors", "metadata", safetensors(
    [("a.weight", "F32", [2], f32(0.5, -1)), ("a.bias", "F32", [], f32(3))],
    {"format": "pt", "dynvision.model": "DyRCNNx2"}))
put("safetensors", "dtypes", safetensors([
    ("d", "F64", [1], struct.pack("<d", 1.5)), ("h", "F16", [2], b"\x00\x3c\x00\xc0"),
    ("b", "BF16", [1], b"\x80\x3f"), ("l", "I64", [2], struct.pack("<2q", -1, 7)),
    ("i", "I32", [1], struct.pack("<i", -5)), ("s", "I16", [1], struct.pack("<h", 9)),
    ("c", "I8", [3], b"\x01\xff\x7f"), ("u", "U8", [1], b"\xfe"), ("t", "BOOL", [2], b"\x00\x01")]))
put("safetensors", "empty-tensor", safetensors([("e", "F32", [0, 4], b""), ("x", "U8", [1], b"\x02")]))
put("safetensors", "no-tensors", safetensors([], {"k": "v"}))

# --- torch.save archives ----------------------------------------------------
# The reader's fixtures, written by torch 1.13 (tests/tools/make-torch-fixtures.py): every
# dtype, views, shared storages, a Lightning checkpoint, the malicious pickles and a few
# hostile archives (the large-shape ones are the interesting bounds).
for name in ["plain.pt", "lightning.ckpt", "expand.pt", "malicious-top.pt", "malicious-value.pt",
             "malicious-hparams.ckpt", "bad-offset.pt", "bad-stride-overflow.pt",
             "bad-expand-bomb.pt", "bad-short-storage.pt", "bad-memo.pt", "bad-storage-call.pt"]:
    with open(os.path.join(ROOT, "tests", "data", "torch", name), "rb") as f:
        put("torch", name, f.read())
    # the same as the target's "DVPK" form: storages and data.pkl, zipped by the target
    with zipfile.ZipFile(os.path.join(ROOT, "tests", "data", "torch", name)) as z:
        names = z.namelist()
        top = next(n for n in names if n.endswith("/data.pkl")).split("/")[0]
        keys = sorted(int(n.split("/")[-1]) for n in names if n.startswith(top + "/data/"))
        if keys != list(range(len(keys))) or len(keys) > 255:
            continue
        parts = b"DVPK" + bytes([len(keys)])
        for k in keys:
            d = z.read("%s/data/%d" % (top, k))
            parts += struct.pack("<H", len(d)) + d
        put("torch", "parts-" + name, parts + z.read(top + "/data.pkl"))

# --- JSON ------------------------------------------------------------------
for name, text in {
    "object": '{"a": [1, 2.0, -3e-5, true, false, null], "b": {"c": "d\\u00e9\\n"}}',
    "numbers": '[0, -0, 1e308, 5e-324, 9223372036854775807, -9223372036854775808, '
               '9223372036854775808, 0.1, 2.5e+3, NaN, Infinity, -Infinity]',
    "strings": '["", "\\"\\\\\\/\\b\\f\\n\\r\\t", "\\ud83d\\ude00", "\\u0000x", "é€😀"]',
    "duplicate": '{"k": 1, "k": 2, "nested": [[[[{}]]]]}',
    "scalar": '  "just a string"  ',
}.items():
    put("json", name, text)

# --- model descriptions ------------------------------------------------------
with open(os.path.join(ROOT, "train", "models", "dyrcnnx2-tiny-embedded.json")) as f:
    tiny = json.load(f)
small = copy.deepcopy(tiny)
small["input_dims"] = [2, 1, 8, 8]
small["config"]["input_dims"] = [2, 1, 8, 8]
small["layers"][0].update(in_channels=1, out_channels=4)
small["layers"][1].update(in_channels=4, out_channels=4)
put("desc", "dyrcnnx2-small", json.dumps(small, indent=1))
fb = copy.deepcopy(small)
fb["feedback"] = True
fb["dynamics_solver"] = "rk4"
fb["layers"][0]["recurrence_type"] = "depthpointwise"
fb["layers"][1]["recurrence_type"] = "self"
fb["layers"][1]["pool"] = {"kind": "avg", "kernel_size": 2, "stride": 2, "padding": 0}
fb["connections"].append({"kind": "feedback", "name": "addfeedback_layer1", "source": "layer2",
                          "target": "layer1", "op": "addfeedback", "form": "adapt",
                          "t_ms": 30.0, "integration": "additive", "source_alias": True})
put("desc", "feedback-rk4", json.dumps(fb, indent=1))
one = copy.deepcopy(small)
one["layers"] = one["layers"][:1]
one["connections"] = []
one["skip"] = False
one["layers"][0]["recurrence_type"] = "none"
put("desc", "one-layer", json.dumps(one))
for p in sorted(glob.glob(os.path.join(ROOT, "train", "models", "*.json"))):
    with open(p) as f:
        put("desc", os.path.basename(p)[:-5], f.read())

# --- projects ----------------------------------------------------------------
project = {"format": "dynvision-workbench-project", "version": 1, "model": small,
           "weights": None, "seed": 7,
           "stimulus": {"dataset": "embedded", "sample": 3,
                        "presentation": "loader=StimulusDuration n_timesteps=20"},
           "training": {"epochs": "5", "lr": 0.001, "amp": False},
           "view": {"layer": "layer2"}}
put("project", "full", json.dumps(project, indent=1))
bare = {"format": "dynvision-workbench-project", "version": 1, "model": one}
put("project", "bare", json.dumps(bare))
put("project", "weights-missing", json.dumps(dict(bare, weights="run.safetensors")))

# --- idx ----------------------------------------------------------------------
def idx_input(images, labels, gz_images=False, gz_labels=False):
    if gz_images:
        images = gz(images)
    if gz_labels:
        labels = gz(labels)
    return bytes([int(gz_images) | int(gz_labels) << 1]) + struct.pack("<I", len(images)) \
        + images + labels

imgs = struct.pack(">IIII", 0x803, 3, 4, 4) + bytes(range(0, 240, 5))
labs = struct.pack(">II", 0x801, 3) + bytes([0, 2, 9])
put("idx", "plain-3x4x4", idx_input(imgs, labs))
put("idx", "gz-both", idx_input(imgs, labs, True, True))
put("idx", "gz-images", idx_input(imgs, labs, True, False))
one_img = struct.pack(">IIII", 0x803, 1, 1, 1) + b"\x80"
put("idx", "one-pixel", idx_input(one_img, struct.pack(">II", 0x801, 1) + b"\x00", False, True))

# --- CIFAR ------------------------------------------------------------------
def cifar_input(c100, names, records):
    n = names.encode()
    return bytes([int(c100)]) + struct.pack("<H", len(n)) + n + b"".join(records)

pix = bytes((i * 7) % 256 for i in range(3072))
put("cifar", "cifar10-2", cifar_input(False, "\n".join("abcdefghij") + "\n",
                                      [b"\x03" + pix, b"\x09" + pix[::-1]]))
put("cifar", "cifar10-no-names", cifar_input(False, "", [b"\x00" + pix]))
put("cifar", "cifar100-1", cifar_input(True, "\n".join("c%d" % i for i in range(100)),
                                       [b"\x02\x63" + pix]))

# --- image folder entries -----------------------------------------------------
def png(w, h, color_type, rows):
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    raw = b"".join(b"\x00" + r for r in rows)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, color_type,
                                                              0, 0, 0)) \
        + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")

put("folder", "rgb-3x2.png", png(3, 2, 2, [bytes(range(9)), bytes(range(100, 109))]))
put("folder", "rgba-2x2.png", png(2, 2, 6, [bytes(range(8)), bytes(range(50, 58))]))
put("folder", "grey-4x1.png", png(4, 1, 0, [b"\x00\x40\x80\xff"]))
put("folder", "rgb-2x2.ppm", b"P6\n2 2\n255\n" + bytes(range(12)))
put("folder", "grey-2x2.pgm", b"P5\n2 2\n255\n\x00\x55\xaa\xff")
row = b"\x00\x00\xff\x00\xff\x00" + b"\x00\x00"  # 2 BGR pixels + padding to 4 bytes
put("folder", "rgb-2x2.bmp", b"BM" + struct.pack("<IHHI", 14 + 40 + 16, 0, 0, 54)
    + struct.pack("<IiiHHIIiiII", 40, 2, 2, 1, 24, 0, 16, 2835, 2835, 0, 0) + row + row)
cpython = os.path.join(sysconfig.get_paths()["stdlib"], "test", "test_email", "data")
for ext in ("jpg", "gif", "tiff"):
    src = os.path.join(cpython, "python." + ext)
    if os.path.exists(src):
        shutil.copyfile(src, os.path.join(HERE, "corpus", "folder", "python." + ext))
    else:
        print("make-seeds: no %s (CPython's test data); the folder corpus lacks a .%s seed"
              % (src, ext), file=sys.stderr)
