#!/usr/bin/env python3
"""Regenerates official_api.json from the test vectors of docs/archive-format.md §5.

The numbers are the official API's answers on the official sample files (CPython 3.11);
this script only reshapes that listing into JSON for the C++ tests:
    python3 tests/bench/vectors/extract_from_spec.py docs/archive-format.md \
        > tests/bench/vectors/official_api.json
"""
import json
import re
import sys

text = open(sys.argv[1], encoding="utf-8").read()
section = text[text.index("### 5.2"):text.index("### 5.6")]


def parse_dict(body):
    out = []
    for item in re.split(r", (?=[A-Za-z][\w@-]*: )", body):
        key, value = item.split(": ", 1)
        out.append([key, None if value == "None" else float(value)])
    return out


queries = []
header = re.compile(r"^\[(tss|sss) (\d+) hp=(\d+) (\S+)\] seeds=\[([\d, ]*)\]$")
line_re = re.compile(r"^  (cost|mean|seed=\d+|mean@e\d+)\s+= \{(.*)\}$")
current = None
for line in section[:section.index("### 5.3")].splitlines():
    m = header.match(line)
    if m:
        current = {"space": m[1], "index": int(m[2]), "hp": m[3], "dataset": m[4],
                   "seeds": [int(s) for s in m[5].split(", ") if s]}
        continue
    m = line_re.match(line)
    if m and current is not None:
        kind = m[1]
        query = dict(current, expected=parse_dict(m[2]))
        if kind == "cost":
            query["query"] = "cost"
        elif kind == "mean":
            query["query"] = "more"
        elif kind.startswith("seed="):
            query["query"] = "more"
            query["seed"] = int(kind[5:])
        else:
            query["query"] = "more"
            query["iepoch"] = int(kind[6:])
        queries.append(query)

simulate = []
sim_re = re.compile(r"^\[(tss|sss) (\d+) hp=(\d+) (\S+) iepoch=(\w+)\] branch=(\w+) "
                    r"valid_acc_by_seed=\{(.*)\} latency=(\S+) time_cost=(\S+)$")
for line in section[section.index("### 5.3"):section.index("### 5.4")].splitlines():
    m = sim_re.match(line)
    if m:
        accs = {int(k): float(v) for k, v in (p.split(": ") for p in m[7].split(", "))}
        simulate.append({"space": m[1], "index": int(m[2]), "hp": m[3], "dataset": m[4],
                         "iepoch": None if m[5] == "None" else int(m[5]), "branch": m[6],
                         "accuracy_by_seed": [[k, v] for k, v in accs.items()],
                         "latency": float(m[8]), "time_cost": float(m[9])})

find_best, statistics = [], []
part = section[section.index("### 5.4"):section.index("### 5.5")]
space = None
hp = None
for line in part.splitlines():
    m = re.match(r"^(tss|sss) evaluated", line)
    if m:
        space = m[1]
    m = re.match(r"^  hp=(\d+): (.*)$", line)
    if m:
        hp = m[1]
        for item in m[2].split("; "):
            mm = re.match(r"\((\S+),(\S+)\)->\((-?\d+), (\S+)\)", item)
            find_best.append({"space": space, "hp": hp, "dataset": mm[1], "metric": mm[2],
                              "index": int(mm[3]), "accuracy": float(mm[4])})
    m = re.match(r"^  statistics\('(\S+)', '(\d+)'\) -> \{(\d+): (\d+)\}$", line)
    if m:
        statistics.append({"space": space, "dataset": m[1], "hp": m[2],
                           "counts": [[int(m[3]), int(m[4])]]})
    m = re.match(r"^  find_best\((\S+), (\S+), (flop_max|param_max)=(\S+), hp=(\d+)\) -> "
                 r"\((\d+), (\S+)\)$", line)
    if m:
        find_best.append({"space": space, "hp": m[5], "dataset": m[1], "metric": m[2],
                          m[3]: float(m[4]), "index": int(m[6]), "accuracy": float(m[7])})

json.dump({"source": "docs/archive-format.md §5 (official nats_bench v1.8, CPython 3.11)",
           "queries": queries, "simulate": simulate, "find_best": find_best,
           "statistics": statistics}, sys.stdout, indent=1)
print()
