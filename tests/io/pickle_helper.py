#!/usr/bin/python3
"""Independent side of the natsbench pickle tests: CPython's own pickle (+ NumPy).

Modes:
  pickle_helper.py check
      exit 0 when numpy imports (the tests skip otherwise).
  pickle_helper.py fixtures DIR
      writes pickles made by CPython (protocols 0-5, Python-2 style byte strings, NumPy scalars
      and arrays, bz2) into DIR, and DIR/expected.txt: "<file>\t<bz2|raw>\t<canonical text>".
  pickle_helper.py canon [--lenient] FILE
      prints the canonical text of the object pickled in FILE (.pbz2: bz2-compressed).
  pickle_helper.py compare [--lenient] OURS OFFICIAL [OURS OFFICIAL ...]
      loads each pair with pickle.load and checks they hold the same object: same types
      (unless --lenient: OrderedDict == dict, NumPy scalar == Python number), same key orders,
      bit-identical floats; plus the NATS-Bench schema checks of docs/archive-format.md §3. Prints OK.

The canonical text is the same as tests/io/io_test_util.h canon(): a value-exact, order-exact
rendering (floats as IEEE bits, strings as UTF-8 hex).
"""
import bz2
import collections
import os
import pickle
import struct
import sys

import numpy as np


def fnv1a64(data):
    h = 0xCBF29CE484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return "%016x" % h


def float_bits(x):
    return "f%016x" % struct.unpack("<Q", struct.pack("<d", x))[0]


def canon(o, lenient=False):
    c = lambda x: canon(x, lenient)
    if o is None:
        return "N"
    if o is True:
        return "T"
    if o is False:
        return "F"
    if isinstance(o, np.ndarray):
        fortran = o.flags.f_contiguous and not o.flags.c_contiguous
        data = o.tobytes(order="F" if fortran else "C")
        shape = "x".join(str(d) for d in o.shape)
        return "A%s:%s:%s:%s" % (o.dtype.str, shape, "F" if fortran else "C", fnv1a64(data))
    if isinstance(o, np.generic):
        if lenient:
            if isinstance(o, np.bool_):
                return "T" if bool(o) else "F"
            if isinstance(o, np.integer):
                return "i%d" % int(o)
            if isinstance(o, np.floating) and o.dtype.itemsize in (4, 8):
                return float_bits(float(o))
        return "S%s:%s" % (o.dtype.str, o.tobytes().hex())
    if isinstance(o, int):
        return "i%d" % o
    if isinstance(o, float):
        return float_bits(o)
    if isinstance(o, str):
        return "s" + o.encode("utf-8", "surrogatepass").hex()
    if isinstance(o, (bytes, bytearray)):
        return "b" + bytes(o).hex()
    if isinstance(o, list):
        return "[" + ",".join(c(x) for x in o) + "]"
    if isinstance(o, tuple):
        return "(" + ",".join(c(x) for x in o) + ")"
    if isinstance(o, (set, frozenset)):
        return "{" + ",".join(c(x) for x in o) + "}"
    if isinstance(o, dict):
        tag = "o" if isinstance(o, collections.OrderedDict) and not lenient else "d"
        return tag + "{" + ",".join(c(k) + ":" + c(v) for k, v in o.items()) + "}"
    raise TypeError("cannot canonicalize %r" % type(o))


def load_file(path, encoding="ASCII"):
    with open(path, "rb") as f:
        data = f.read()
    if path.endswith(".pbz2") or path.endswith(".bz2"):
        data = bz2.decompress(data)
    return pickle.loads(data, encoding=encoding)


# ---------------------------------------------------------------------------------------------
# fixtures


