#!/usr/bin/python3
"""Independent writer of dataset fixtures for the C++ readers (tests/data/datasets_test.cpp).

Writes, under DIR, the official layouts with plain CPython pickle + NumPy:
  cifar-10-batches-py/   Python-2-style pickles: protocol 2, byte-string keys written as
                         SHORT_BINSTRING/BINSTRING (as Python 2's cPickle wrote the real files)
  cifar-10-batches-bin/  the binary layout with the same images and labels
  cifar-100-python/      Python-2-style pickles, fine_labels + coarse_labels
  ImageNet16/            Python 3 default-protocol pickles with str keys (as the downsampling
                         scripts wrote them); labels 1-based 1..1000
Image i of a set has pixel byte (i * 7 + j * 3 + salt) % 256 at flat position j of its row.
Labels: CIFAR-10 (i * 3 + salt) % 10, CIFAR-100 (i * 7 + salt) % 100, ImageNet16 1 + (i * 13 + salt) % 200.
Exit 77 when NumPy is missing.
"""
import io
import os
import pickle
import struct
import sys

try:
    import numpy as np
except ImportError:
    sys.exit(77)


class Py2Pickler(pickle._Pickler):
    """Protocol 2 with bytes written as Python 2 `str` (BINSTRING), like cPickle in Python 2."""

    def save_bytes(self, obj):
        n = len(obj)
        if n < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([n]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", n) + obj)
        self.memoize(obj)

    dispatch = pickle._Pickler.dispatch.copy()
    dispatch[bytes] = save_bytes


def py2_dump(obj, path):
    buf = io.BytesIO()
    Py2Pickler(buf, protocol=2).dump(obj)
    with open(path, "wb") as f:
        f.write(buf.getvalue())


def images(n, row, salt):
    i = np.arange(n, dtype=np.int64)[:, None]
    j = np.arange(row, dtype=np.int64)[None, :]
    return ((i * 7 + j * 3 + salt) % 256).astype(np.uint8)


def main(root):
    c10 = os.path.join(root, "cifar-10-batches-py")
    c10b = os.path.join(root, "cifar-10-batches-bin")
    c100 = os.path.join(root, "cifar-100-python")
    inet = os.path.join(root, "ImageNet16")
    for d in (c10, c10b, c100, inet):
        os.makedirs(d, exist_ok=True)
    # CIFAR-10: 5 training files of 20 images (salt = file number), test of 30 (salt 0).
    for k in range(1, 7):
        name = "data_batch_%d" % k if k <= 5 else "test_batch"
        n = 20 if k <= 5 else 30
        salt = k if k <= 5 else 0
        data = images(n, 3072, salt)
        labels = [int((i * 3 + salt) % 10) for i in range(n)]
        py2_dump({b"batch_label": b"fixture", b"labels": labels, b"data": data,
                  b"filenames": [b"f%d.png" % i for i in range(n)]}, os.path.join(c10, name))
        with open(os.path.join(c10b, name + ".bin"), "wb") as f:
            for i in range(n):
                f.write(bytes([labels[i]]) + data[i].tobytes())
    py2_dump({b"label_names": [b"c%d" % i for i in range(10)]}, os.path.join(c10, "batches.meta"))
    # CIFAR-100: train 40 (salt 11), test 20 (salt 12).
    for name, n, salt in (("train", 40, 11), ("test", 20, 12)):
        fine = [int((i * 7 + salt) % 100) for i in range(n)]
        py2_dump({b"filenames": [b"x"] * n, b"batch_label": b"fixture", b"fine_labels": fine,
                  b"coarse_labels": [f // 5 for f in fine], b"data": images(n, 3072, salt)},
                 os.path.join(c100, name))
    # ImageNet16: 10 training files of 12 images (salt 20 + k), val of 25 (salt 40).
    for k in range(1, 12):
        name = "train_data_batch_%d" % k if k <= 10 else "val_data"
        n = 12 if k <= 10 else 25
        salt = 20 + k if k <= 10 else 40
        entry = {"data": images(n, 768, salt),
                 "labels": [int(1 + (i * 13 + salt) % 200) for i in range(n)]}
        if k <= 10:
            entry["mean"] = np.zeros(768, dtype=np.float64)
        with open(os.path.join(inet, name), "wb") as f:
            pickle.dump(entry, f)
    # Self-check: the Python-2-style files load in Python 3 as the real ones do.
    with open(os.path.join(c10, "data_batch_1"), "rb") as f:
        entry = pickle.load(f, encoding="latin1")
    assert entry["data"].shape == (20, 3072) and entry["labels"][1] == 4


if __name__ == "__main__":
    main(sys.argv[1])
