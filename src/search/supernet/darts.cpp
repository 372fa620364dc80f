// DARTS-V1 and DARTS-V2 (spec §4.1, §4.2): the joint supernet, arch parameters learnt by Adam on
// the arch half; V2 differentiates through one virtual SGD step of the weights.
#include <torch/torch.h>

#include "algorithms.h"
#include "natsbench/train/optimizer_state.h"

namespace natsbench::search {

namespace {

torch::Tensor flat(const std::vector<torch::Tensor>& tensors) {
  std::vector<torch::Tensor> views;
  views.reserve(tensors.size());
  for (const auto& t : tensors) views.push_back(t.view(-1));
  return torch::cat(views);
}

class DartsV1 : public SupernetAlgorithm {
 public:
  void prepare_weight_step(SupernetState& state) override {
    state.net->set_mode(model::SupernetMode::Joint);
  }
  HalfStep arch_step(SupernetState& state, const PairBatch& batch) override {
    state.net->set_mode(model::SupernetMode::Joint);
    return arch_gradient_step(state, batch);
  }
  Selection derive(SupernetState& state, ValidBatches& valid) override {
    // The argmax is the genotype; scoring it on one batch is for the logs.
    return select_best(*state.net, {state.net->argmax_arch()}, valid);
  }
  void prepare_valid(SupernetState& state, const model::EdgeOps& /*genotype*/) override {
    state.net->set_mode(model::SupernetMode::Joint);
  }
};

// The arch gradient of the unrolled model, alpha.grad = dL_val(w', alpha)/dalpha - xi * H v, with
// w' = w - xi (mu m + dL_train/dw + lambda w) and H v by finite differences (spec §4.2). The
// reference deep-copies the network for w'; here the network itself is swapped to w' and back
// (an exact copy), which gives the same numbers: the cells' BNs have no buffers and the others
// normalise by batch statistics in train mode, and the copy's updated running stats were
// discarded by the reference.
class DartsV2 : public DartsV1 {
 public:
  HalfStep arch_step(SupernetState& state, const PairBatch& batch) override {
    auto& net = *state.net;
    net.set_mode(model::SupernetMode::Joint);
    const auto weights = net.weights();
    const auto alpha = net.arch_parameters();
    auto& sgd = *state.weight_optimizer;
    const auto& options =
        static_cast<const torch::optim::SGDOptions&>(sgd.param_groups().front().options());
    const double lr = options.lr(), momentum = options.momentum(), decay = options.weight_decay();

    // 1. The virtual step, from a fresh forward of the weight half at the updated weights.
    torch::Tensor theta, unrolled;  // theta: an exact copy of w, from which w is restored
    {
      const auto train_loss = forward_loss(net, batch.base_images, batch.base_labels).loss;
      const auto grads = torch::autograd::grad({train_loss}, weights);
      torch::NoGradGuard no_grad;
      theta = flat(weights);
      std::vector<torch::Tensor> buffers;
      for (const auto& w : weights) {
        // The SGD step just ran on every weight (joint mode uses them all): each has a buffer.
        const auto* param_state =
            static_cast<const torch::optim::SGDParamState*>(train::find_param_state(sgd, w));
        buffers.push_back(param_state->momentum_buffer());
      }
      const auto moment = flat(buffers).mul_(momentum);
      const auto dtheta = flat(grads) + decay * theta;
      unrolled = theta.sub(moment + dtheta, lr);
    }

    // 2. L_val(w', alpha) on the arch half: its alpha gradient and its w' gradient v.
    // Copies `flat` (weights() concatenated) into the weights.
    const auto load_weights = [&](const torch::Tensor& flat_weights) {
      torch::NoGradGuard no_grad;
      std::int64_t offset = 0;
      for (const auto& w : weights) {
        const auto n = w.numel();
        w.copy_(flat_weights.slice(0, offset, offset + n).view_as(w));
        offset += n;
      }
    };
    std::vector<torch::Tensor> saved_buffers;
    {
      torch::NoGradGuard no_grad;
      for (const auto& b : net.buffers()) saved_buffers.push_back(b.detach().clone());
    }
    load_weights(unrolled);
    net.zero_grad(/*set_to_none=*/false);
    auto half = forward_loss(net, batch.arch_images, batch.arch_labels);
    half.loss.backward();
    const auto dalpha = alpha.grad().clone();
    std::vector<torch::Tensor> vector;
    for (const auto& w : weights) vector.push_back(w.grad().clone());
    load_weights(theta);
    {
      torch::NoGradGuard no_grad;
      auto buffers = net.buffers();
      for (std::size_t i = 0; i < buffers.size(); ++i) buffers[i].copy_(saved_buffers[i]);
    }
    net.zero_grad(/*set_to_none=*/false);

    // 3. H v by central differences at w +- r v, r = 0.01 / |v|; w restored by arithmetic.
    const auto r = flat(vector).norm().reciprocal() * 0.01;
    const double r_value = r.item<double>();
    auto alpha_grad_at = [&](double scale) {
      {
        torch::NoGradGuard no_grad;
        for (std::size_t i = 0; i < weights.size(); ++i) weights[i].add_(vector[i], scale);
      }
      const auto loss = forward_loss(net, batch.base_images, batch.base_labels).loss;
      return torch::autograd::grad({loss}, {alpha}).front();
    };
    const auto grad_plus = alpha_grad_at(r_value);
    const auto grad_minus = alpha_grad_at(-2 * r_value);
    {
      torch::NoGradGuard no_grad;
      for (std::size_t i = 0; i < weights.size(); ++i) weights[i].add_(vector[i], r_value);
    }
    const auto hvp = (grad_plus - grad_minus).div_(2 * r);

    // 4. alpha.grad = dalpha - xi hvp, then Adam.
    {
      torch::NoGradGuard no_grad;
      dalpha.sub_(hvp, lr);
      alpha.mutable_grad().copy_(dalpha);
    }
    state.arch_optimizer->step();
    return {half.loss.detach(), half.logits.detach()};
  }
};

}  // namespace

std::unique_ptr<SupernetAlgorithm> make_darts_v1() {
  return std::make_unique<DartsV1>();
}
std::unique_ptr<SupernetAlgorithm> make_darts_v2() {
  return std::make_unique<DartsV2>();
}

}  // namespace natsbench::search
