#!/usr/bin/env python3
"""K search steps of each weight-sharing algorithm == the reference's, bit for bit on the CPU.

The reference side is the original search model (`xautodl` from PyPI: GenericNAS201Model with
set_algo, set_cal_mode, dync_genotype, return_topK) and the original optimizer/scheduler factory
(xautodl.procedures.get_optim_scheduler), on Debian's python3-torch, which shares its ATen with
Debian's libtorch. The step loop around them is written here from the spec
(nas-algorithms.md §2.4 and §4; search-cell.py is not part of the PyPI package): seeding,
genotypes[-1], the two torch draws of iter(search loader) per epoch, then per step the weight
step (mode, zero_grad, forward, CE, backward, SGD) and the arch step of the algorithm, DARTS-V2's
unrolled gradient included.

natsbench runs the same steps on the same batches (tests/search/supernet_step_probe.cpp):
16x16 images (ImageNet16-120's size; the supernet is resolution-agnostic) keep it quick.
Compared after the steps: every state-dict entry, every SGD momentum buffer, Adam's state, the
per-step losses, genotypes[-1], the next Python `random` and torch draws (the RNG streams were
consumed alike), and for SETN and RSPS the 100 most probable cells under the trained alpha and a
random.sample of 100 cells (their candidates).

Usage: compare_supernet_steps_with_reference.py PROBE PYDEPS_DIR [ALGO...] [--perturb NAME]
(exit 77 = skipped). --perturb changes one hyper-parameter on the reference side only (adam-beta1,
tau, darts-r, lr, momentum): the comparison must then fail.
"""
import math
import os
import random
import subprocess
import sys
import tempfile

SKIP = 77
args = sys.argv[1:]
perturb = None
if "--perturb" in args:
    i = args.index("--perturb")
    perturb = args[i + 1]
    del args[i:i + 2]
probe, pydeps = args[0], args[1]
algos = args[2:] or ["darts-v1", "darts-v2", "gdas", "setn", "rsps"]
sys.path.insert(0, pydeps)
try:
    import torch
except ImportError:
    print("SKIP: python3 has no torch (Debian package python3-torch)")
    sys.exit(SKIP)
try:
    from xautodl.config_utils import dict2config
    from xautodl.models import get_cell_based_tiny_net
    import importlib.util
    import xautodl
    # xautodl.procedures' __init__ needs torchvision; its optimizers module does not.
    spec = importlib.util.spec_from_file_location(
        "xautodl_optimizers",
        os.path.join(os.path.dirname(xautodl.__file__), "procedures", "optimizers.py"))
    optimizers = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(optimizers)
    get_optim_scheduler = optimizers.get_optim_scheduler
except ImportError as error:
    print(f"SKIP: xautodl not importable from {pydeps} ({error}); run scripts/setup.sh")
    sys.exit(SKIP)

OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
CLASSES = 10
EPOCHS = 4          # the run's E: the learning rate and GDAS's tau change between epochs
STEPS_PER_EPOCH = 2
FIRST_EPOCH = 1     # epochs 1 and 2: lr < lr_max, 0.1 < tau < 10
STEPS = 4
REFERENCE_NAME = {"rsps": "random"}


def make_batches(seed):
    generator = torch.Generator().manual_seed(seed)
    batches = {"classes": CLASSES, "epochs": EPOCHS, "steps_per_epoch": STEPS_PER_EPOCH,
               "first_epoch": FIRST_EPOCH, "steps": STEPS}
    for i in range(STEPS):
        # The second half is smaller, as the last batch of an epoch can be.
        for half, size in (("b", 5), ("a", 4)):
            batches[f"{half}x{i}"] = torch.randn(size, 3, 16, 16, generator=generator)
            batches[f"{half}y{i}"] = torch.randint(0, CLASSES, (size,), generator=generator)
    return batches


def concat(tensors):
    return torch.cat([t.view(-1) for t in tensors])


