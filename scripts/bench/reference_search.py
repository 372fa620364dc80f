#!/usr/bin/env python3
"""Random search and regularized evolution on the official nats_bench API, in Python.

Written from the spec (docs/nas-algorithms.md §6.1, §6.2): every random choice is a call of Python's
`random` module in the reference scripts' order, and simulate_train_eval draws its seed from the
same module. `natsbench search` emulates that module, so for the same benchmark and seed both
must visit the same candidates and charge the same times; tests/cli/search_test.sh checks it.

Usage: reference_search.py SPACE BENCHMARK DATASET ALGO SEED BUDGET [PYDEPS]
Prints one JSON line: {"indexes": [...], "accuracies": [...], "total_times": [...],
"best_indexes": [...]}.
"""
import collections
import json
import os
import random
import sys

space, path, dataset, algo = sys.argv[1:5]
seed, budget = int(sys.argv[5]), float(sys.argv[6])
if len(sys.argv) > 7:
    sys.path.insert(0, sys.argv[7])
import nats_bench  # noqa: E402

OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
WIDTHS = [8, 16, 24, 32, 40, 48, 56, 64]


def random_arch():
    if space == "tss":
        return [[random.choice(OPS) for _ in range(node)] for node in range(1, 4)]
    return [random.choice(WIDTHS) for _ in range(5)]


def arch_str(arch):
    if space == "tss":
        return "+".join("|" + "".join(f"{op}~{j}|" for j, op in enumerate(node)) for node in arch)
    return ":".join(str(w) for w in arch)


def mutate(parent):
    child = [list(node) for node in parent] if space == "tss" else list(parent)
    if space == "tss":
        node = random.randint(0, len(child) - 1)
        edge = random.randint(0, len(child[node]) - 1)
        op = random.choice(OPS)
        while op == child[node][edge]:
            op = random.choice(OPS)
        child[node][edge] = op
    else:
        layer = random.randint(0, len(child) - 1)
        child[layer] = random.choice(WIDTHS)
    return child


api = nats_bench.create(path, space, fast_mode=os.path.isdir(path), verbose=False)
out = {"indexes": [], "accuracies": [], "total_times": [], "best_indexes": []}
history = []


def evaluate(arch):
    accuracy, _, _, total = api.simulate_train_eval(arch_str(arch), dataset, hp="12")
    history.append((accuracy, arch))
    best = max(history, key=lambda x: x[0])[1]
    out["indexes"].append(api.query_index_by_arch(arch_str(arch)))
    out["accuracies"].append(accuracy)
    out["total_times"].append(total)
    out["best_indexes"].append(api.query_index_by_arch(arch_str(best)))
    return accuracy


random.seed(seed)
api.reset_time()
if algo == "random":
    while not out["total_times"] or out["total_times"][-1] < budget:
        evaluate(random_arch())
elif algo == "rea":
    population = collections.deque()
    while len(population) < 10:
        arch = random_arch()
        population.append((evaluate(arch), arch))
    while out["total_times"][-1] < budget:
        sample = [random.choice(list(population)) for _ in range(3)]
        parent = max(sample, key=lambda member: member[0])
        child = mutate(parent[1])
        population.append((evaluate(child), child))
        population.popleft()
else:
    sys.exit(f"unknown algorithm {algo}")
print(json.dumps(out))
