#pragma once
// torch::optim keeps per-parameter state keyed by the parameter's TensorImpl: as a pointer in
// LibTorch 2.x, as that pointer printed to a string (c10::guts::to_string) in 1.13. One lookup
// for both.
#include <sstream>
#include <string>
#include <type_traits>

#include <torch/optim/optimizer.h>

namespace natsbench::train {

template <typename Map>
typename Map::key_type optimizer_state_key(const Map&, const at::Tensor& param) {
  using Key = typename Map::key_type;
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream text;
    text << param.unsafeGetTensorImpl();
    return text.str();
  } else {
    return static_cast<Key>(param.unsafeGetTensorImpl());
  }
}

// The state of `param` in `optimizer`, or nullptr before its first step with a gradient.
inline torch::optim::OptimizerParamState* find_param_state(torch::optim::Optimizer& optimizer,
                                                           const at::Tensor& param) {
  auto& state = optimizer.state();
  const auto it = state.find(optimizer_state_key(state, param));
  return it == state.end() ? nullptr : it->second.get();
}

}  // namespace natsbench::train
