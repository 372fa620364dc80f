#!/usr/bin/python3
"""Write a benchmark file the way the official files were written: one bz2 stream from Python's
pickler (protocol 4, every container memoised), through nats_bench.api_utils.pickle_save.

Records are cloned from the official sample archive's architectures (deep copies, so nothing is
shared that the original did not share), re-labelled with their new index and arch string.

Usage: write_official_benchmark.py PYDEPS SAMPLE_ARCHIVE_DIR ARCHS OUT.pickle.pbz2
"""
import copy
import os
import sys

pydeps, archive, archs, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
sys.path.insert(0, pydeps)
from nats_bench.api_utils import pickle_load, pickle_save  # noqa: E402

meta = pickle_load(os.path.join(archive, "meta.pickle.pbz2"))
samples = [pickle_load(os.path.join(archive, name)) for name in sorted(os.listdir(archive))
           if name[0].isdigit()]
if archs > len(meta["meta_archs"]):
    sys.exit(f"write_official_benchmark.py: ARCHS must be <= {len(meta['meta_archs'])}")

arch2infos = {}
for index in range(archs):
    info = copy.deepcopy(samples[index % len(samples)])
    for result in info.values():
        result["arch_index"] = index
        result["arch_str"] = meta["meta_archs"][index]
    arch2infos[index] = info
benchmark = {"meta_archs": meta["meta_archs"], "total_archs": meta["total_archs"],
             "arch2infos": arch2infos, "evaluated_indexes": set(range(archs))}
if not out.endswith(".pbz2"):
    sys.exit("write_official_benchmark.py: OUT must end in .pbz2")
partial = out[: -len(".pbz2")] + ".partial"
pickle_save(benchmark, partial, ext=".pbz2")
os.replace(partial + ".pbz2", out)
