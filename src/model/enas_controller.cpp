#include "natsbench/model/enas_controller.h"

#include <limits>

#include <torch/torch.h>

#include "natsbench/util/python_number.h"

namespace natsbench::model {

namespace {
constexpr int kLstmSize = 32;
constexpr double kTanhConstant = 2.5;
constexpr double kTemperature = 5.0;
constexpr double kInitRange = 0.1;
}  // namespace

EnasControllerImpl::EnasControllerImpl() {
  // Draw order (§3.5): the LSTM's, embedding's and head's default inits, then the overrides.
  input_vars_ = register_parameter("input_vars", torch::empty({1, 1, kLstmSize}));
  lstm_ = register_module(
      "w_lstm", torch::nn::LSTM(torch::nn::LSTMOptions(kLstmSize, kLstmSize).num_layers(2)));
  embedding_ = register_module("w_embd", torch::nn::Embedding(kNumOps, kLstmSize));
  head_ = register_module("w_pred", torch::nn::Linear(kLstmSize, kNumOps));
  torch::NoGradGuard no_grad;
  input_vars_.uniform_(-kInitRange, kInitRange);
  lstm_->named_parameters()["weight_hh_l0"].uniform_(-kInitRange, kInitRange);
  lstm_->named_parameters()["weight_ih_l0"].uniform_(-kInitRange, kInitRange);
  embedding_->weight.uniform_(-kInitRange, kInitRange);
  head_->weight.uniform_(-kInitRange, kInitRange);
}

torch::Tensor EnasControllerImpl::edge_logits(
    const torch::Tensor& input, c10::optional<std::tuple<torch::Tensor, torch::Tensor>>& state) {
  auto [output, next_state] = lstm_->forward(input, state);
  state = next_state;
  // logits / temperature, then tanh_constant * tanh(...), as the reference writes them.
  const auto scaled = torch::div(head_->forward(output), python_number(kTemperature));
  const auto logits = torch::mul(torch::tanh(scaled), python_number(kTanhConstant));
  // Categorical(logits=...) keeps the logits normalised.
  return logits - logits.logsumexp(-1, /*keepdim=*/true);
}

ControllerSample EnasControllerImpl::sample() {
  c10::optional<std::tuple<torch::Tensor, torch::Tensor>> state;
  torch::Tensor input = input_vars_;
  std::vector<torch::Tensor> log_probs, entropies;
  ControllerSample out;
  for (std::size_t edge = 0; edge < out.arch.size(); ++edge) {
    const auto logits = edge_logits(input, state);
    const auto probs = torch::softmax(logits, -1);
    torch::Tensor index;
    {
      torch::NoGradGuard no_grad;  // Categorical.sample
      index = torch::multinomial(probs.reshape({-1, kNumOps}), 1, /*replacement=*/true)
                  .t()
                  .reshape({1, 1});
    }
    out.arch[edge] = static_cast<Op>(index.item<std::int64_t>());
    // Categorical.log_prob and .entropy, op for op.
    auto broadcast = torch::broadcast_tensors({index.unsqueeze(-1), logits});
    log_probs.push_back(
        broadcast[1].gather(-1, broadcast[0].narrow(-1, 0, 1)).squeeze(-1).view(-1));
    const auto clamped = torch::clamp(logits, std::numeric_limits<float>::lowest());
    entropies.push_back((-(clamped * probs).sum(-1)).view(-1));
    input = embedding_->forward(index);
  }
  out.log_prob = torch::sum(torch::cat(log_probs));
  out.entropy = torch::sum(torch::cat(entropies));
  return out;
}

torch::Tensor EnasControllerImpl::edge_probabilities(const ControllerArch& arch) {
  torch::NoGradGuard no_grad;
  c10::optional<std::tuple<torch::Tensor, torch::Tensor>> state;
  torch::Tensor input = input_vars_;
  std::vector<torch::Tensor> rows;
  for (const auto op : arch) {
    rows.push_back(torch::softmax(edge_logits(input, state), -1).view({kNumOps}));
    const auto index =
        torch::full({1, 1}, static_cast<std::int64_t>(op),
                    torch::TensorOptions().dtype(torch::kLong).device(input_vars_.device()));
    input = embedding_->forward(index);
  }
  return torch::stack(rows);
}

}  // namespace natsbench::model