def fixture_cases():
    # (No big-endian arrays: NumPy byte-swaps them to native order when unpickling, while
    # pickle::load keeps the stored dtype and bytes; a C++ unit test covers that case.)
    shared = [1, 2]
    rng = np.random.RandomState(7)
    cifar = rng.randint(0, 256, size=(20, 3072)).astype(np.uint8)
    record = collections.OrderedDict()
    record["name"] = "cifar10-valid"
    record["train_times"] = collections.OrderedDict((i, 7.221092998981476) for i in range(12))
    record["params"] = np.float64(0.129306)
    record["latency"] = [np.float64(0.0139359758611311)]
    record["flop"] = 15.64737
    return {
        "none": None,
        "bools": [True, False],
        "ints": [0, 1, 255, 256, 65535, 65536, -1, -256, 2**31 - 1, -(2**31), 2**31,
                 -(2**31) - 1, 2**63 - 1, -(2**63), 123456789012, -128, 127, 32768],
        "floats": [0.0, -0.0, 0.1, 1e308, -1e-308, 5e-324, float("inf"), float("-inf"),
                   3.141592653589793, float("nan"), 63.239999999999995],
        "strs": ["", "a", "x" * 14, "y" * 15, "\u00fc\u20ac\U0001F600", "z" * 300,
                 "line\nbreak\\back", "tab\there", "back\\u0041slash", "\\\\u0041", "\ud800"],
        "bytes": [b"", b"\x00\xff", bytes(range(256)), b"q" * 300],
        "bytearray": bytearray(b"abc\x00\xff"),
        "tuples": [(), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4), ((), ((),))],
        "dict": {"a": 1, 2: "b", ("c", 3): [4.5], "nested": {"x": {"y": None}}},
        "ordered": collections.OrderedDict([("12", {"k": 1}), ("200", [])]),
        "sets": [{1, 2, 3}, frozenset({"a"}), set(), frozenset()],
        "biglist": list(range(2500)),
        "bigdict": {i: float(i) / 7 for i in range(2500)},
        "bigset": set(range(2500)),
        "shared": [shared, shared, (shared,)],
        "np_scalars": [np.float64(0.129306), np.float32(1.5), np.int64(-5), np.int32(7),
                       np.uint8(200), np.bool_(True), np.uint64(2**64 - 1), np.int8(-3),
                       np.uint16(65535), np.float64(float("nan"))],
        "np_arrays": [np.arange(12.0).reshape(3, 4),
                      np.asfortranarray(np.arange(12.0).reshape(3, 4)),
                      np.array([True, False]), np.arange(5, dtype=np.int16),
                      np.zeros((0, 3)), np.float32(2.5) * np.ones(4, dtype=np.float32)],
        "cifar_py2_style": {b"batch_label": b"training batch 1 of 5", b"labels": [3, 6, 9],
                            b"data": cifar, b"filenames": [b"a.png", b"b.png"]},
        "record": record,
    }


def py2_handcrafted():
    """Pickles as Python 2.7 writes them (BINSTRING/SHORT_BINSTRING, GLOBAL, BINPUT, I00)."""
    plain = (b"\x80\x02}q\x00(U\x04dataq\x01T\x05\x00\x00\x00helloq\x02"
             b"U\x06labelsq\x03]q\x04(K\x01K\x02eU\x05emptyq\x05U\x00u.")
    array = (b"\x80\x02cnumpy.core.multiarray\n_reconstruct\nq\x00cnumpy\nndarray\nq\x01"
             b"K\x00\x85q\x02U\x01bq\x03\x87q\x04Rq\x05(K\x01K\x02K\x03\x86q\x06"
             b"cnumpy\ndtype\nq\x07U\x02u1q\x08K\x00K\x01\x87q\tRq\n(K\x03U\x01|q\x0bNNN"
             b"J\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tq\x0cb\x89U\x06abcdefq\rtq\x0eb.")
    scalar = (b"\x80\x02cnumpy.core.multiarray\nscalar\nq\x00cnumpy\ndtype\nq\x01U\x02f8q\x02"
              b"K\x00K\x01\x87q\x03Rq\x04(K\x03U\x01<q\x05NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xff"
              b"K\x00tq\x06bU\x08\x0b\x9a\x96X\x19\x8d\xc0?q\x07\x86q\x08Rq\x09.")
    text = b"(dp0\nS'data'\np1\nS'a\\'b\\x00\\n'\np2\nsS'n'\np3\nI00\ns."
    return [("py2_plain", plain, "bytes"), ("py2_array", array, "latin1"),
            ("py2_scalar", scalar, "latin1"), ("py2_text", text, "bytes")]


