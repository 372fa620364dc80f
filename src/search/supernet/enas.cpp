// ENAS (spec nas-algorithms.md §4.6): weight steps on architectures sampled from an LSTM
// controller (dynamic mode), then, after each epoch's weight steps, the controller trained with
// REINFORCE on the valid loader: reward = top-1 + 1e-4 * entropy, an epoch-constant moving
// baseline, 20 samples per Adam step, the gradient norm clipped at 5. The genotype is the best
// of 100 controller samples.
#include <torch/torch.h>

#include "algorithms.h"
#include "natsbench/util/error.h"
#include "natsbench/util/python_number.h"

namespace natsbench::search {

namespace {

constexpr int kSamplesPerUpdate = 20;  // controller_num_aggregate
constexpr double kBaselineDecay = 0.99;
constexpr double kEntropyWeight = 1e-4;
constexpr double kGradNormLimit = 5.0;

model::EnasController controller_of(SupernetState& state) {
  auto controller = state.net->controller();
  if (!controller) throw Error("enas: the supernet has no controller");
  return controller;
}

// torch.nn.utils.clip_grad_norm_(parameters, max_norm) of torch 1.13, op for op.
void clip_grad_norm(const std::vector<torch::Tensor>& parameters, double max_norm) {
  std::vector<torch::Tensor> grads, norms;
  for (const auto& p : parameters) {
    if (p.grad().defined()) grads.push_back(p.grad().detach());
  }
  if (grads.empty()) return;
  // torch.norm(t, 2.0) of torch 1.13 is at::norm over every dimension.
  const auto norm = [](const torch::Tensor& t) {
    std::vector<std::int64_t> dims(static_cast<std::size_t>(t.dim()));
    for (std::size_t d = 0; d < dims.size(); ++d) dims[d] = static_cast<std::int64_t>(d);
    return torch::norm(t, 2.0, dims, /*keepdim=*/false);
  };
  for (const auto& g : grads) norms.push_back(norm(g));
  const auto total = norm(torch::stack(norms));
  // max_norm / (total + 1e-6) is Tensor.__rtruediv__: reciprocal, then the product.
  const auto reciprocal = torch::add(total, python_number(1e-6)).reciprocal();
  const auto coefficient =
      torch::clamp(torch::mul(reciprocal, python_number(max_norm)), c10::nullopt, 1.0);
  for (auto& g : grads) g.mul_(coefficient);
}

class Enas : public SupernetAlgorithm {
 public:
  std::optional<ArchAdam> arch_adam() const override {
    // The documented invocation's controller optimizer (spec §2.3).
    return ArchAdam{/*lr=*/1e-3, /*weight_decay=*/0, /*eps=*/1e-3};
  }
  void prepare_weight_step(SupernetState& state) override {
    auto controller = controller_of(state);
    model::EdgeOps arch{};
    {
      torch::NoGradGuard no_grad;
      controller->eval();
      arch = controller->sample().arch;
    }
    state.net->set_mode(model::SupernetMode::Dynamic);
    state.net->set_dynamic_arch(arch);
  }
  HalfStep arch_step(SupernetState& state, const PairBatch& batch) override {
    // For the logs only: the weight step's architecture on the arch half.
    torch::NoGradGuard no_grad;
    return forward_loss(*state.net, batch.arch_images, batch.arch_labels);
  }
  bool trains_controller() const override { return true; }
  ControllerTraining train_controller(SupernetState& state, ValidBatches& valid, int updates,
                                      const std::function<bool()>& stop) override;
  Selection derive(SupernetState& state, ValidBatches& valid) override {
    auto controller = controller_of(state);
    std::vector<model::EdgeOps> candidates;
    {
      torch::NoGradGuard no_grad;
      state.net->eval();
      for (int i = 0; i < state.candidates; ++i) candidates.push_back(controller->sample().arch);
    }
    return select_best(*state.net, candidates, valid);
  }
  void prepare_valid(SupernetState& state, const model::EdgeOps& genotype) override {
    state.net->set_mode(model::SupernetMode::Dynamic);
    state.net->set_dynamic_arch(genotype);
  }
};

ControllerTraining Enas::train_controller(SupernetState& state, ValidBatches& valid, int updates,
                                          const std::function<bool()>& stop) {
  auto& net = *state.net;
  auto controller = controller_of(state);
  net.eval();
  controller->train();
  controller->zero_grad(/*set_to_none=*/false);
  const auto previous = state.controller_baseline;
  const auto parameters = controller->parameters();
  ControllerTraining out;
  double loss_sum = 0, top1_sum = 0, entropy_sum = 0, baseline_sum = 0, reward_sum = 0;
  const int steps = updates * kSamplesPerUpdate;
  valid.start();
  for (int step = 0; step < steps; ++step) {
    if (stop && stop()) {
      out.stopped = true;
      return out;
    }
    auto batch = valid.next();
    if (!batch) {
      valid.start();
      batch = valid.next();
      if (!batch) throw Error("enas: the valid loader is empty");
    }
    const auto sample = controller->sample();
    torch::Tensor top1;
    {
      torch::NoGradGuard no_grad;
      net.set_mode(model::SupernetMode::Dynamic);
      net.set_dynamic_arch(sample.arch);
      const auto logits = net.forward(batch->first).second;
      top1 = torch::div(batch_top1_tensor(logits, batch->second).view(-1), python_number(100));
    }
    // The reference's arithmetic, op for op (util/python_number.h), one op per statement: their
    // order sets the backward's accumulation order.
    const auto reward = top1 + torch::mul(sample.entropy, python_number(kEntropyWeight));
    torch::Tensor baseline = top1;
    if (previous) {  // previous - (1 - decay) * (previous - reward); Python's rsub takes a Scalar
      const auto gap = torch::rsub(reward, *previous);
      baseline = torch::rsub(torch::mul(gap, python_number(1 - kBaselineDecay)), *previous);
    }
    const auto negated = torch::mul(sample.log_prob, python_number(-1));
    const auto advantage = reward - baseline;
    auto loss = negated * advantage;
    // The meters' values, in one device-to-host transfer.
    const auto values =
        torch::cat({loss.detach().view(-1), top1.view(-1), sample.entropy.detach().view(-1),
                    baseline.detach().view(-1), reward.detach().view(-1)})
            .to(torch::kCPU, torch::kDouble);
    const double* v = values.data_ptr<double>();
    loss_sum += v[0];
    top1_sum += v[1] * 100;
    entropy_sum += v[2];
    baseline_sum += v[3];
    reward_sum += v[4];
    loss = torch::div(loss, python_number(kSamplesPerUpdate));
    loss.backward({}, /*retain_graph=*/true);
    if ((step + 1) % kSamplesPerUpdate == 0) {
      clip_grad_norm(parameters, kGradNormLimit);
      state.arch_optimizer->step();
      controller->zero_grad(/*set_to_none=*/false);
      ++out.updates;
    }
  }
  if (steps > 0) {
    const double n = steps;
    out.loss = loss_sum / n;
    out.top1 = top1_sum / n;
    out.entropy = entropy_sum / n;
    out.baseline = baseline_sum / n;
    out.reward = reward_sum / n;
    state.controller_baseline = out.baseline;
  }
  return out;
}

}  // namespace

std::unique_ptr<SupernetAlgorithm> make_enas() {
  return std::make_unique<Enas>();
}

}  // namespace natsbench::search
