#pragma once
// InferCell: one cell of a fixed genotype (docs/networks.md §2.3).
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/any.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/pimpl.h>

#include "natsbench/space/topology.h"

namespace natsbench::model {

class InferCellImpl : public torch::nn::Module {
 public:
  // Edges from node 0 map in_channels -> out_channels, all others out -> out.
  InferCellImpl(const Genotype& genotype, int in_channels, int out_channels);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  // One module per edge, parameter-free ones included, so `layers.j` numbers edges as the
  // reference does. `edges_` keeps the typed handles for forward.
  torch::nn::ModuleList layers_;
  std::vector<torch::nn::AnyModule> edge_ops_;
  std::vector<std::vector<int>> node_sources_;  // per node g >= 1: source of each edge, in order
};
TORCH_MODULE(InferCell);

}  // namespace natsbench::model
