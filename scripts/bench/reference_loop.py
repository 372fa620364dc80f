#!/usr/bin/env python3
"""Training speed of the reference's loop: the baseline that natsbench's speed is measured against.

It trains one NATS-Bench candidate the way the original code did (AutoDL-Projects
main-tss/main-sss with funcs_nasbench's procedure), re-written here from the spec (not copied):

* the network: the tss cell network (C=16, N=5) or the sss network (channels c0:..:c4, N=1),
  built on the CPU after seeding, wrapped in a single-device DataParallel, then moved to the
  device (docs/networks.md §2, §3.2; docs/training.md §5.3);
* the data: a torch Dataset over uint8 HWC images (synthetic, of the benchmark dataset's shape,
  made in memory from a fixed seed) with the per-image training transforms in __getitem__
  (docs/training.md §2: random horizontal flip p=0.5, random crop with zero padding 4 / 2, to float
  /255, per-channel normalisation with the §9.3 constants), read by a DataLoader (batch 256,
  4 workers, pinned memory; a random permutation every epoch, for cifar10-valid through a
  SubsetRandomSampler over 25,000 of 50,000 images as the original);
* the step: SGD (lr 0.1, momentum 0.9, Nesterov, weight decay 5e-4 on all parameters), the LR
  set every batch (constant within an epoch), cross-entropy on the logits, and per batch
  `.item()` of the loss and of the top-1 / top-5 accuracies (each a host-device
  synchronisation, as the original);
* cuDNN enabled, deterministic, no autotuning; torch CPU threads 4 (the launch script's
  OMP_NUM_THREADS=4).

The transforms are written with torch per image (`--transforms builtin`, the default, about as
cheap as per-image work in Python gets); `--transforms torchvision` uses PIL images and
torchvision's transforms as the original did (needs torchvision, Pillow and NumPy).

Prints one JSON line (also written to --json-out): images_per_second, ms_per_step, the steps
and images timed, the share of the time spent waiting for the loader, the device and the
torch / CUDA / cuDNN versions. `--profile-steps N` then counts CUDA kernels and GPU-busy time
per step with torch.profiler over N further (untimed) steps and prints a second, complete line.

If xautodl (the original model code, pip package) is importable (also from .deps/python), the
parameter count and the state-dict names and shapes of this network are checked against it.

Usage:
  reference_loop.py --device cuda --arch 11 --dataset cifar10-valid --steps 60 --warmup 10
  reference_loop.py --device cpu --steps 3 --warmup 1 --workers 2
"""
import argparse
import json
import math
import os
import platform
import random
import sys
import time

import torch
from torch import nn

# ---------------------------------------------------------------------------------------------
# Search spaces (docs/networks.md §1.4, §3.1)

TSS_OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
SSS_GENOTYPE = ("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+"
                "|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|")
SSS_CANDIDATES = [8, 16, 24, 32, 40, 48, 56, 64]
TSS_INDEX_11 = ("|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+"
                "|none~0|nor_conv_3x3~1|avg_pool_3x3~2|")