def write_fixtures(out):
    lines = []
    for name, obj in fixture_cases().items():
        expected = canon(obj)
        for proto in range(0, 6):
            fname = "%s.p%d.pkl" % (name, proto)
            data = pickle.dumps(obj, protocol=proto)
            with open(os.path.join(out, fname), "wb") as f:
                f.write(data)
            # The reader must give what CPython itself reads back.
            lines.append("%s\traw\t%s" % (fname, canon(pickle.loads(data))))
            assert canon(pickle.loads(data)) == expected, (name, proto)
    for name, data, encoding in py2_handcrafted():
        fname = name + ".pkl"
        with open(os.path.join(out, fname), "wb") as f:
            f.write(data)
        lines.append("%s\traw\t%s" % (fname, canon(pickle.loads(data, encoding=encoding))))
    # bz2: one stream, and two concatenated streams (the reader must read both).
    obj = fixture_cases()["record"]
    data = pickle.dumps(obj, protocol=4)
    with open(os.path.join(out, "record.pkl.bz2"), "wb") as f:
        f.write(bz2.compress(data))
    lines.append("record.pkl.bz2\tbz2\t%s" % canon(obj))
    with open(os.path.join(out, "two_streams.pkl.bz2"), "wb") as f:
        f.write(bz2.compress(data[:100]) + bz2.compress(data[100:]))
    lines.append("two_streams.pkl.bz2\tbz2\t%s" % canon(obj))
    with open(os.path.join(out, "expected.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


# ---------------------------------------------------------------------------------------------
# compare


def check_schema(obj, path, strict):
    """Spec section 3 checks on a meta file or a per-architecture file."""
    if isinstance(obj, dict) and "meta_archs" in obj:
        assert list(obj.keys()) == ["meta_archs", "total_archs", "arch2infos",
                                    "evaluated_indexes"], path
        assert len(obj["meta_archs"]) == obj["total_archs"] in (15625, 32768), path
        assert all(isinstance(a, str) for a in obj["meta_archs"]), path
        assert obj["arch2infos"] is None and obj["evaluated_indexes"] == set(), path
        return
    if strict:
        assert type(obj) is collections.OrderedDict, path
    assert list(obj.keys()) in (["12", "200"], ["01", "12", "90"]), path
    for hp, result in obj.items():
        assert list(result.keys()) == ["arch_index", "arch_str", "all_results", "dataset_seed",
                                       "clear_net_done"], path
        assert result["clear_net_done"] is True
        for (dataset, seed), record in result["all_results"].items():
            assert isinstance(dataset, str) and isinstance(seed, int), path
            assert list(record.keys()) == [
                "name", "train_acc1es", "train_acc5es", "train_losses", "train_times",
                "arch_config", "params", "flop", "seed", "epochs", "latency", "eval_names",
                "eval_acc1es", "eval_times", "eval_losses", "net_state_dict"], path
            assert record["name"] == dataset and record["epochs"] == int(hp), path
            assert record["seed"] == "%04d" % seed, path
            if strict:
                assert type(record["params"]) is np.float64, path
                assert type(record["train_times"]) is collections.OrderedDict, path
                assert all(type(x) is np.float64 for x in record["latency"]), path
            else:
                assert type(record["params"]) is float, path
                assert type(record["train_times"]) is dict, path
            assert record["net_state_dict"] is None, path


def compare(pairs, lenient):
    for ours_path, official_path in pairs:
        ours = load_file(ours_path)
        official = load_file(official_path)
        a = canon(ours, lenient)
        b = canon(official, lenient)
        if a != b:
            i = next(i for i in range(min(len(a), len(b))) if a[i] != b[i]) if a[:1] else 0
            print("DIFFER %s vs %s at char %d: ours %r, official %r" %
                  (ours_path, official_path, i, a[max(0, i - 40):i + 40],
                   b[max(0, i - 40):i + 40]))
            return 1
        check_schema(ours, ours_path, strict=not lenient)
        if "000000" in official_path and "tss" in official_path:
            rec = ours["12"]["all_results"][("cifar10-valid", 777)]
            assert float(rec["params"]) == 0.129306 and rec["flop"] == 15.64737
    print("OK %d" % len(pairs))
    return 0


def main(argv):
    mode = argv[1] if len(argv) > 1 else ""
    lenient = "--lenient" in argv
    args = [a for a in argv[2:] if a != "--lenient"]
    if mode == "check":
        return 0
    if mode == "fixtures":
        write_fixtures(args[0])
        return 0
    if mode == "canon":
        sys.stdout.write(canon(load_file(args[0]), lenient))
        return 0
    if mode == "compare":
        return compare(list(zip(args[0::2], args[1::2])), lenient)
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
