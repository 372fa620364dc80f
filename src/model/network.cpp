#include "natsbench/model/network.h"

#include "flop_counter.h"
#include "natsbench/model/cells.h"
#include "natsbench/model/ops.h"
#include "natsbench/util/error.h"

namespace natsbench::model {

NetworkShape network_shape(const ArchConfig& arch) {
  NetworkShape shape;
  if (arch.space == Space::Topology) {
    constexpr int kC = 16, kN = 5;
    for (int stage = 0, width = kC; stage < 3; ++stage, width *= 2) {
      if (stage > 0) shape.layer_channels.push_back(width);  // the residual block
      shape.layer_channels.insert(shape.layer_channels.end(), kN, width);
    }
    shape.cells_per_stage = kN;
    shape.stem_channels = kC;
  } else {
    if (arch.channels.size() < 2 || arch.channels.size() % 3 != 2) {
      throw ArgError("sss architecture '" + arch.arch_str + "': expected 3N+2 widths");
    }
    shape.layer_channels = arch.channels;
    shape.cells_per_stage = static_cast<int>(arch.channels.size() / 3);
    shape.stem_channels = arch.channels.front();
  }
  return shape;
}

CellNetworkImpl::CellNetworkImpl(const NetworkShape& shape, const Genotype& genotype,
                                 int num_classes) {
  if (num_classes <= 0) {
    throw ArgError("num_classes " + std::to_string(num_classes) + ": expected a positive count");
  }
  const int n = shape.cells_per_stage;
  stem_conv_ =
      torch::nn::Conv2d(torch::nn::Conv2dOptions(3, shape.stem_channels, 3).padding(1).bias(false));
  stem_bn_ = torch::nn::BatchNorm2d(shape.stem_channels);
  register_module("stem", torch::nn::Sequential(stem_conv_, stem_bn_));
  cells_ = register_module("cells", torch::nn::ModuleList());
  int in_channels = shape.stem_channels;
  for (int position = 0; position < static_cast<int>(shape.layer_channels.size()); ++position) {
    const int out_channels = shape.layer_channels[position];
    torch::nn::AnyModule cell;
    if (position == n || position == 2 * n + 1) {
      cell = torch::nn::AnyModule(ResNetBasicblock(in_channels, out_channels));
    } else {
      cell = torch::nn::AnyModule(InferCell(genotype, in_channels, out_channels));
    }
    cells_->push_back(cell.ptr());
    cell_modules_.push_back(std::move(cell));
    in_channels = out_channels;
  }
  lastact_ = register_module(
      "lastact", torch::nn::Sequential(torch::nn::BatchNorm2d(in_channels), torch::nn::ReLU()));
  // `global_pooling` has no parameters; forward takes the mean over H x W directly.
  classifier_ = register_module("classifier", torch::nn::Linear(in_channels, num_classes));
}

std::tuple<torch::Tensor, torch::Tensor> CellNetworkImpl::forward(const torch::Tensor& x) {
  auto feature = stem_conv_->forward(x);
  FlopCounter::record_conv(stem_conv_, feature);
  feature = stem_bn_->forward(feature);
  for (auto& cell : cell_modules_) feature = cell.forward(feature);
  feature = lastact_->forward(feature);
  auto features = torch::adaptive_avg_pool2d(feature, {1, 1}).flatten(1);
  auto logits = classifier_->forward(features);
  FlopCounter::record_linear(classifier_, logits);
  return {features, logits};
}

CellNetwork make_network(const ArchConfig& arch, int num_classes) {
  return CellNetwork(network_shape(arch), arch.genotype, num_classes);
}

}  // namespace natsbench::model