def unrolled_arch_gradient(network, criterion, base, arch, w_optimizer, r=1e-2):
    """DARTS-V2's arch gradient (spec §4.2), with the network deep-copied for w'."""
    import copy
    (base_x, base_y), (arch_x, arch_y) = base, arch
    _, logits = network(base_x)
    loss = criterion(logits, base_y)
    group = w_optimizer.param_groups[0]
    lr, decay, momentum = group["lr"], group["weight_decay"], group["momentum"]
    with torch.no_grad():
        theta = concat(network.weights)
        moment = concat([w_optimizer.state[v]["momentum_buffer"] for v in network.weights])
        moment = moment.mul_(momentum)
        dtheta = concat(torch.autograd.grad(loss, network.weights)) + decay * theta
        params = theta.sub(moment + dtheta, alpha=lr)
    unrolled = copy.deepcopy(network)
    model_dict = unrolled.state_dict()
    offset = 0
    for name, value in network.named_parameters():
        if "arch_parameters" in name:
            continue
        length = value.numel()
        model_dict[name] = params[offset:offset + length].view(value.size())
        offset += length
    unrolled.load_state_dict(model_dict)
    unrolled.zero_grad()
    _, unrolled_logits = unrolled(arch_x)
    unrolled_loss = criterion(unrolled_logits, arch_y)
    unrolled_loss.backward()
    dalpha = unrolled.arch_parameters.grad
    vector = [v.grad.data for v in unrolled.weights]
    # Hessian-vector product by central differences.
    R = r / concat(vector).norm()
    for p, v in zip(network.weights, vector):
        p.data.add_(v, alpha=R.item())
    _, logits = network(base_x)
    grads_p = torch.autograd.grad(criterion(logits, base_y), network.alphas)
    for p, v in zip(network.weights, vector):
        p.data.sub_(v, alpha=(2 * R).item())
    _, logits = network(base_x)
    grads_n = torch.autograd.grad(criterion(logits, base_y), network.alphas)
    for p, v in zip(network.weights, vector):
        p.data.add_(v, alpha=R.item())
    hvp = (grads_p[0] - grads_n[0]).div_(2 * R)
    dalpha.data.sub_(hvp.data, alpha=lr)
    network.arch_parameters.grad.data.copy_(dalpha.data)
    return unrolled_loss.detach()


