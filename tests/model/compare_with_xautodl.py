#!/usr/bin/env python3
"""Initial weights of natsbench networks == the reference model's, bit for bit.

Independent client: the original model code (the `xautodl` package from PyPI, unpacked by
scripts/setup.sh without its dependencies) on Debian's python3-torch, which shares its ATen
with Debian's libtorch-dev. natsbench writes the state dict after torch::manual_seed(seed);
this script builds the reference network after torch.manual_seed(seed) and compares every
entry: same keys, same order, same shapes, equal values.

Usage: compare_with_xautodl.py NATSBENCH_BINARY PYDEPS_DIR     (exit 77 = skipped)
"""
import os
import subprocess
import sys
import tempfile

SKIP = 77
natsbench, pydeps = sys.argv[1], sys.argv[2]
sys.path.insert(0, pydeps)
try:
    import torch
except ImportError:
    print("SKIP: python3 has no torch (Debian package python3-torch)")
    sys.exit(SKIP)
try:
    from xautodl.config_utils import dict2config
    from xautodl.models import get_cell_based_tiny_net
except ImportError as error:
    print(f"SKIP: xautodl not importable from {pydeps} ({error}); run scripts/setup.sh")
    sys.exit(SKIP)

SSS_GENOTYPE = ("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+"
                "|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|")
CLASSES = {"cifar10": 10, "cifar100": 100, "ImageNet16-120": 120}


def reference_net(space, arch, dataset, seed):
    torch.manual_seed(seed)
    if space == "tss":
        config = {"name": "infer.tiny", "C": 16, "N": 5, "arch_str": arch,
                  "num_classes": CLASSES[dataset]}
    else:
        config = {"name": "infer.shape.tiny", "channels": arch, "genotype": SSS_GENOTYPE,
                  "num_classes": CLASSES[dataset]}
    return get_cell_based_tiny_net(dict2config(config, None))


def check(space, index, dataset, seed):
    label = f"{space} {index} {dataset} seed {seed}"
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "weights.pt")
        arch = subprocess.run([natsbench, "arch", "--space", space, "--index", str(index)],
                              check=True, capture_output=True, text=True).stdout
        arch = __import__("json").loads(arch)["arch"]
        subprocess.run([natsbench, "weights", "--space", space, "--index", str(index),
                        "--dataset", dataset, "--seed", str(seed), "--out", path],
                       check=True, capture_output=True)
        ours = torch.load(path)
    theirs = reference_net(space, arch, dataset, seed).state_dict()
    problems = []
    if list(ours.keys()) != list(theirs.keys()):
        problems.append(f"key order differs: ours {list(ours)[:5]}..., reference {list(theirs)[:5]}...")
    for key, ref in theirs.items():
        mine = ours.get(key)
        if mine is None:
            problems.append(f"missing {key}")
        elif mine.shape != ref.shape or mine.dtype != ref.dtype or not torch.equal(mine, ref):
            problems.append(f"{key}: differs (shape {tuple(mine.shape)} vs {tuple(ref.shape)})")
    status = "ok" if not problems else "FAIL"
    print(f"{status}: {label}: {len(theirs)} entries compared")
    for problem in problems[:10]:
        print("   ", problem)
    return not problems


cases = [("tss", 11, "cifar10", 777), ("sss", 5816, "cifar10", 777),
         ("tss", 284, "ImageNet16-120", 888), ("sss", 284, "cifar100", 999)]
results = [check(*case) for case in cases]
sys.exit(0 if all(results) else 1)
