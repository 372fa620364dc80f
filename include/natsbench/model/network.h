#pragma once
// The two NATS-Bench network families as one module: a stem, a list of cells with residual
// blocks between stages, BN + ReLU, global average pooling and a linear classifier.
//   tss (TinyNetwork, C = 16, N = 5): widths [16]*5 + [32] + [32]*5 + [64] + [64]*5
//   sss (DynamicShapeTinyNet, N = 1): widths c0..c4, the fixed genotype
// forward returns (features [B, C_last], logits [B, num_classes]) (docs/networks.md §2, §3.2).
#include <tuple>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/any.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "natsbench/space/arch.h"

namespace natsbench::model {

struct NetworkShape {
  std::vector<int> layer_channels;  // output width of each position of `cells`
  int cells_per_stage = 0;          // residual blocks sit at positions N and 2N+1
  int stem_channels = 0;
};

// Widths of the benchmark network for a candidate (docs/networks.md §2.1, §3.2).
NetworkShape network_shape(const ArchConfig& arch);

class CellNetworkImpl : public torch::nn::Module {
 public:
  CellNetworkImpl(const NetworkShape& shape, const Genotype& genotype, int num_classes);
  std::tuple<torch::Tensor, torch::Tensor> forward(const torch::Tensor& x);

 private:
  torch::nn::Conv2d stem_conv_{nullptr};
  torch::nn::BatchNorm2d stem_bn_{nullptr};
  torch::nn::ModuleList cells_;
  std::vector<torch::nn::AnyModule> cell_modules_;
  torch::nn::Sequential lastact_;
  torch::nn::Linear classifier_{nullptr};
};
TORCH_MODULE(CellNetwork);

// The benchmark network of a candidate, built on the CPU with the default initialisation.
// Modules are constructed in the reference order, so after torch::manual_seed(s) the weights
// equal the reference model's on the same ATen version (docs/networks.md §5).
CellNetwork make_network(const ArchConfig& arch, int num_classes);

}  // namespace natsbench::model
