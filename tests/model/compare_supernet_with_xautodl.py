#!/usr/bin/env python3
"""The initial tss search supernet of natsbench == the reference's, bit for bit.

Independent client: the reference search model (`xautodl` from PyPI, GenericNAS201Model built
by get_cell_based_tiny_net, then set_algo) on Debian's python3-torch, which shares its ATen with
Debian's libtorch-dev. natsbench writes the supernet's state dict after torch::manual_seed(seed)
(`natsbench weights --supernet ALGO`); the reference is built after torch.manual_seed(seed).
Every entry is compared: same keys in the same order, same shapes and dtypes, equal values.
The arch parameters come last in the draw order and are drawn twice (constructor, set_algo),
so they check the whole construction order; for ENAS, set_algo builds the controller instead (its
LSTM, embedding and head, with the reference's overriding inits).

Then one forward and backward pass in each mode (joint, gdas, dynamic, urs, select) on the same
weights, images and seeds (torch's, and Python's `random` for urs), through
tests/model/supernet_probe.cpp: logits, features, loss and every parameter's gradient must be
equal bit for bit (the same ATen ops run in the same order on the CPU).

Usage: compare_supernet_with_xautodl.py NATSBENCH_BINARY PYDEPS_DIR PROBE   (exit 77 = skipped)
"""
import os
import random
import subprocess
import sys
import tempfile

SKIP = 77
natsbench, pydeps, probe = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, pydeps)
try:
    import torch
except ImportError:
    print("SKIP: python3 has no torch (Debian package python3-torch)")
    sys.exit(SKIP)
try:
    from xautodl.models import get_cell_based_tiny_net
    from xautodl.models.cell_searchs.genotypes import Structure
except ImportError as error:
    print(f"SKIP: xautodl not importable from {pydeps} ({error}); run scripts/setup.sh")
    sys.exit(SKIP)

OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
CLASSES = {"cifar10": 10, "cifar100": 100, "ImageNet16-120": 120}


def report(label, problems, what):
    print(f"{'ok' if not problems else 'FAIL'}: {label}: {what}")
    for problem in problems[:10]:
        print("   ", problem)
    return not problems


def reference_supernet(algo, dataset, seed):
    torch.manual_seed(seed)
    model = get_cell_based_tiny_net({
        "name": "generic", "super_type": "basic", "C": 16, "N": 5, "max_nodes": 4,
        "num_classes": CLASSES[dataset], "space": OPS, "affine": False,
        "track_running_stats": False})
    model.set_algo(algo)
    return model


def check(algo, dataset, seed):
    label = f"supernet {algo} {dataset} seed {seed}"
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "supernet.pt")
        subprocess.run([natsbench, "weights", "--space", "tss", "--supernet", algo,
                        "--dataset", dataset, "--seed", str(seed), "--out", path],
                       check=True, capture_output=True)
        ours = torch.load(path)
    theirs = reference_supernet("random" if algo == "rsps" else algo, dataset, seed).state_dict()
    problems = []
    if list(ours.keys()) != list(theirs.keys()):
        extra = [k for k in ours if k not in theirs][:3]
        missing = [k for k in theirs if k not in ours][:3]
        problems.append(f"keys differ ({len(ours)} vs {len(theirs)}): extra {extra}, missing {missing}")
    for key, ref in theirs.items():
        mine = ours.get(key)
        if mine is None:
            continue
        if mine.shape != ref.shape or mine.dtype != ref.dtype or not torch.equal(mine, ref):
            problems.append(f"{key}: differs (shape {tuple(mine.shape)} vs {tuple(ref.shape)})")
    return report(label, problems, f"{len(theirs)} entries compared")


def check_pass(mode, algo, seed, arch=None):
    label = f"forward+backward {mode} ({algo}) seed {seed}"
    reference = reference_supernet(algo, "cifar10", seed)
    generator = torch.Generator().manual_seed(seed + 1)
    x = torch.randn(4, 3, 32, 32, generator=generator)
    y = torch.randint(0, 10, (4,), generator=generator)
    with tempfile.TemporaryDirectory() as tmp:
        weights, inputs, out = (os.path.join(tmp, n) for n in ("w.pt", "in.pt", "out.pt"))
        torch.save(dict(reference.state_dict()), weights)  # a plain dict: torch::pickle_load
        torch.save({"x": x, "y": y, "classes": 10}, inputs)
        subprocess.run([probe, weights, inputs, mode, str(seed), out] + ([arch] if arch else []),
                       check=True)
        ours = torch.load(out)
    reference.train()
    reference.set_cal_mode(mode, Structure.str2structure(arch) if arch else None)
    random.seed(seed)
    torch.manual_seed(seed)
    features, logits = reference(x)
    loss = torch.nn.functional.cross_entropy(logits, y)
    loss.backward()
    expected = {"logits": logits, "features": features, "loss": loss}
    expected.update({"grad." + name: (p.grad if p.grad is not None else torch.zeros_like(p))
                     for name, p in reference.named_parameters()})
    problems = [f"{key}: missing" for key in expected if key not in ours]
    for key, value in expected.items():
        if key in ours and not torch.equal(ours[key], value.detach()):
            diff = (ours[key] - value.detach()).abs().max().item()
            problems.append(f"{key}: differs (max abs diff {diff:.3g})")
    return report(label, problems, f"{len(expected)} tensors compared")


cases = [("darts-v1", "cifar10", 777), ("gdas", "cifar100", 888), ("rsps", "ImageNet16-120", 1),
         ("enas", "cifar10", 777), ("enas", "ImageNet16-120", 888)]
results = [check(*case) for case in cases]
ARCH = "|nor_conv_3x3~0|+|none~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|"
passes = [("joint", "darts-v1", 3), ("gdas", "gdas", 4), ("dynamic", "setn", 5, ARCH),
          ("urs", "random", 6), ("select", "darts-v1", 7)]
results += [check_pass(*case) for case in passes]
sys.exit(0 if all(results) else 1)
