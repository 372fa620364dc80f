#pragma once
// Counts multiply-accumulates of the convolutions and linear layers a forward pass executes,
// the way the reference cost counter does (docs/networks.md §4.1). Only active inside a
// FlopCounter scope on the current thread, so normal forwards pay one branch per layer.
#include <cstdint>

#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

namespace natsbench::model {

class FlopCounter {
 public:
  FlopCounter();
  ~FlopCounter();
  FlopCounter(const FlopCounter&) = delete;
  FlopCounter& operator=(const FlopCounter&) = delete;
  std::int64_t total() const { return total_; }

  // Called by the modules after each conv / linear they run.
  static void record_conv(const torch::nn::Conv2d& conv, const torch::Tensor& output);
  static void record_linear(const torch::nn::Linear& linear, const torch::Tensor& output);

 private:
  std::int64_t total_ = 0;
  FlopCounter* previous_ = nullptr;
};

}  // namespace natsbench::model
