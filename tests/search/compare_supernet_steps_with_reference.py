#!/usr/bin/env python3
"""K search steps of each weight-sharing algorithm == the reference's, bit for bit on the CPU.

The reference side is the original search model and optimizers (`xautodl` from PyPI) on Debian's
python3-torch, which shares its ATen with Debian's libtorch, driven by the spec's step
(reference_search_step.py): seeding, genotypes[-1], the two torch draws of iter(search loader)
per epoch, then per step the weight step and the arch step of the algorithm.

natsbench runs the same steps on the same batches (tests/search/supernet_step_probe.cpp):
16x16 images (ImageNet16-120's size; the supernet is resolution-agnostic) keep it quick.
Compared after the steps: every state-dict entry, every SGD momentum buffer, Adam's state, the
per-step losses, genotypes[-1], the next Python `random` and torch draws (the RNG streams were
consumed alike), and for SETN and RSPS the 100 most probable cells under the trained alpha and a
random.sample of 100 cells (their candidates). ENAS also trains its controller after each epoch's
steps (2 Adam updates of 20 samples on 3 small valid batches, cycled; the second epoch with the
first one's baseline): its parameters and Adam state are in the comparison, with the controller
training's averages and 10 architectures sampled at the end. Neither side makes the torch draws
of the reference's iter(valid loader) (its data order is not reproduced, spec §2.4.1).

Usage: compare_supernet_steps_with_reference.py PROBE PYDEPS_DIR [ALGO...] [--perturb NAME]
(exit 77 = skipped). --perturb changes one hyper-parameter on the reference side only (adam-beta1,
tau, darts-r, lr, momentum): the comparison must then fail.
"""
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
algos = args[2:] or ["darts-v1", "darts-v2", "gdas", "setn", "rsps", "enas"]
sys.path.insert(0, pydeps)
try:
    import torch
except ImportError:
    print("SKIP: python3 has no torch (Debian package python3-torch)")
    sys.exit(SKIP)
try:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from reference_search_step import OPS, ReferenceSearch
except ImportError as error:
    print(f"SKIP: xautodl not importable from {pydeps} ({error}); run scripts/setup.sh")
    sys.exit(SKIP)

CLASSES = 10
EPOCHS = 4          # the run's E: the learning rate and GDAS's tau change between epochs
STEPS_PER_EPOCH = 2
FIRST_EPOCH = 1     # epochs 1 and 2: lr < lr_max, 0.1 < tau < 10
STEPS = 4
CONTROLLER_UPDATES = 2
VALID_BATCHES = 3


def make_batches(seed):
    generator = torch.Generator().manual_seed(seed)
    batches = {"classes": CLASSES, "epochs": EPOCHS, "steps_per_epoch": STEPS_PER_EPOCH,
               "first_epoch": FIRST_EPOCH, "steps": STEPS, "controller_updates": CONTROLLER_UPDATES,
               "valid_batches": VALID_BATCHES}
    for i in range(STEPS):
        # The second half is smaller, as the last batch of an epoch can be.
        for half, size in (("b", 5), ("a", 4)):
            batches[f"{half}x{i}"] = torch.randn(size, 3, 16, 16, generator=generator)
            batches[f"{half}y{i}"] = torch.randint(0, CLASSES, (size,), generator=generator)
    for i in range(VALID_BATCHES):
        batches[f"vx{i}"] = torch.randn(6, 3, 16, 16, generator=generator)
        batches[f"vy{i}"] = torch.randint(0, CLASSES, (6,), generator=generator)
    return batches


def reference_run(algo, seed, batches):
    random.seed(seed)
    torch.manual_seed(seed)
    reference = ReferenceSearch(algo, CLASSES, EPOCHS, perturb)
    network = reference.network
    initial = network.return_topK(1, True)[0]
    base_losses, arch_losses, baseline, expected = [], [], None, {}
    for i in range(STEPS):
        if i % STEPS_PER_EPOCH == 0:
            reference.start_epoch(FIRST_EPOCH + i // STEPS_PER_EPOCH)
            for _ in range(2):  # iter(search loader): the base seed, the sampler's seed
                torch.empty((), dtype=torch.int64).random_()
        reference.scheduler.update(None, 1.0 * (i % STEPS_PER_EPOCH) / STEPS_PER_EPOCH)
        base_loss, arch_loss = reference.step(*(batches[f"{k}{i}"] for k in ("bx", "by", "ax", "ay")))
        base_losses.append(base_loss)
        arch_losses.append(arch_loss)
        if algo == "enas" and (i + 1) % STEPS_PER_EPOCH == 0:
            valid = [(batches[f"vx{v}"], batches[f"vy{v}"]) for v in range(VALID_BATCHES)]
            averages = reference.train_controller(valid, CONTROLLER_UPDATES, baseline)
            baseline = averages[3]
            expected[f"controller.{FIRST_EPOCH + i // STEPS_PER_EPOCH}"] = torch.tensor(
                averages, dtype=torch.float64)

    w_optimizer, a_optimizer = reference.w_optimizer, reference.a_optimizer
    expected.update({"sd." + k: v for k, v in network.state_dict().items()})
    for name, p in network.named_parameters():
        if p in w_optimizer.state and "momentum_buffer" in w_optimizer.state[p]:
            expected["sgd." + name] = w_optimizer.state[p]["momentum_buffer"]
    for index, p in enumerate(network.alphas):
        if algo == "rsps" or p not in a_optimizer.state:
            continue
        state = a_optimizer.state[p]
        expected[f"adam.{index}.exp_avg"] = state["exp_avg"]
        expected[f"adam.{index}.exp_avg_sq"] = state["exp_avg_sq"]
        expected[f"adam.{index}.step"] = torch.tensor(float(state["step"]), dtype=torch.float64)
    expected["loss.base"] = torch.stack(base_losses)
    expected["loss.arch"] = torch.stack(arch_losses)
    expected["initial_genotype"] = cells_tensor([initial])
    expected["next.python"] = torch.tensor(random.getrandbits(32))
    expected["next.torch"] = torch.randn(4)
    if algo == "enas":  # its candidates: samples of the trained controller
        with torch.no_grad():
            network.eval()
            expected["samples"] = cells_tensor([network.controller()[2] for _ in range(10)])
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
                 if key not in expected and key not in ("top100", "random100", "samples")]
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
    for problem in problems[:int(os.environ.get("SHOW_PROBLEMS", 12))]:
        print("   ", problem)
    return not problems


results = [check(algo, seed) for algo in algos for seed in (777, 888)]
sys.exit(0 if all(results) else 1)
