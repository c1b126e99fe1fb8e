#!/usr/bin/env python3
"""Write the hostile-input corpus of scripts/hostile_campaign.sh (Python standard library only).

    python3 scripts/hostile_corpus.py OUT_DIR REPO_DIR

Writes the hostile files into OUT_DIR and OUT_DIR/cases.tsv, one case a line:

    family <TAB> expect <TAB> output-or-- <TAB> argv (memsnn's arguments, TAB-separated)

`expect` is `fail` when the input is invalid by construction (a wrong header, a truncation of a
file whose size is declared, an implausible value): exit 0 is then a silent wrong answer. It is
`any` when the mutation may leave a valid file (a byte flip in data), where exit 0 is fine.
`output` is a file the command would write, which must not exist after a failure.
All mutations are seeded: the same corpus every run.
"""

import gzip
import os
import random
import struct
import sys

OUT, REPO = sys.argv[1], sys.argv[2]
RNG = random.Random(20261202)
CASES = []
MLP = os.path.join(REPO, "netlists/mnist-mlp/model.nir")
CNN = os.path.join(REPO, "netlists/fashion-cnn/model.nir")
LABELS = os.path.join(REPO, "netlists/mnist-mlp/data/test-labels-idx1-ubyte.gz")
IMAGES = os.path.join(REPO, "netlists/mnist-mlp/data/test-images-idx3-ubyte.gz")
NETLIST = os.path.join(REPO, "netlists/mnist-mlp/netlist.ron")
HUGE32 = [0xFFFFFFFF, 0x7FFFFFFF, 100000, 1 << 20, 0x80000000]


def write(name, data):
    p = os.path.join(OUT, name)
    with open(p, "wb") as f:
        f.write(data)
    return p


def case(family, expect, argv, output="-"):
    CASES.append("\t".join([family, expect, output] + list(argv)))


def emulate(data, labels):
    return ["emulate", "--network", MLP, "--data", data, "--labels", labels, "--ideal",
            "--samples", "5"]


def idx(magic, dims, payload):
    return struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in dims) + payload


# A small valid IDX pair: the first 8 MNIST test images and labels.
with gzip.open(IMAGES) as f:
    img = f.read(16 + 8 * 784)
img = idx(0x803, [8, 28, 28], img[16:])
with gzip.open(LABELS) as f:
    lab = f.read(8 + 8)
lab = idx(0x801, [8], lab[8:])

IMG8 = write("idx_8", img)
LAB8 = write("idx_8_labels", lab)

