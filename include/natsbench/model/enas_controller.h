#pragma once
// ENAS's architecture controller on the topology space (spec nas-algorithms.md §4.6, §3.5): a
// learned input, a 2-layer LSTM (32 units) run one step per edge, an op embedding fed back as
// the next input, and a linear head whose squashed logits give each edge's op distribution.
//
// Keys ("input_vars", "w_lstm.*", "w_embd.weight", "w_pred.*"), shapes and the order of the
// initial draws are the reference's, so after the same manual_seed the controller equals the
// reference's bit for bit; sample() makes the same ATen calls as its torch.distributions
// Categorical, so it consumes the generator alike and returns the same log-prob and entropy.
#include <array>

#include <torch/nn/module.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/rnn.h>
#include <torch/nn/pimpl.h>

#include "natsbench/space/topology.h"

namespace natsbench::model {

// One op per edge of a search cell, edges in arch-parameter row order (= EdgeOps).
using ControllerArch = std::array<Op, 6>;

struct ControllerSample {
  torch::Tensor log_prob;  // sum over the edges of log p(op), with its graph
  torch::Tensor entropy;   // sum over the edges of the distributions' entropies, with its graph
  ControllerArch arch{};
};

class EnasControllerImpl : public torch::nn::Module {
 public:
  EnasControllerImpl();

  // One architecture, edge by edge: six draws (multinomial) from the default generator of the
  // controller's device.
  ControllerSample sample();
  // The op probabilities the controller gives each edge when fed `arch` (draws nothing): [6, 5].
  // The logs' "arch distribution" of ENAS.
  torch::Tensor edge_probabilities(const ControllerArch& arch);

 private:
  // One LSTM step and the head: the edge's normalised logits (log-probabilities), [1, 1, 5].
  torch::Tensor edge_logits(const torch::Tensor& input,
                            c10::optional<std::tuple<torch::Tensor, torch::Tensor>>& state);

  torch::Tensor input_vars_;
  torch::nn::LSTM lstm_{nullptr};
  torch::nn::Embedding embedding_{nullptr};
  torch::nn::Linear head_{nullptr};
};
TORCH_MODULE(EnasController);

}  // namespace natsbench::model
