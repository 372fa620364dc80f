#!/usr/bin/env python3
"""Compares the run records of two natsbench output directories (sweep or train --out).

Every record of A must exist in B with the same status, arch, seed, costs and learning rates,
and per-epoch metrics (losses, top-1, top-5 of training and of every eval set) equal, or within
--rtol (relative) where two devices or two step paths may round differently. Times, dates and
the environment are not compared. Prints one JSON line; exit status 1 when they differ.

  scripts/bench/compare_runs.py RUNS_A RUNS_B [--rtol 1e-3]
"""
import argparse
import json
import math
import pathlib
import sys

EXACT = ["status", "arch", "seed", "dataset", "flop", "param", "learning_rates", "total_epoch"]
METRICS = ["train_losses", "train_acc1es", "train_acc5es", "valid_losses", "valid_acc1es",
           "valid_acc5es"]


def records(root):
    return sorted(p.relative_to(root) for p in root.glob("*ss/hp-*/arch-*/seed-*.json"))


def values(field):
    """The numbers of a metric field, keyed: lists by epoch, dicts by "<set>@<epoch>"."""
    if isinstance(field, list):
        return dict(enumerate(field))
    return dict(field)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", type=pathlib.Path)
    parser.add_argument("b", type=pathlib.Path)
    parser.add_argument("--rtol", type=float, default=0.0,
                        help="relative tolerance of the metrics (default 0: bit-identical)")
    args = parser.parse_args()
    a_records, b_records = records(args.a), records(args.b)
    problems = []
    if not a_records:
        problems.append(f"{args.a}: no run records")
    if a_records != b_records:
        problems.append(f"different records: only in A {sorted(set(map(str, a_records)) - set(map(str, b_records)))}, "
                        f"only in B {sorted(set(map(str, b_records)) - set(map(str, a_records)))}")
    worst = 0.0
    compared = 0
    for rel in sorted(set(a_records) & set(b_records)):
        x = json.loads((args.a / rel).read_text())
        y = json.loads((args.b / rel).read_text())
        for key in EXACT:
            if x.get(key) != y.get(key):
                problems.append(f"{rel}: {key} {x.get(key)!r} != {y.get(key)!r}")
        for key in METRICS:
            xv, yv = values(x[key]), values(y[key])
            if xv.keys() != yv.keys():
                problems.append(f"{rel}: {key} has entries {sorted(xv)} vs {sorted(yv)}")
                continue
            for k in xv:
                compared += 1
                p, q = float(xv[k]), float(yv[k])
                if p == q:
                    continue
                rel_diff = abs(p - q) / max(abs(p), abs(q)) if math.isfinite(p - q) else math.inf
                worst = max(worst, rel_diff)
                if not rel_diff <= args.rtol:
                    problems.append(f"{rel}: {key}[{k}] {p!r} != {q!r} (relative {rel_diff:.3g})")
    print(json.dumps({"records": len(a_records), "values_compared": compared,
                      "max_relative_difference": worst, "rtol": args.rtol,
                      "equal": not problems, "problems": problems[:20]}))
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