# --- IDX images and labels -------------------------------------------------------------
for which, seed in [("images", img), ("labels", lab)]:
    hdr = 16 if which == "images" else 8
    for k in range(40):  # truncations (a raw IDX file's size is declared: always invalid)
        n = RNG.randrange(0, len(seed))
        p = write(f"idx_{which}_cut{k}", seed[:n])
        a = emulate(p, LAB8) if which == "images" else emulate(IMG8, p)
        case(f"idx-{which}-truncated", "fail", a)
    for k in range(30):  # header fields overwritten with huge values
        b = bytearray(seed)
        at = 4 + 4 * RNG.randrange(0, (hdr - 4) // 4)
        v = RNG.choice(HUGE32)
        if struct.unpack(">I", b[at:at + 4])[0] == v:
            continue
        b[at:at + 4] = struct.pack(">I", v)
        for gz in (False, True):
            data = gzip.compress(bytes(b)) if gz else bytes(b)
            p = write(f"idx_{which}_huge{k}{'.gz' if gz else ''}", data)
            a = emulate(p, LAB8) if which == "images" else emulate(IMG8, p)
            case(f"idx-{which}-header", "fail", a)
    for k in range(30):  # byte flips anywhere (may stay valid)
        b = bytearray(seed)
        for _ in range(RNG.randrange(1, 4)):
            i = RNG.randrange(0, len(b))
            b[i] ^= RNG.randrange(1, 256)
        p = write(f"idx_{which}_flip{k}", bytes(b))
        a = emulate(p, LAB8) if which == "images" else emulate(IMG8, p)
        in_header = any(x != y for x, y in zip(b[:hdr], seed[:hdr]))
        case(f"idx-{which}-flip", "fail" if in_header else "any", a)
# Overflowing size product (116 bytes), gzip bomb, /dev/zero, 4-D IDX of the wrong size.
p = write("idx_overflow", idx(0x803, [0xFFFFFFFF] * 3, b"").ljust(116, b"\0"))
case("idx-overflow", "fail", emulate(p, LAB8))
p = write("idx_bomb.gz", gzip.compress(idx(0x803, [10000, 1000, 1000], b"") + bytes(10 << 20)))
case("idx-gzip-bomb", "fail", emulate(p, LAB8))
p = write("idx_bomb_small.gz", gzip.compress(idx(0x803, [8, 28, 28], b"") + bytes(10 << 20)))
case("idx-gzip-trailing", "fail", emulate(p, LAB8))
case("idx-dev-zero", "fail", emulate("/dev/zero", LAB8))
case("idx-dev-zero", "fail", emulate(IMG8, "/dev/zero"))
p = write("idx_4d", idx(0x804, [8, 1, 28, 28], img[16:]))
case("idx-4d-valid", "any", emulate(p, LAB8))
p = write("idx_zero_images", idx(0x803, [0, 28, 28], b""))
case("idx-zero-samples", "fail", emulate(p, write("idx_zero_labels", idx(0x801, [0], b""))))
p = write("idx_label_range", idx(0x801, [8], bytes([0, 1, 200, 3, 4, 5, 6, 7])))
case("idx-label-outside-outputs", "fail", emulate(IMG8, p))


# --- npy ------------------------------------------------------------------------------------
def npy(descr, shape, payload, fortran=False, version=1):
    shape_s = "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
    text = ("{'descr': '%s', 'fortran_order': %s, 'shape': %s, }"
            % (descr, "True" if fortran else "False", shape_s)).encode()
    lenbytes = 2 if version == 1 else 4
    while (8 + lenbytes + len(text) + 1) % 64:
        text += b" "
    text += b"\n"
    ln = struct.pack("<H", len(text)) if version == 1 else struct.pack("<I", len(text))
    return b"\x93NUMPY" + bytes([version, 0]) + ln + text + payload


npy_img = npy("|u1", [8, 28, 28], img[16:])
npy_lab = npy("<i8", [8], b"".join(struct.pack("<q", x) for x in lab[8:]))
X = write("x.npy", npy_img)
Y = write("y.npy", npy_lab)
case("npy-valid", "any", emulate(X, Y))
for which, seed in [("images", npy_img), ("labels", npy_lab)]:
    for k in range(30):
        n = RNG.randrange(0, len(seed))
        p = write(f"npy_{which}_cut{k}.npy", seed[:n])
        case(f"npy-{which}-truncated", "fail", emulate(p, Y) if which == "images" else emulate(X, p))
    for k in range(30):
        b = bytearray(seed)
        for _ in range(RNG.randrange(1, 4)):
            i = RNG.randrange(0, len(b))
            b[i] ^= RNG.randrange(1, 256)
        p = write(f"npy_{which}_flip{k}.npy", bytes(b))
        in_header = any(x != y for x, y in zip(b[:128], seed[:128]))
        case(f"npy-{which}-flip", "fail" if in_header else "any",
             emulate(p, Y) if which == "images" else emulate(X, p))
for k, shape in enumerate([[100000, 100000], [2 ** 64 - 1, 2], [2 ** 32] * 3, [8, 3, 32, 32],
                           [9, 28, 28], [8], [0, 28, 28]]):
    p = write(f"npy_shape{k}.npy", npy("<f8" if k == 0 else "|u1", shape, img[16:]))
    case("npy-declared-shape", "fail", emulate(p, Y))
for k, descr in enumerate(["<c16", "<U4", "|b1", "<f2", "O", "<i2"]):
    p = write(f"npy_dtype{k}.npy", npy(descr, [8, 28, 28], img[16:]))
    case("npy-dtype", "fail", emulate(p, Y))
p = write("npy_float_labels.npy", npy("<f4", [8], bytes(32)))
case("npy-dtype", "fail", emulate(X, p))
p = write("npy_2d_labels.npy", npy("<i8", [8, 1], npy_lab[-64:]))
case("npy-labels-shape", "fail", emulate(X, p))
p = write("npy_biglen.npy", b"\x93NUMPY\x02\x00" + struct.pack("<I", 0xFFFFFFFF) + b"{")
case("npy-header-length", "fail", emulate(p, Y))
p = write("npy_nested.npy", npy("|u1", [8], b"")[:10] + b"(" * 5000)
case("npy-header-nesting", "fail", emulate(p, Y))
p = write("npy_nan.npy", npy("<f4", [8, 784], struct.pack("<f", float("nan")) * (8 * 784)))
case("npy-nan-images", "fail", emulate(p, Y))
p = write("npy_200B.npy", npy("<f8", [100000, 100000], b"").ljust(200, b"\0"))
case("npy-200-bytes-80-GB", "fail", emulate(p, Y))

# --- NIR ------------------------------------------------------------------------------------
for src, n_cut, n_flip in [(os.path.join(REPO, "tests/data/nir/fixtures/lif_norse.nir"), 20, 20),
                           (CNN, 20, 30)]:
    seed = open(src, "rb").read()
    base = os.path.basename(src)
    for k in range(n_cut):
        p = write(f"nir_cut{k}_{base}", seed[:RNG.randrange(0, len(seed))])
        case("nir-truncated", "fail", ["import", p])
    for k in range(n_flip):
        b = bytearray(seed)
        for _ in range(RNG.randrange(1, 5)):
            i = RNG.randrange(0, len(b))
            b[i] ^= RNG.randrange(1, 256)
        p = write(f"nir_flip{k}_{base}", bytes(b))
        case("nir-flip", "any", ["import", p])
    for k in range(n_flip):
        b = bytearray(seed)
        at = RNG.randrange(0, len(b) - 8)
        b[at:at + 8] = struct.pack("<Q", RNG.choice([2 ** 64 - 1, 2 ** 40, 4 * 10 ** 7, 2 ** 31]))
        p = write(f"nir_huge{k}_{base}", bytes(b))
        case("nir-field-overwrite", "any", ["import", p])
for f in ["huge_chunked_weight.nir", "huge_edges.nir"]:
    case("nir-declared-shape", "fail", ["import", os.path.join(REPO, "tests/data/hostile", f)])
case("nir-dev-zero", "fail", ["import", "/dev/zero"])
case("nir-not-hdf5", "fail", ["import", IMAGES])

# --- RON: device cards, chip specs, netlists ---------------------------------------------------
STATS = ["--targets", "1e-6", "--times", "1", "--n", "1000"]
for k, (stat, expect) in enumerate([
    ("g_max: 1e300", "fail"), ("g_max: 1e-320", "fail"), ("g_max: NaN", "fail"),
    ("g_max: -1.0", "fail"), ("g_max: inf", "fail"),
    ("drift: PowerLaw(nu_mean: 5.0, nu_std: 0.0, t0: 1.0)", "fail"),
    ("drift: PowerLaw(nu_mean: 0.05, nu_std: 0.0, t0: 1e300)", "fail"),
    ("programming: Proportional(frac: 1e6)", "fail"),
    ("programming: Constant(sigma: 1.0)", "fail"),
    ("per_read: Proportional(frac: 50.0)", "fail"),
    ("d2d: (g_min_frac: 0.0, g_max_frac: 1e9)", "fail"),
    ("read_noise: Flicker(q_coeff: 1e300, q_exp: 0.65, q_max: 0.2, t0: 20.0, t_read: 2.5e-7)", "fail"),
    ("levels: Uniform(4000000000)", "any"),
    ("g_min: 1e-320", "any"),
]):
    p = write(f"card{k}.ron", f"(version: 1, statistics: ({stat}))".encode())
    case("ron-device-card", expect, ["device", "stats", p] + STATS)
for name in os.listdir(os.path.join(REPO, "devices")):
    seed = open(os.path.join(REPO, "devices", name), "rb").read()
    for k in range(8):
        b = bytearray(seed)
        if k % 2:
            b = b[:RNG.randrange(0, len(b))]
        else:
            for _ in range(3):
                i = RNG.randrange(0, len(b))
                b[i] = RNG.randrange(0, 256)
        p = write(f"card_{k}_{name}", bytes(b))
        case("ron-device-mutated", "any", ["device", "stats", p] + STATS)
p = write("card_deep.ron", b"(statistics: " + b"(" * 100000)
case("ron-deep-nesting", "fail", ["device", "stats", p] + STATS)
p = write("card_huge.ron", b" " * (17 << 20))
case("ron-17-MiB", "fail", ["device", "stats", p] + STATS)
case("ron-dev-zero", "fail", ["device", "stats", "/dev/zero"] + STATS)
for k, spec in enumerate([
    "(mesh: (width: 100000, height: 100000))", "(delivery: Steps(4000000000))",
    "(core: (adc_bits: Some(1)))", "(core: (rows: 1000000000))",
    "(core: (neurons: 18446744073709551615))", "(energy: (synaptic_op: 1e300))",
    "(energy: (hop: NaN))", "(timing: (tick: 1e300))", "(mesh: (width: 0, height: 3))",
    "(core: (adcs: 0))",
]):
    p = write(f"chip{k}.ron", spec.encode())
    case("ron-chip-spec", "fail", ["map", NETLIST, "--chip", p])
for k in range(10):
    seed = open(os.path.join(REPO, "netlists/chips/loihi.ron"), "rb").read()
    b = bytearray(seed)
    for _ in range(3):
        b[RNG.randrange(0, len(b))] = RNG.randrange(0, 256)
    p = write(f"chip_flip{k}.ron", bytes(b))
    case("ron-chip-mutated", "any", ["map", NETLIST, "--chip", p])

# --- physical checks and unbounded commands -------------------------------------------------------
IV = os.path.join(OUT, "iv_out.svg")
for a in [["--amplitude", "1e300"], ["--amplitude", "NaN"], ["--amplitude", "1e5"],
          ["--freq", "1e30"], ["--freq", "1e-30"], ["--freq", "0"], ["--cycles", "0"]]:
    case("iv-range", "fail", ["iv", "hp-tio2", "--out", IV] + a, IV)
case("device-stats-n-1e12", "fail",
     ["device", "stats", "pcm", "--targets", "1e-6", "--times", "1", "--n", "1000000000000"])
G = write("g2000.npy", npy("<f8", [2000, 2000], struct.pack("<d", 1e-6) * (2000 * 2000)))
V = write("v2000.npy", npy("<f8", [2000], struct.pack("<d", 0.1) * 2000))
OUTI = os.path.join(OUT, "i2000.npy")
case("crossbar-2000x2000", "fail",
     ["crossbar", "--r-wire", "1", "--conductances", G, "--voltages", V, "--out", OUTI], OUTI)
GH = write("g_hdr.npy", npy("<f8", [100000, 100000], b""))
case("crossbar-npy-header", "fail", ["crossbar", "--conductances", GH, "--voltages", V])

with open(os.path.join(OUT, "cases.tsv"), "w") as f:
    f.write("\n".join(CASES) + "\n")
print(len(CASES), "cases written to", os.path.join(OUT, "cases.tsv"))
