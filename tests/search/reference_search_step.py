"""The reference's weight-sharing search step on the topology space, for the step-equivalence
test (compare_supernet_steps_with_reference.py) and the side-by-side benchmark
(scripts/bench/search_step.sh).

The model, optimizer and scheduler are the original ones (`xautodl` from PyPI:
get_cell_based_tiny_net's GenericNAS201Model and procedures/optimizers.py); search-cell.py is not
in the PyPI package, so the step around them is written here from the spec (nas-algorithms.md
§2.4, §4): weight step (mode, zero_grad, forward, CE, backward, SGD), then the algorithm's arch
step, DARTS-V2's unrolled gradient included, and ENAS's controller training (§4.6). `perturb` changes one hyper-parameter (for showing
that the comparison can fail): adam-beta1, tau, darts-r, lr, momentum.
"""
import copy
import importlib.util
import os

import torch
import xautodl
from xautodl.config_utils import dict2config
from xautodl.models import get_cell_based_tiny_net

OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
REFERENCE_NAME = {"rsps": "random"}


def _procedures_module(name):
    # xautodl.procedures' __init__ needs torchvision; its optimizers and eval_funcs do not.
    spec = importlib.util.spec_from_file_location(
        "xautodl_" + name,
        os.path.join(os.path.dirname(xautodl.__file__), "procedures", name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# (xautodl.utils' copy lacks the .contiguous() that topk=(1, 5) needs)
obtain_accuracy = _procedures_module("eval_funcs").obtain_accuracy


class ReferenceSearch:
    def __init__(self, algo, num_classes, epochs, perturb=None):
        """Builds the supernet and optimizers in the reference's order; seed torch and Python's
        random before (prepare_seed)."""
        self.algo, self.epochs, self.perturb = algo, epochs, perturb
        self.network = get_cell_based_tiny_net(dict2config({
            "name": "generic", "super_type": "basic", "C": 16, "N": 5, "max_nodes": 4,
            "num_classes": num_classes, "space": OPS, "affine": False,
            "track_running_stats": False}, None))
        self.network.set_algo(REFERENCE_NAME.get(algo, algo))
        config = dict2config({
            "optim": "SGD", "LR": 0.025, "decay": 5e-4,
            "momentum": 0.8 if perturb == "momentum" else 0.9, "nesterov": True,
            "scheduler": "cos", "eta_min": 0.002 if perturb == "lr" else 0.001,
            "epochs": epochs, "warmup": 0, "criterion": "Softmax"}, None)
        self.w_optimizer, self.scheduler, self.criterion = \
            _procedures_module("optimizers").get_optim_scheduler(self.network.weights, config)
        beta1 = 0.6 if perturb == "adam-beta1" else 0.5
        if algo == "enas":  # the documented controller optimizer (spec §2.3)
            self.a_optimizer = torch.optim.Adam(
                self.network.alphas, lr=1e-3, betas=(beta1, 0.999), weight_decay=0, eps=1e-3)
        else:
            self.a_optimizer = torch.optim.Adam(
                self.network.alphas, lr=3e-4, betas=(beta1, 0.999), weight_decay=1e-3, eps=1e-8)

    def start_epoch(self, epoch):
        self.scheduler.update(epoch, 0.0)
        if self.algo == "gdas":
            tau_max = 9.0 if self.perturb == "tau" else 10.0
            self.network.set_tau(tau_max - (tau_max - 0.1) * epoch / (self.epochs - 1))
        self.network.train()

    def step(self, bx, by, ax, ay):
        """One weight step and one arch step; returns the two losses."""
        network, algo, criterion = self.network, self.algo, self.criterion
        if algo == "setn":
            network.set_cal_mode("dynamic", network.dync_genotype(True))
        elif algo == "gdas":
            network.set_cal_mode("gdas", None)
        elif algo.startswith("darts"):
            network.set_cal_mode("joint", None)
        elif algo == "enas":
            with torch.no_grad():
                network.controller.eval()
                _, _, sampled_arch = network.controller()
            network.set_cal_mode("dynamic", sampled_arch)
        else:
            network.set_cal_mode("urs", None)
        network.zero_grad()
        _, logits = network(bx)
        base_loss = criterion(logits, by)
        base_loss.backward()
        self.w_optimizer.step()

        if algo != "enas":  # ENAS keeps the weight step's architecture
            network.set_cal_mode({"setn": "joint", "gdas": "gdas", "rsps": "urs"}.get(algo, "joint"),
                                 None)
        network.zero_grad()
        if algo == "darts-v2":
            arch_loss = self.unrolled_arch_gradient(
                (bx, by), (ax, ay), r=2e-2 if self.perturb == "darts-r" else 1e-2)
            self.a_optimizer.step()
        elif algo in ("rsps", "enas"):
            with torch.no_grad():
                _, logits = network(ax)
                arch_loss = criterion(logits, ay)
        else:
            _, logits = network(ax)
            arch_loss = criterion(logits, ay)
            arch_loss.backward()
            self.a_optimizer.step()
        return base_loss.detach(), arch_loss.detach()

    def train_controller(self, valid_batches, updates, prev_baseline, aggregate=20):
        """ENAS's controller training (spec §4.6 step 2) on `valid_batches` (cycled), `updates`
        Adam steps of `aggregate` samples; returns the averages (loss, top1 %, entropy,
        baseline, reward), the last as the next epoch's prev_baseline."""
        network = self.network
        network.eval()
        network.controller.train()
        network.controller.zero_grad()
        sums = [0.0] * 5
        batches = iter(valid_batches)
        steps = updates * aggregate
        for step in range(steps):
            try:
                inputs, targets = next(batches)
            except StopIteration:
                batches = iter(valid_batches)
                inputs, targets = next(batches)
            log_prob, entropy, sampled_arch = network.controller()
            with torch.no_grad():
                network.set_cal_mode("dynamic", sampled_arch)
                _, logits = network(inputs)
                val_top1, _ = obtain_accuracy(logits.data, targets.data, topk=(1, 5))
                val_top1 = val_top1.view(-1) / 100
            reward = val_top1 + 1e-4 * entropy
            if prev_baseline is None:
                baseline = val_top1
            else:
                baseline = prev_baseline - (1 - 0.99) * (prev_baseline - reward)
            loss = -1 * log_prob * (reward - baseline)
            for i, value in enumerate((loss.item(), val_top1.item() * 100, entropy.item(),
                                       baseline.item(), reward.item())):
                sums[i] += value
            loss = loss / aggregate
            loss.backward(retain_graph=True)
            if (step + 1) % aggregate == 0:
                torch.nn.utils.clip_grad_norm_(network.controller.parameters(), 5.0)
                self.a_optimizer.step()
                network.controller.zero_grad()
        return [value / steps for value in sums]

    def unrolled_arch_gradient(self, base, arch, r=1e-2):
        """DARTS-V2's arch gradient (spec §4.2), with the network deep-copied for w'."""
        network, criterion, w_optimizer = self.network, self.criterion, self.w_optimizer
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


def concat(tensors):
    return torch.cat([t.view(-1) for t in tensors])
