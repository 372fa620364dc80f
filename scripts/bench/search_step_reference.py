#!/usr/bin/env python3
"""The reference's weight-sharing search step timed as `natsbench bench search` times ours:
xautodl's supernet and optimizers driven by tests/search/reference_search_step.py, a pair of
synthetic batches of 64, W untimed then K timed steps, on the CPU with torch's threads.

Usage: search_step_reference.py ALGO DATASET STEPS WARMUP PYDEPS   (prints one JSON line)
"""
import json
import os
import sys
import time

algo, dataset, steps, warmup, pydeps = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
sys.path.insert(0, pydeps)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "search"))
import torch  # noqa: E402
from reference_search_step import ReferenceSearch  # noqa: E402

classes, side = {"cifar10": (10, 32), "cifar100": (100, 32), "ImageNet16-120": (120, 16)}[dataset]
torch.manual_seed(777)
reference = ReferenceSearch(algo, classes, 100)
reference.start_epoch(0)
generator = torch.Generator().manual_seed(1)
batch = []
for _ in range(2):
    batch += [torch.randn(64, 3, side, side, generator=generator),
              torch.randint(0, classes, (64,), generator=generator)]
for _ in range(warmup):
    reference.step(*batch)
start = time.perf_counter()
for _ in range(steps):
    reference.step(*batch)
seconds = (time.perf_counter() - start) / steps
print(json.dumps({"algorithm": algo, "dataset": dataset, "threads": torch.get_num_threads(),
                  "steps": steps, "step_seconds": seconds, "images_per_second": 64 / seconds}))