def tss_arch_list():
    """The 15,625 cell strings in official index order: the enumeration, shuffled by seed 88."""
    archs = []
    for code in range(5 ** 6):
        ops = [TSS_OPS[(code // 5 ** (5 - k)) % 5] for k in range(6)]
        archs.append("|{}~0|+|{}~0|{}~1|+|{}~0|{}~1|{}~2|".format(*ops))
    random.Random(88).shuffle(archs)  # CPython's shuffle: the order the benchmark was made with
    if archs[11] != TSS_INDEX_11:
        raise RuntimeError("this Python's random.shuffle does not give the official tss order")
    return archs


def resolve_arch(space, arch):
    """(index or None, canonical arch string) from an index or an arch string."""
    if space == "tss":
        archs = tss_arch_list()
        if arch.isdigit():
            index = int(arch)
            if not 0 <= index < len(archs):
                raise ValueError(f"tss index {index} is not in 0..{len(archs) - 1}")
            return index, archs[index]
        try:
            return archs.index(arch), arch
        except ValueError:
            raise ValueError(f"not a canonical tss arch string: {arch}") from None
    if arch.isdigit():
        index = int(arch)
        if not 0 <= index < 8 ** 5:
            raise ValueError(f"sss index {index} is not in 0..{8 ** 5 - 1}")
        channels = [SSS_CANDIDATES[(index // 8 ** (4 - k)) % 8] for k in range(5)]
        return index, ":".join(str(c) for c in channels)
    channels = [int(c) for c in arch.split(":")]
    if len(channels) != 5 or any(c not in SSS_CANDIDATES for c in channels):
        raise ValueError(f"not an sss arch string (5 widths from {SSS_CANDIDATES}): {arch}")
    return sum((c // 8 - 1) * 8 ** (4 - k) for k, c in enumerate(channels)), arch


def parse_cell(arch):
    """[[(op, source), ...] for nodes 1..3] from a cell string."""
    nodes = []
    for group in arch.split("+"):
        edges = []
        for piece in group.split("|"):
            if piece:
                op, source = piece.split("~")
                edges.append((op, int(source)))
        nodes.append(edges)
    return nodes


# ---------------------------------------------------------------------------------------------
# Network (docs/networks.md §2, §3.2); module names give the reference's state-dict keys.

class ReLUConvBN(nn.Module):
    def __init__(self, c_in, c_out, kernel, stride, padding):
        super().__init__()
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=padding, bias=False),
            nn.BatchNorm2d(c_out))

    def forward(self, x):
        return self.op(x)


class Zero(nn.Module):
    def __init__(self, c_in, c_out):
        super().__init__()
        self.c_in, self.c_out = c_in, c_out

    def forward(self, x):
        if self.c_in == self.c_out:
            return x.mul(0.0)
        shape = list(x.shape)
        shape[1] = self.c_out
        return x.new_zeros(shape)


class Identity(nn.Module):
    def forward(self, x):
        return x


class FactorizedReduceStride1(nn.Module):
    """skip_connect with c_in != c_out (sss only): 1x1 conv then BN; the ReLU is never applied."""

    def __init__(self, c_in, c_out):
        super().__init__()
        self.relu = nn.ReLU(inplace=False)
        self.conv = nn.Conv2d(c_in, c_out, 1, stride=1, padding=0, bias=False)
        self.bn = nn.BatchNorm2d(c_out)

    def forward(self, x):
        return self.bn(self.conv(x))


class AvgPool3x3(nn.Module):
    def __init__(self, c_in, c_out):
        super().__init__()
        self.preprocess = ReLUConvBN(c_in, c_out, 1, 1, 0) if c_in != c_out else None
        self.op = nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)

    def forward(self, x):
        return self.op(self.preprocess(x) if self.preprocess is not None else x)


def make_op(name, c_in, c_out):
    if name == "none":
        return Zero(c_in, c_out)
    if name == "skip_connect":
        return Identity() if c_in == c_out else FactorizedReduceStride1(c_in, c_out)
    if name == "nor_conv_1x1":
        return ReLUConvBN(c_in, c_out, 1, 1, 0)
    if name == "nor_conv_3x3":
        return ReLUConvBN(c_in, c_out, 3, 1, 1)
    if name == "avg_pool_3x3":
        return AvgPool3x3(c_in, c_out)
    raise ValueError(f"unknown op {name}")


class InferCell(nn.Module):
    def __init__(self, cell, c_in, c_out):
        super().__init__()
        self.layers = nn.ModuleList()
        self.wiring = []  # per node: [(layer index, source node), ...] in string order
        for edges in parse_cell(cell):
            node = []
            for op, source in edges:
                node.append((len(self.layers), source))
                self.layers.append(make_op(op, c_in if source == 0 else c_out, c_out))
            self.wiring.append(node)

    def forward(self, x):
        nodes = [x]
        for node in self.wiring:
            total = None
            for layer, source in node:
                value = self.layers[layer](nodes[source])
                total = value if total is None else total + value
            nodes.append(total)
        return nodes[-1]


class ResNetBasicblock(nn.Module):
    def __init__(self, c_in, c_out):
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, 2, 1)
        self.conv_b = ReLUConvBN(c_out, c_out, 3, 1, 1)
        self.downsample = nn.Sequential(
            nn.AvgPool2d(kernel_size=2, stride=2, padding=0),
            nn.Conv2d(c_in, c_out, 1, stride=1, padding=0, bias=False))

    def forward(self, x):
        return self.downsample(x) + self.conv_b(self.conv_a(x))


class CellNetwork(nn.Module):
    """Stem, cells and residual blocks by position, lastact, global pooling, classifier."""

    def __init__(self, cell, channels, cells_per_stage, num_classes):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, channels[0], 3, padding=1, bias=False),
                                  nn.BatchNorm2d(channels[0]))
        self.cells = nn.ModuleList()
        c_prev = channels[0]
        for position, c in enumerate(channels):
            if position in (cells_per_stage, 2 * cells_per_stage + 1):
                self.cells.append(ResNetBasicblock(c_prev, c))
            else:
                self.cells.append(InferCell(cell, c_prev, c))
            c_prev = c
        self.lastact = nn.Sequential(nn.BatchNorm2d(c_prev), nn.ReLU(inplace=True))
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_prev, num_classes)

    def forward(self, x):
        x = self.stem(x)
        for cell in self.cells:
            x = cell(x)
        features = self.global_pooling(self.lastact(x)).flatten(1)
        return features, self.classifier(features)


def build_network(space, arch, num_classes):
    if space == "tss":
        channels = [16] * 5 + [32] + [32] * 5 + [64] + [64] * 5
        return CellNetwork(arch, channels, 5, num_classes)
    channels = [int(c) for c in arch.split(":")]
    return CellNetwork(SSS_GENOTYPE, channels, len(channels) // 3, num_classes)


def xautodl_check(space, arch, num_classes, ours):
    """Compares parameter count and state-dict names/shapes with xautodl's network, if importable."""
    here = os.path.dirname(os.path.abspath(__file__))
    pydeps = os.path.join(here, "..", "..", ".deps", "python")
    if os.path.isdir(pydeps) and pydeps not in sys.path:
        sys.path.append(pydeps)
    try:
        from xautodl.config_utils import dict2config
        from xautodl.models import get_cell_based_tiny_net
    except Exception as error:  # noqa: BLE001 (any import problem means: no check)
        return {"checked": False, "reason": f"xautodl not importable: {error}"}
    try:
        if space == "tss":
            config = {"name": "infer.tiny", "C": 16, "N": 5, "arch_str": arch,
                      "num_classes": num_classes}
        else:
            config = {"name": "infer.shape.tiny", "channels": arch, "genotype": SSS_GENOTYPE,
                      "num_classes": num_classes}
        theirs = get_cell_based_tiny_net(dict2config(config, None))
    except Exception as error:  # noqa: BLE001
        return {"checked": False, "reason": f"xautodl could not build the network: {error}"}
    ours_sd, theirs_sd = ours.state_dict(), theirs.state_dict()
    same_layout = ([(k, tuple(v.shape)) for k, v in ours_sd.items()]
                   == [(k, tuple(v.shape)) for k, v in theirs_sd.items()])
    their_params = sum(p.numel() for p in theirs.parameters())
    our_params = sum(p.numel() for p in ours.parameters())
    return {"checked": True, "params_match": their_params == our_params,
            "state_dict_layout_match": same_layout, "xautodl_params": their_params}


# ---------------------------------------------------------------------------------------------
# Data (docs/training.md §2, §4, §9.3)

DATASETS = {
    # name: (image size, classes, training images in the dataset, images the sampler draws, pad)
    "cifar10-valid": (32, 10, 50000, 25000, 4),
    "cifar10": (32, 10, 50000, 50000, 4),
    "cifar100": (32, 100, 50000, 50000, 4),
    "ImageNet16-120": (16, 120, 151700, 151700, 2),
}
NORMALISATION = {
    "cifar10": ((0.4913725490196078, 0.4823529411764706, 0.4466666666666667),
                (0.24705882352941178, 0.24352941176470588, 0.2615686274509804)),
    "cifar100": ((0.5070588235294118, 0.48666666666666664, 0.4407843137254902),
                 (0.26745098039215687, 0.2564705882352941, 0.27607843137254906)),
    "ImageNet16": ((0.4810980392156863, 0.45749019607843133, 0.4078823529411765),
                   (0.247921568627451, 0.24023529411764705, 0.2552549019607843)),
}


def normalisation(dataset):
    if dataset.startswith("cifar10") and not dataset.startswith("cifar100"):
        return NORMALISATION["cifar10"]
    return NORMALISATION["cifar100" if dataset == "cifar100" else "ImageNet16"]


class BuiltinTransform:
    """Flip, pad-and-crop, to float, normalise: one image, torch ops, torchvision's draw order."""

    def __init__(self, size, pad, mean, std):
        self.size, self.pad = size, pad
        self.mean = torch.tensor(mean, dtype=torch.float32).view(3, 1, 1)
        self.std = torch.tensor(std, dtype=torch.float32).view(3, 1, 1)

    def __call__(self, hwc):
        image = hwc.permute(2, 0, 1)  # CHW view of the uint8 image
        if torch.rand(1).item() < 0.5:
            image = image.flip(2)
        size, pad = self.size, self.pad
        padded = torch.zeros((3, size + 2 * pad, size + 2 * pad), dtype=torch.uint8)
        padded[:, pad:pad + size, pad:pad + size] = image
        top = int(torch.randint(0, 2 * pad + 1, (1,)).item())
        left = int(torch.randint(0, 2 * pad + 1, (1,)).item())
        crop = padded[:, top:top + size, left:left + size]
        return crop.to(torch.float32).div(255.0).sub(self.mean).div(self.std)


class TorchvisionTransform:
    """The original's pipeline: a PIL image through torchvision's transforms."""

    def __init__(self, size, pad, mean, std):
        from PIL import Image
        from torchvision import transforms
        self.image = Image
        self.pipeline = transforms.Compose([
            transforms.RandomHorizontalFlip(), transforms.RandomCrop(size, padding=pad),
            transforms.ToTensor(), transforms.Normalize(mean, std)])

    def __call__(self, hwc):
        return self.pipeline(self.image.fromarray(hwc.numpy()))


class SyntheticImages(torch.utils.data.Dataset):
    """uint8 HWC images and labels made in memory from a seed; per-image transform on read."""

    def __init__(self, count, size, classes, transform, seed):
        generator = torch.Generator().manual_seed(seed)
        self.images = torch.randint(0, 256, (count, size, size, 3), dtype=torch.uint8,
                                    generator=generator)
        self.labels = torch.randint(0, classes, (count,), generator=generator).tolist()
        self.transform = transform

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, index):
        return self.transform(self.images[index]), self.labels[index]


# ---------------------------------------------------------------------------------------------
# Training loop (docs/training.md §5)

class Average:
    def __init__(self):
        self.sum, self.count = 0.0, 0

    def update(self, value, n):
        self.sum += value * n
        self.count += n

    @property
    def value(self):
        return self.sum / max(self.count, 1)


def top_k_accuracy(logits, targets, ks):
    """Percentages of the batch whose label is among the k highest logits, one per k."""
    highest = logits.topk(max(ks), dim=1, largest=True, sorted=True).indices
    hits = highest.eq(targets.view(-1, 1))
    return [hits[:, :k].any(dim=1).float().sum().mul(100.0 / targets.size(0)) for k in ks]


def seed_everything(seed):
    random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    try:
        import numpy
        numpy.random.seed(seed)
    except ImportError:
        pass


def versions(device):
    info = {"python": platform.python_version(), "torch": torch.__version__,
            "cuda": torch.version.cuda, "cudnn": None, "device_name": "cpu"}
    if device.type == "cuda":
        info["cudnn"] = torch.backends.cudnn.version()
        info["device_name"] = torch.cuda.get_device_name(device)
        props = torch.cuda.get_device_properties(device)
        info["multiprocessors"] = props.multi_processor_count
        info["compute_capability"] = f"{props.major}.{props.minor}"
    else:
        info["device_name"] = platform.processor() or platform.machine()
    return info


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--space", choices=["tss", "sss"], default="tss")
    parser.add_argument("--arch", default="11", help="official index or arch string (default 11)")
    parser.add_argument("--dataset", choices=sorted(DATASETS), default="cifar10-valid")
    parser.add_argument("--device", default="cuda", help="cpu, cuda or cuda:N")
    parser.add_argument("--steps", type=int, default=60, help="timed training steps")
    parser.add_argument("--warmup", type=int, default=10, help="untimed steps before timing")
    parser.add_argument("--workers", type=int, default=4, help="DataLoader workers (original: 4)")
    parser.add_argument("--threads", type=int, default=4, help="torch CPU threads (original: 4)")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--images", type=int, default=0,
                        help="synthetic training images (default: the dataset's count)")
    parser.add_argument("--transforms", choices=["builtin", "torchvision"], default="builtin")
    parser.add_argument("--no-data-parallel", action="store_true",
                        help="skip the single-device DataParallel wrapper of the original")
    parser.add_argument("--profile-steps", type=int, default=0,
                        help="after timing, count CUDA kernels over this many steps")
    parser.add_argument("--seed", type=int, default=777)
    parser.add_argument("--json-out", help="also write the JSON line to this file")
    args = parser.parse_args()
    if args.steps < 1 or args.warmup < 0 or args.workers < 0 or args.threads < 1:
        parser.error("--steps must be >= 1, --warmup and --workers >= 0, --threads >= 1")

    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        parser.error(f"--device {args.device}: torch {torch.__version__} sees no CUDA device")
    torch.set_num_threads(args.threads)
    torch.backends.cudnn.enabled = True
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False

    index, arch = resolve_arch(args.space, args.arch)
    size, classes, count, drawn, pad = DATASETS[args.dataset]
    if args.images:
        count, drawn = args.images, min(drawn, args.images)

    seed_everything(args.seed)
    network = build_network(args.space, arch, classes)  # on the CPU, after seeding (§5.2)
    params = sum(p.numel() for p in network.parameters())
    check = xautodl_check(args.space, arch, classes, network)

    mean, std = normalisation(args.dataset)
    transform_class = BuiltinTransform if args.transforms == "builtin" else TorchvisionTransform
    transform = transform_class(size, pad, mean, std)
    data = SyntheticImages(count, size, classes, transform, args.seed)
    if drawn < count:  # cifar10-valid: the 25,000 train-split images of the CIFAR-10 train set
        subset = torch.randperm(count, generator=torch.Generator().manual_seed(1))[:drawn]
        loader_order = {"sampler": torch.utils.data.SubsetRandomSampler(subset.tolist())}
    else:
        loader_order = {"shuffle": True}
    loader = torch.utils.data.DataLoader(
        data, batch_size=args.batch_size, num_workers=args.workers,
        pin_memory=device.type == "cuda", **loader_order)

    if args.no_data_parallel:
        model = network.to(device)
    else:
        ids = [device.index or 0] if device.type == "cuda" else None
        model = nn.DataParallel(network, device_ids=ids).to(device)
    criterion = nn.CrossEntropyLoss().to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4,
                                nesterov=True)
    epochs = 200  # the LR value only: lr(e) of hp 200, constant within an epoch

    def synchronise():
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    losses, top1, top5 = Average(), Average(), Average()
    state = {"epoch": 0, "batches": iter(loader)}

    def next_batch():
        try:
            return next(state["batches"])
        except StopIteration:  # a new epoch: a new permutation and new workers, as the original
            state["epoch"] += 1
            state["batches"] = iter(loader)
            return next(state["batches"])

    def step():
        """One training step; returns (images, seconds spent waiting for the loader)."""
        waited = time.perf_counter()
        inputs, targets = next_batch()
        waited = time.perf_counter() - waited
        lr = 0.05 * (1.0 + math.cos(math.pi * state["epoch"] / epochs))
        for group in optimizer.param_groups:  # the scheduler's per-batch update
            group["lr"] = lr
        if args.no_data_parallel:
            inputs = inputs.to(device, non_blocking=True)
        targets = targets.to(device, non_blocking=True)
        optimizer.zero_grad()
        _, logits = model(inputs)
        loss = criterion(logits, targets)
        loss.backward()
        optimizer.step()
        acc1, acc5 = top_k_accuracy(logits.detach(), targets, (1, min(5, classes)))
        batch = inputs.size(0)
        losses.update(loss.item(), batch)
        top1.update(acc1.item(), batch)
        top5.update(acc5.item(), batch)
        return batch, waited

    model.train()
    start = time.perf_counter()
    for _ in range(args.warmup):
        step()
    synchronise()
    warmup_seconds = time.perf_counter() - start

    images, waiting = 0, 0.0
    start = time.perf_counter()
    for _ in range(args.steps):
        batch, waited = step()
        images += batch
        waiting += waited
    synchronise()
    seconds = time.perf_counter() - start

    result = {
        "tool": "reference_loop.py", "space": args.space, "arch": arch, "arch_index": index,
        "dataset": args.dataset, "device": str(device), "batch_size": args.batch_size,
        "workers": args.workers, "threads": args.threads, "transforms": args.transforms,
        "data_parallel": not args.no_data_parallel, "deterministic": True,
        "steps": args.steps, "warmup": args.warmup, "images": images,
        "seconds": seconds, "warmup_seconds": warmup_seconds,
        "images_per_second": images / seconds, "ms_per_step": 1000.0 * seconds / args.steps,
        "loader_wait_fraction": waiting / seconds, "params": params / 1e6,
        "xautodl": check, "train_loss": losses.value, "train_top1": top1.value,
        "train_top5": top5.value, "dataset_images": count, "epoch_images": drawn,
    }
    result.update(versions(device))

    line = json.dumps(result, sort_keys=True)
    print(line, flush=True)
    if args.profile_steps > 0:  # after the timing is out: a second, complete line
        try:
            result["profile"] = profile_steps(step, args.profile_steps, device, synchronise)
        except Exception as error:  # noqa: BLE001 (the timing above stands without it)
            result["profile"] = {"error": f"{type(error).__name__}: {error}"}
        line = json.dumps(result, sort_keys=True)
        print(line, flush=True)
    if args.json_out:
        with open(args.json_out, "w", encoding="utf-8") as handle:
            handle.write(line + "\n")


