"""Minimal Fashion-MNIST IDX reader (gzip + struct + numpy only).

The IDX format (http://yann.lecun.com/exdb/mnist/):
    magic   : 4 bytes, big endian: 0x00 0x00 <dtype code> <ndim>
    dims    : ndim x uint32 big endian
    data    : prod(dims) elements of <dtype>, big endian, row-major

Fashion-MNIST uses dtype code 0x08 (unsigned byte): images are
idx3 (magic 0x00000803, dims [N, 28, 28]) and labels are idx1
(magic 0x00000801, dims [N]).
"""

import gzip
import hashlib
import os
import struct

import numpy as np

# IDX dtype code -> numpy big-endian dtype
_IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}

CLASSES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]

# Per-pixel statistics of the Fashion-MNIST training set (after /255).
MEAN = 0.2860
STD = 0.3530


class IdxFormatError(ValueError):
    """Raised when a file is not a well-formed IDX file."""


def parse_idx(buf, name="<buffer>", expect_ndim=None, expect_dtype=None):
    """Parse an uncompressed IDX byte buffer into a numpy array."""
    if len(buf) < 4:
        raise IdxFormatError(f"{name}: truncated: {len(buf)} bytes, need at least 4 for the magic")
    zero0, zero1, code, ndim = struct.unpack(">BBBB", buf[:4])
    magic = struct.unpack(">I", buf[:4])[0]
    if zero0 != 0 or zero1 != 0:
        raise IdxFormatError(f"{name}: bad magic 0x{magic:08x} (first two bytes must be 0)")
    if code not in _IDX_DTYPES:
        raise IdxFormatError(f"{name}: bad magic 0x{magic:08x}: unknown dtype code 0x{code:02x}")
    if ndim == 0:
        raise IdxFormatError(f"{name}: bad magic 0x{magic:08x}: zero dimensions")
    if expect_ndim is not None and ndim != expect_ndim:
        raise IdxFormatError(f"{name}: bad magic 0x{magic:08x}: expected {expect_ndim} dimensions, got {ndim}")
    dtype = _IDX_DTYPES[code]
    if expect_dtype is not None and dtype != np.dtype(expect_dtype):
        raise IdxFormatError(f"{name}: bad magic 0x{magic:08x}: expected dtype {expect_dtype}, got {dtype}")
    header_len = 4 + 4 * ndim
    if len(buf) < header_len:
        raise IdxFormatError(f"{name}: truncated header: {len(buf)} bytes, need {header_len} for {ndim} dims")
    dims = struct.unpack(">" + "I" * ndim, buf[4:header_len])
    count = int(np.prod(dims, dtype=np.int64))
    need = header_len + count * dtype.itemsize
    if len(buf) < need:
        raise IdxFormatError(
            f"{name}: truncated data: dims {list(dims)} need {need} bytes, file has {len(buf)}")
    if len(buf) > need:
        raise IdxFormatError(
            f"{name}: {len(buf) - need} trailing bytes after data (dims {list(dims)})")
    arr = np.frombuffer(buf, dtype=dtype, count=count, offset=header_len).reshape(dims)
    # native byte order, writable copy
    return arr.astype(dtype.newbyteorder("="), copy=True)


def read_idx(path, expect_ndim=None, expect_dtype=None):
    """Read an IDX file, gzip-compressed if the name ends in .gz."""
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            buf = f.read()
    except (OSError, EOFError) as e:  # gzip raises BadGzipFile (OSError) / EOFError on truncation
        raise IdxFormatError(f"{path}: cannot read: {e}") from e
    return parse_idx(buf, name=path, expect_ndim=expect_ndim, expect_dtype=expect_dtype)


def encode_idx(arr):
    """Encode a uint8 numpy array as an (uncompressed) IDX byte string."""
    arr = np.ascontiguousarray(arr)
    if arr.dtype != np.uint8:
        raise ValueError(f"only uint8 supported, got {arr.dtype}")
    header = struct.pack(">BBBB", 0, 0, 0x08, arr.ndim) + struct.pack(">" + "I" * arr.ndim, *arr.shape)
    return header + arr.tobytes()


def write_idx_gz(path, arr):
    """Write a gzip'd IDX file reproducibly (mtime=0, no file name in header)."""
    data = encode_idx(arr)
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
            gz.write(data)


def load_split(data_dir, split):
    """Return (images uint8 [N,28,28], labels uint8 [N]) for split 'train' or 'test'."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    ipath = os.path.join(data_dir, FILES[split + "_images"])
    lpath = os.path.join(data_dir, FILES[split + "_labels"])
    for p in (ipath, lpath):
        if not os.path.isfile(p):
            raise FileNotFoundError(
                f"{p} not found (install the Debian package dataset-fashion-mnist or pass --data DIR)")
    images = read_idx(ipath, expect_ndim=3, expect_dtype=np.uint8)
    labels = read_idx(lpath, expect_ndim=1, expect_dtype=np.uint8)
    if images.shape[0] != labels.shape[0]:
        raise IdxFormatError(f"{ipath}: {images.shape[0]} images but {lpath} has {labels.shape[0]} labels")
    if images.shape[1:] != (28, 28):
        raise IdxFormatError(f"{ipath}: expected 28x28 images, got {images.shape[1:]}")
    if labels.size and labels.max() >= len(CLASSES):
        raise IdxFormatError(f"{lpath}: label {labels.max()} out of range 0..{len(CLASSES) - 1}")
    return images, labels


def normalise(images):
    """uint8 [N,28,28] -> float32 [N,1,28,28], x = (pixel/255 - MEAN)/STD."""
    x = images.astype(np.float32) / np.float32(255.0)
    x = (x - np.float32(MEAN)) / np.float32(STD)
    return x[:, None, :, :].astype(np.float32, copy=False)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def dataset_hashes(data_dir):
    return {fn: sha256_file(os.path.join(data_dir, fn)) for fn in FILES.values()}
