#!/usr/bin/env python3
"""Files written by natsbench load in independent readers and answer as the official ones.

1. `natsbench convert` rewrites the official sample archives (both spaces) as an archive
   directory and as a single benchmark file.
2. Plain pickle + bz2 + numpy (no natsbench code) checks the schema of docs/archive-format.md §3 on them.
3. The official API (`nats_bench` 1.8 from PyPI, on Debian's CPython 3.11 + numpy) loads them
   in both modes and must reproduce every test vector of docs/archive-format.md §5.2 bit for bit.
4. `natsbench query` on the same files prints the same numbers as the official API.

Usage: official_api_reads_ours.py NATSBENCH PYDEPS VECTORS_JSON      (exit 77 = skipped)
"""
import bz2
import collections
import json
import os
import pickle
import subprocess
import sys
import tempfile

SKIP = 77
natsbench, pydeps, vectors_path = sys.argv[1:4]
reference = os.environ.get("NATSBENCH_REFERENCE_DIR")
if not reference:
    print("SKIP: NATSBENCH_REFERENCE_DIR is unset")
    sys.exit(SKIP)
sys.path.insert(0, pydeps)
try:
    import numpy
    import nats_bench
except ImportError as error:
    print(f"SKIP: {error} (python3-numpy, and nats_bench unpacked by scripts/setup.sh)")
    sys.exit(SKIP)

SAMPLES = {"tss": "NATS-tss-v1_0-3ffb9", "sss": "NATS-sss-v1_0-50262"}
RECORD_KEYS = ["name", "train_acc1es", "train_acc5es", "train_losses", "train_times",
               "arch_config", "params", "flop", "seed", "epochs", "latency", "eval_names",
               "eval_acc1es", "eval_times", "eval_losses", "net_state_dict"]
vectors = json.load(open(vectors_path))
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)


def run(*args):
    return subprocess.run([natsbench, *args], check=True, capture_output=True, text=True).stdout


def check_schema(path, space):
    with bz2.open(os.path.join(path, "meta.pickle.pbz2"), "rb") as f:
        meta = pickle.load(f)
    check(list(meta) == ["meta_archs", "total_archs", "arch2infos", "evaluated_indexes"],
          f"{space} meta keys {list(meta)}")
    check(len(meta["meta_archs"]) == meta["total_archs"] == (15625 if space == "tss" else 32768),
          f"{space} meta size")
    check(meta["arch2infos"] is None and meta["evaluated_indexes"] == set(), f"{space} meta body")
    for index in (0, 11, 284):
        with bz2.open(os.path.join(path, f"{index:06d}.pickle.pbz2"), "rb") as f:
            info = pickle.load(f)
        where = f"{space} {index}"
        check(type(info) is collections.OrderedDict, f"{where}: top level {type(info)}")
        check(list(info) == (["12", "200"] if space == "tss" else ["01", "12", "90"]),
              f"{where}: hps {list(info)}")
        for hp, result in info.items():
            check(list(result) == ["arch_index", "arch_str", "all_results", "dataset_seed",
                                   "clear_net_done"], f"{where} {hp}: keys {list(result)}")
            check(result["arch_index"] == index and result["arch_str"] == meta["meta_archs"][index],
                  f"{where} {hp}: index/arch")
            check(result["clear_net_done"] is True, f"{where} {hp}: clear_net_done")
            for dataset, seeds in result["dataset_seed"].items():
                check(seeds == sorted(seeds), f"{where} {hp} {dataset}: seeds not sorted")
                for seed in seeds:
                    record = result["all_results"][(dataset, seed)]
                    check(list(record) == RECORD_KEYS, f"{where}: record keys {list(record)}")
                    check(type(record["params"]) is numpy.float64, f"{where}: params type")
                    check(all(type(x) is numpy.float64 for x in record["latency"]),
                          f"{where}: latency types")
                    check(type(record["flop"]) is float, f"{where}: flop type")
                    check(type(record["train_times"]) is collections.OrderedDict,
                          f"{where}: train_times type")
                    check(record["seed"] == f"{seed:04d}", f"{where}: seed {record['seed']}")
                    check(record["net_state_dict"] is None, f"{where}: weights")
                    check(all(type(k) is int for k in record["train_acc1es"]), f"{where}: keys")