def reference_run(algo, seed, batches):
    xalgo = REFERENCE_NAME.get(algo, algo)
    random.seed(seed)
    torch.manual_seed(seed)
    network = get_cell_based_tiny_net(dict2config({
        "name": "generic", "super_type": "basic", "C": 16, "N": 5, "max_nodes": 4,
        "num_classes": CLASSES, "space": OPS, "affine": False,
        "track_running_stats": False}, None))
    network.set_algo(xalgo)
    config = dict2config({
        "optim": "SGD", "LR": 0.025, "decay": 5e-4,
        "momentum": 0.8 if perturb == "momentum" else 0.9, "nesterov": True,
        "scheduler": "cos", "eta_min": 0.002 if perturb == "lr" else 0.001, "epochs": EPOCHS,
        "warmup": 0, "criterion": "Softmax"}, None)
    w_optimizer, scheduler, criterion = get_optim_scheduler(network.weights, config)
    a_optimizer = torch.optim.Adam(network.alphas, lr=3e-4,
                                   betas=(0.6 if perturb == "adam-beta1" else 0.5, 0.999),
                                   weight_decay=1e-3, eps=1e-8)
    initial = network.return_topK(1, True)[0]
    base_losses, arch_losses = [], []
    for i in range(STEPS):
        if i % STEPS_PER_EPOCH == 0:
            epoch = FIRST_EPOCH + i // STEPS_PER_EPOCH
            scheduler.update(epoch, 0.0)
            if algo == "gdas":
                tau_max = 9.0 if perturb == "tau" else 10.0
                network.set_tau(tau_max - (tau_max - 0.1) * epoch / (EPOCHS - 1))
            network.train()
            for _ in range(2):  # iter(search loader): the base seed, the sampler's seed
                torch.empty((), dtype=torch.int64).random_()
        scheduler.update(None, 1.0 * (i % STEPS_PER_EPOCH) / STEPS_PER_EPOCH)
        bx, by, ax, ay = (batches[f"{k}{i}"] for k in ("bx", "by", "ax", "ay"))
        # weight step
        if algo == "setn":
            network.set_cal_mode("dynamic", network.dync_genotype(True))
        elif algo == "gdas":
            network.set_cal_mode("gdas", None)
        elif algo.startswith("darts"):
            network.set_cal_mode("joint", None)
        else:
            network.set_cal_mode("urs", None)
        network.zero_grad()
        _, logits = network(bx)
        base_loss = criterion(logits, by)
        base_loss.backward()
        w_optimizer.step()
        base_losses.append(base_loss.detach())
        # arch step
        network.set_cal_mode({"setn": "joint", "gdas": "gdas", "rsps": "urs"}.get(algo, "joint"),
                             None)
        network.zero_grad()
        if algo == "darts-v2":
            arch_loss = unrolled_arch_gradient(
                network, criterion, (bx, by), (ax, ay), w_optimizer,
                r=2e-2 if perturb == "darts-r" else 1e-2)
            a_optimizer.step()
        elif algo == "rsps":
            with torch.no_grad():
                _, logits = network(ax)
                arch_loss = criterion(logits, ay)
        else:
            _, logits = network(ax)
            arch_loss = criterion(logits, ay)
            arch_loss.backward()
            a_optimizer.step()
        arch_losses.append(arch_loss.detach())

    expected = {"sd." + k: v for k, v in network.state_dict().items()}
    for name, p in network.named_parameters():
        if p in w_optimizer.state and "momentum_buffer" in w_optimizer.state[p]:
            expected["sgd." + name] = w_optimizer.state[p]["momentum_buffer"]
    if algo != "rsps":
        state = a_optimizer.state[network.arch_parameters]
        expected["adam.exp_avg"] = state["exp_avg"]
        expected["adam.exp_avg_sq"] = state["exp_avg_sq"]
        expected["adam.step"] = torch.tensor(float(state["step"]), dtype=torch.float64)
    expected["loss.base"] = torch.stack(base_losses)
    expected["loss.arch"] = torch.stack(arch_losses)
    expected["initial_genotype"] = cells_tensor([initial])
    expected["next.python"] = torch.tensor(random.getrandbits(32))
    expected["next.torch"] = torch.randn(4)
    if algo in ("setn", "rsps"):  # their candidates (slow in the reference: 15,625 log-probs)
        expected["top100"] = cells_tensor(network.return_topK(100, False))
        expected["random100"] = cells_tensor(network.return_topK(100, True))
    return expected


def cells_tensor(structures):
    rows = []
    for structure in structures:
        rows.append([OPS.index(op) for node in structure.nodes for op, _ in node])
    return torch.tensor(rows, dtype=torch.int64)


def check(algo, seed):
    batches = make_batches(seed + 1)
    with tempfile.TemporaryDirectory() as tmp:
        inputs, out = os.path.join(tmp, "batches.pt"), os.path.join(tmp, "out.pt")
        torch.save(batches, inputs)
        subprocess.run([probe, algo, str(seed), inputs, out], check=True)
        ours = torch.load(out)
    expected = reference_run(algo, seed, batches)
    problems = [f"{key}: missing" for key in expected if key not in ours]
    problems += [f"{key}: not in the reference" for key in ours
                 if key not in expected and key not in ("top100", "random100")]
    for key, value in expected.items():
        if key not in ours:
            continue
        mine = ours[key]
        if mine.shape != value.shape or mine.dtype != value.dtype:
            problems.append(f"{key}: {mine.dtype}{tuple(mine.shape)} vs "
                            f"{value.dtype}{tuple(value.shape)}")
        elif not torch.equal(mine, value):
            diff = (mine.double() - value.double()).abs().max().item()
            problems.append(f"{key}: differs (max abs diff {diff:.3g})")
    live = sum(1 for key in expected if key.startswith("sgd."))
    label = f"{algo} seed {seed}: {STEPS} steps"
    print(f"{'ok' if not problems else 'FAIL'}: {label}: {len(expected)} tensors compared "
          f"({live} momentum buffers)")
    for problem in problems[:12]:
        print("   ", problem)
    return not problems


results = [check(algo, seed) for algo in algos for seed in (777, 888)]
sys.exit(0 if all(results) else 1)
