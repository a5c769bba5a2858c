#!/usr/bin/python3
"""Write the small Fashion-MNIST sample bundled with the host for the offline demo.

    /usr/bin/python3 models/training/make_samples.py \
        [--data /usr/share/datasets/fashion-mnist] \
        [--out host/src/main/resources/dev/potaccel/samples]

Outputs (deterministic, byte-reproducible). From the *test* set:
    fmnist-test-1000-images-idx3-ubyte.gz   first 1000 test images, IDX3 uint8 [1000,28,28], gzip mtime=0
    fmnist-test-1000-labels-idx1-ubyte.gz   first 1000 test labels, IDX1 uint8 [1000], gzip mtime=0
    sample-8.npy                            first 8 test images normalised, float32 [8,1,28,28]
    sample-8.labels.txt                     their labels (0..9), one per line
    sample-<i>-<class>.png                  first 3 test images, raw 28x28 8-bit grayscale
From the *training* set (calibration only, never scored):
    fmnist-train-calib256-seed0-images-idx3-ubyte.gz  the 256 training images potaccel's calibration
    fmnist-train-calib256-seed0-labels-idx1-ubyte.gz  picks with seed 0, in index order (IDX3/IDX1, gzip)
    fmnist-train-calib256-seed0.indices.txt           their indices in the training split, one per line
"""

import argparse
import os
import re
import struct
import sys
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fashion_mnist as fm  # noqa: E402

N_IDX = 1000
N_NPY = 8
N_PNG = 3
N_CALIB = 256
CALIB_SEED = 0


class JavaRandom:
    """java.util.Random (its LCG is specified in the Javadoc), so that Python picks the same
    calibration images as dev.potaccel.data.FashionMnist.calibration(count, seed)."""

    MULT = 0x5DEECE66D
    MASK = (1 << 48) - 1

    def __init__(self, seed):
        self.seed = (seed ^ self.MULT) & self.MASK

    def next_bits(self, bits):
        self.seed = (self.seed * self.MULT + 0xB) & self.MASK
        v = self.seed >> (48 - bits)
        return v - (1 << bits) if bits == 32 and v >= 1 << 31 else v

    def next_int(self, bound):
        if bound & -bound == bound:  # a power of two
            return (bound * self.next_bits(31)) >> 31
        while True:
            bits = self.next_bits(31)
            val = bits % bound
            if bits - val + (bound - 1) < (1 << 31):  # Java's int overflow test
                return val


def calibration_indices(available, count, seed):
    """The partial Fisher-Yates shuffle of FashionMnist.calibration, sorted."""
    order = list(range(available))
    rnd = JavaRandom(seed)
    for i in range(count):
        j = i + rnd.next_int(available - i)
        order[i], order[j] = order[j], order[i]
    return sorted(order[:count])


def sanitise(name):
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def write_png_gray(path, img):
    """Write an 8-bit grayscale PNG (PIL if available, else zlib+struct)."""
    img = np.ascontiguousarray(img, dtype=np.uint8)
    try:
        from PIL import Image
        Image.fromarray(img, mode="L").save(path, format="PNG", optimize=False)
        return
    except ImportError:
        pass
    h, w = img.shape

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + img[r].tobytes() for r in range(h))  # filter type 0 per row
    png = (b"\x89PNG\r\n\x1a\n"
           + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw, 9))
           + chunk(b"IEND", b""))
    with open(path, "wb") as f:
        f.write(png)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--out", default="host/src/main/resources/dev/potaccel/samples")
    args = p.parse_args()

    images, labels = fm.load_split(args.data, "test")
    os.makedirs(args.out, exist_ok=True)

    ip = os.path.join(args.out, f"fmnist-test-{N_IDX}-images-idx3-ubyte.gz")
    lp = os.path.join(args.out, f"fmnist-test-{N_IDX}-labels-idx1-ubyte.gz")
    fm.write_idx_gz(ip, images[:N_IDX])
    fm.write_idx_gz(lp, labels[:N_IDX])
    # round-trip check
    assert np.array_equal(fm.read_idx(ip, 3, np.uint8), images[:N_IDX])
    assert np.array_equal(fm.read_idx(lp, 1, np.uint8), labels[:N_IDX])

    x = fm.normalise(images[:N_NPY])
    with open(os.path.join(args.out, f"sample-{N_NPY}.npy"), "wb") as f:
        np.lib.format.write_array(f, np.ascontiguousarray(x, dtype="<f4"), version=(1, 0), allow_pickle=False)
    with open(os.path.join(args.out, f"sample-{N_NPY}.labels.txt"), "w", encoding="ascii", newline="\n") as f:
        for lab in labels[:N_NPY]:
            f.write(f"{int(lab)}\n")

    for i in range(N_PNG):
        name = f"sample-{i}-{sanitise(fm.CLASSES[labels[i]])}.png"
        write_png_gray(os.path.join(args.out, name), images[i])

    train_images, train_labels = fm.load_split(args.data, "train")
    chosen = calibration_indices(len(train_images), N_CALIB, CALIB_SEED)
    stem = f"fmnist-train-calib{N_CALIB}-seed{CALIB_SEED}"
    fm.write_idx_gz(os.path.join(args.out, f"{stem}-images-idx3-ubyte.gz"), train_images[chosen])
    fm.write_idx_gz(os.path.join(args.out, f"{stem}-labels-idx1-ubyte.gz"), train_labels[chosen])
    with open(os.path.join(args.out, f"{stem}.indices.txt"), "w", encoding="ascii", newline="\n") as f:
        for i in chosen:
            f.write(f"{i}\n")

    for fn in sorted(os.listdir(args.out)):
        print(f"{os.path.getsize(os.path.join(args.out, fn)):9d}  {fn}")


if __name__ == "__main__":
    main()
