#include "natsbench/model/cells.h"

#include "natsbench/model/ops.h"

namespace natsbench::model {

InferCellImpl::InferCellImpl(const Genotype& genotype, int in_channels, int out_channels) {
  layers_ = register_module("layers", torch::nn::ModuleList());
  for (const auto& edges : genotype.nodes) {
    std::vector<int> sources;
    for (const auto& edge : edges) {
      const int edge_in = edge.source == 0 ? in_channels : out_channels;
      auto op = make_edge_op(edge.op, edge_in, out_channels);
      layers_->push_back(op.ptr());
      edge_ops_.push_back(std::move(op));
      sources.push_back(edge.source);
    }
    node_sources_.push_back(std::move(sources));
  }
}

torch::Tensor InferCellImpl::forward(const torch::Tensor& x) {
  std::vector<torch::Tensor> nodes{x};
  nodes.reserve(node_sources_.size() + 1);
  std::size_t layer = 0;
  for (const auto& sources : node_sources_) {
    // Left-to-right sum in string order, as Python's sum() does (0 + t is t up to the sign of
    // zero, so the accumulator starts from the first term).
    torch::Tensor node;
    for (int source : sources) {
      auto term = edge_ops_[layer++].forward(nodes[source]);
      node = node.defined() ? node + term : term;
    }
    nodes.push_back(std::move(node));
  }
  return nodes.back();
}

}  // namespace natsbench::model
