#include <cmath>

#include <torch/torch.h>

#include "algorithms.h"
#include "natsbench/util/error.h"

namespace natsbench::search {

double cosine_lr(const WeightSgd& sgd, int epoch, int epochs) {
  const double pi = std::acos(-1.0);
  return sgd.lr_min + (sgd.lr_max - sgd.lr_min) * (1 + std::cos(pi * epoch / epochs)) / 2;
}

double SupernetState::lr() const {
  return static_cast<const torch::optim::SGDOptions&>(
             weight_optimizer->param_groups().front().options())
      .lr();
}

HalfStep forward_loss(model::TopologySupernetImpl& net, const torch::Tensor& images,
                      const torch::Tensor& labels) {
  auto logits = net.forward(images).second;
  auto loss = torch::nn::functional::cross_entropy(logits, labels);
  return {loss, logits};
}

HalfStep arch_gradient_step(SupernetState& state, const PairBatch& batch) {
  auto half = forward_loss(*state.net, batch.arch_images, batch.arch_labels);
  half.loss.backward();
  state.arch_optimizer->step();
  return {half.loss.detach(), half.logits.detach()};
}

SupernetSearch::SupernetSearch(std::string_view algorithm, int num_classes, std::uint64_t seed,
                               int epochs, const c10::Device& device, WeightSgd sgd)
    : info_(find_supernet_algorithm(algorithm)), state_(seed), sgd_(sgd) {
  if (info_ == nullptr) {
    throw ArgError("unknown weight-sharing algorithm '" + std::string(algorithm) + "'; expected " +
                   supernet_algorithm_names());
  }
  if (epochs < 1) throw ArgError("--epochs must be at least 1");
  algorithm_ = info_->make();
  state_.epochs = epochs;
  // The reference's order: prepare_seed, the supernet (with set_algo's redraw or controller),
  // .to(device), the optimizers, then genotypes[-1] from Python's `random`.
  torch::manual_seed(seed);
  state_.net = model::TopologySupernet(num_classes, info_->supernet);
  state_.net->to(device);
  state_.net->set_python_random(&state_.random);
  state_.weight_optimizer = std::make_unique<torch::optim::SGD>(state_.net->weights(),
                                                                torch::optim::SGDOptions(sgd.lr_max)
                                                                    .momentum(sgd.momentum)
                                                                    .weight_decay(sgd.weight_decay)
                                                                    .nesterov(true));
  if (const auto adam = algorithm_->arch_adam()) {
    state_.arch_optimizer = std::make_unique<torch::optim::Adam>(
        state_.net->arch_weights(), torch::optim::AdamOptions(adam->lr)
                                        .betas({0.5, 0.999})
                                        .eps(adam->eps)
                                        .weight_decay(adam->weight_decay));
  }
  initial_genotype_ = random_cells(state_.random, 1).front();
}

void SupernetSearch::start_epoch(int epoch) {
  state_.epoch = epoch;
  for (auto& group : state_.weight_optimizer->param_groups()) {
    static_cast<torch::optim::SGDOptions&>(group.options())
        .lr(cosine_lr(sgd_, epoch, state_.epochs));
  }
  state_.net->train();
  algorithm_->start_epoch(state_);
}

StepOutcome SupernetSearch::step(const PairBatch& batch) {
  auto& net = *state_.net;
  algorithm_->prepare_weight_step(state_);
  // Zero-filled, not reset: a weight that once had a gradient keeps getting weight decay and
  // momentum on steps that do not use it, as in the reference (torch 1.13's zero_grad).
  net.zero_grad(/*set_to_none=*/false);
  auto base = forward_loss(net, batch.base_images, batch.base_labels);
  base.loss.backward();
  state_.weight_optimizer->step();

  net.zero_grad(/*set_to_none=*/false);
  auto arch = algorithm_->arch_step(state_, batch);
  return {{base.loss.detach(), base.logits.detach()}, arch};
}

}  // namespace natsbench::search