def profile_steps(step, steps, device, synchronise):
    """CUDA kernels and GPU-busy time per step over `steps` steps (torch.profiler)."""
    from torch.profiler import ProfilerActivity, profile
    activities = [ProfilerActivity.CPU]
    if device.type == "cuda":
        activities.append(ProfilerActivity.CUDA)
    synchronise()
    start = time.perf_counter()
    with profile(activities=activities) as prof:
        for _ in range(steps):
            step()
        synchronise()
    wall = time.perf_counter() - start
    kernels, copies, busy_us = 0, 0, 0.0
    for event in prof.events():
        if "CUDA" not in str(getattr(event, "device_type", "")) or event.is_async:
            continue
        if event.name.startswith(("Memcpy", "Memset")):
            copies += 1
        else:
            kernels += 1
        busy_us += event.time_range.elapsed_us()
    return {"steps": steps, "kernels_per_step": kernels / steps,
            "copies_per_step": copies / steps,
            "gpu_busy_ms_per_step": busy_us / 1000.0 / steps,
            "wall_ms_per_step_profiled": 1000.0 * wall / steps,
            "gpu_busy_fraction": (busy_us / 1e6) / wall if wall > 0 else None}


if __name__ == "__main__":
    try:
        main()
    except (ValueError, RuntimeError) as error:
        print(f"reference_loop.py: error: {error}", file=sys.stderr)
        sys.exit(2)