def expected_queries(space):
    for q in vectors["queries"]:
        if q["space"] == space:
            yield q


def answer(api, q):
    if q["query"] == "cost":
        return api.get_cost_info(q["index"], q["dataset"], q["hp"])
    return api.get_more_info(q["index"], q["dataset"], q.get("iepoch"), q["hp"],
                             is_random=q.get("seed", False))


def compare(got, expected, label):
    got = [(k, v) for k, v in got.items() if k != "comment"]
    keys = [k for k, _ in got]
    check(keys == [k for k, _ in expected], f"{label}: keys {keys}")
    for (key, value), (_, want) in zip(got, expected):
        same = value is None if want is None else (value is not None and float(value) == want)
        check(same, f"{label}: {key} = {value!r}, expected {want!r}")


with tempfile.TemporaryDirectory() as tmp:
    for space, base in SAMPLES.items():
        source = os.path.join(reference, "official-samples", base + "-simple")
        archive = os.path.join(tmp, base + "-simple")
        single = os.path.join(tmp, base + ".pickle.pbz2")
        run("convert", "--space", space, "--from", source, "--to", archive)
        run("convert", "--space", space, "--from", archive, "--to", single)
        check_schema(archive, space)

        for path, fast in ((archive, True), (single, False)):
            api = nats_bench.create(path, space, fast_mode=fast, verbose=False)
            count = 0
            for q in expected_queries(space):
                label = f"official API on our {'archive' if fast else 'file'}: {space} " \
                        f"{q['index']} {q['hp']} {q['dataset']} {q['query']}"
                compare(answer(api, q), q["expected"], label)
                count += 1
            print(f"{space}: official API on our {'archive' if fast else 'benchmark file'}: "
                  f"{count} answers compared")

        # natsbench query on our files prints what the official API answers.
        api = nats_bench.create(archive, space, fast_mode=True, verbose=False)
        for index, dataset, hp in ((11, "cifar100", "12"), (284, "ImageNet16-120", "12")):
            ours = json.loads(run("query", "--space", space, "--benchmark", single, "more",
                                  "--index", str(index), "--dataset", dataset, "--hp", hp))
            theirs = api.get_more_info(index, dataset, None, hp, is_random=False)
            check(list(ours) == list(theirs), f"query more keys {list(ours)} vs {list(theirs)}")
            for key, value in theirs.items():
                check(ours.get(key) == value, f"query more {space} {index} {key}: {ours.get(key)} vs {value}")
            ours = json.loads(run("query", "--space", space, "--benchmark", archive, "cost",
                                  "--index", str(index), "--dataset", dataset, "--hp", hp))
            theirs = api.get_cost_info(index, dataset, hp)
            for key, value in theirs.items():
                check(ours.get(key) == (None if value is None else float(value)),
                      f"query cost {space} {index} {key}: {ours.get(key)} vs {value}")

    # A benchmark file over 8 MiB of pickle is compressed on several cores as a multi-stream bz2
    # file: the official API reads it as it reads a single stream.
    source = os.path.join(reference, "official-samples", SAMPLES["tss"] + "-simple")
    big = os.path.join(tmp, "synth.pickle.pbz2")
    run("bench", "synth", "--space", "tss", "--from", source, "--archs", "40", "--out", big)
    with open(big, "rb") as f:
        first = bz2.BZ2Decompressor()
        first.decompress(f.read())
    check(first.eof and first.unused_data[:3] == b"BZh", "bench synth --archs 40: not multi-stream")
    api = nats_bench.create(big, "tss", fast_mode=False, verbose=False)
    check(len(api.evaluated_indexes) == 40, f"multi-stream file: {len(api.evaluated_indexes)} archs")
    for index in (0, 39):
        ours = json.loads(run("query", "--space", "tss", "--benchmark", big, "more", "--index",
                              str(index), "--dataset", "cifar10-valid", "--hp", "200"))
        theirs = api.get_more_info(index, "cifar10-valid", None, "200", is_random=False)
        for key, value in theirs.items():
            check(ours.get(key) == value, f"multi-stream file: {index} {key}: {ours.get(key)} vs {value}")
    print("tss: official API on a multi-stream benchmark file (40 archs): answers compared")

for failure in failures[:20]:
    print("FAIL:", failure)
print(f"{len(failures)} failure(s)")
sys.exit(1 if failures else 0)
