#include "natsbench/model/topology_supernet.h"

#include <torch/torch.h>

#include "natsbench/model/ops.h"
#include "natsbench/util/error.h"

namespace natsbench::model {

namespace {

constexpr int kChannels = 16, kCellsPerStage = 5;

// Python's sum() over tensors: 0 + t0 + t1 + ..., where 0 + t is t.add(0) (a -0.0 becomes
// +0.0). Kept term for term, so that sums match the reference's bit for bit.
torch::Tensor python_sum(const std::vector<torch::Tensor>& terms) {
  torch::Tensor total = terms.front().add(0);
  for (std::size_t i = 1; i < terms.size(); ++i) total = total.add(terms[i]);
  return total;
}

int edge_row(int node, int source) {
  for (std::size_t e = 0; e < kSupernetEdges.size(); ++e) {
    if (kSupernetEdges[e] == std::make_pair(node, source)) return static_cast<int>(e);
  }
  throw Error("no supernet edge " + std::to_string(node) + "<-" + std::to_string(source));
}

torch::nn::AnyModule make_search_op(Op op, int channels) {
  switch (op) {
    case Op::NorConv1x1:
      return torch::nn::AnyModule(ReLUConvBN(channels, channels, 1, 1, 0, /*affine=*/false));
    case Op::NorConv3x3:
      return torch::nn::AnyModule(ReLUConvBN(channels, channels, 3, 1, 1, /*affine=*/false));
    default:
      return make_edge_op(op, channels, channels);
  }
}

}  // namespace

EdgeOps edge_ops_of(const Genotype& genotype) {
  if (!is_full_cell(genotype)) {
    throw ArgError("'" + format_topology(genotype) +
                   "' is not a cell of the topology space (3 nodes, every edge once)");
  }
  EdgeOps ops{};
  for (std::size_t node = 0; node < genotype.nodes.size(); ++node) {
    for (const Edge& edge : genotype.nodes[node]) {
      ops[edge_row(static_cast<int>(node) + 1, edge.source)] = edge.op;
    }
  }
  return ops;
}

Genotype genotype_of(const EdgeOps& ops) {
  Genotype genotype;
  genotype.nodes.resize(3);
  for (std::size_t e = 0; e < kSupernetEdges.size(); ++e) {
    const auto [node, source] = kSupernetEdges[e];
    genotype.nodes[node - 1].push_back({ops[e], source});
  }
  return genotype;
}

SearchCellImpl::SearchCellImpl(int channels) {
  auto edges = torch::nn::ModuleDict();
  ops_.resize(kSupernetEdges.size());
  // Edge by edge, op by op: the order in which the reference draws the initial weights.
  for (std::size_t e = 0; e < kSupernetEdges.size(); ++e) {
    auto list = torch::nn::ModuleList();
    for (int k = 0; k < kNumOps; ++k) {
      ops_[e].push_back(make_search_op(static_cast<Op>(k), channels));
      list->push_back(ops_[e].back().ptr());
    }
    const auto [node, source] = kSupernetEdges[e];
    edges->update({{std::to_string(node) + "<-" + std::to_string(source), list.ptr()}});
  }
  register_module("edges", edges);
}

torch::Tensor SearchCellImpl::apply(int edge, Op op, const torch::Tensor& x) {
  return ops_[edge][static_cast<int>(op)].forward(x);
}

// Node i = the sum over its incoming edges j = 0..i-1 of edge(i<-j)(node j); the cell's output
// is node 3. `edge_output(e, input)` computes edge e (a row of kSupernetEdges).
template <typename EdgeOutput>
torch::Tensor sum_over_nodes(const torch::Tensor& x, EdgeOutput edge_output) {
  std::vector<torch::Tensor> nodes{x};
  for (int node = 1; node <= 3; ++node) {
    std::vector<torch::Tensor> inputs;
    for (int source = 0; source < node; ++source) {
      inputs.push_back(edge_output(edge_row(node, source), nodes[source]));
    }
    nodes.push_back(python_sum(inputs));
  }
  return nodes.back();
}

torch::Tensor SearchCellImpl::forward_joint(const torch::Tensor& x, const torch::Tensor& weights) {
  return sum_over_nodes(x, [&](int e, const torch::Tensor& input) {
    std::vector<torch::Tensor> terms;
    for (int k = 0; k < kNumOps; ++k) {
      terms.push_back(apply(e, static_cast<Op>(k), input).mul(weights[e][k]));
    }
    return python_sum(terms);
  });
}

torch::Tensor SearchCellImpl::forward_gdas(const torch::Tensor& x, const torch::Tensor& hardwts,
                                           const EdgeOps& index) {
  return sum_over_nodes(x, [&](int e, const torch::Tensor& input) {
    // The unselected weights join as scalars: 0 in value, but they carry the gradient that
    // reaches the unselected logits (spec §3.3).
    std::vector<torch::Tensor> terms;
    for (int k = 0; k < kNumOps; ++k) {
      const torch::Tensor w = hardwts[e][k];
      terms.push_back(static_cast<int>(index[e]) == k ? w.mul(apply(e, static_cast<Op>(k), input))
                                                      : w);
    }
    return python_sum(terms);
  });
}

torch::Tensor SearchCellImpl::forward_dynamic(const torch::Tensor& x, const EdgeOps& ops) {
  return sum_over_nodes(x,
                        [&](int e, const torch::Tensor& input) { return apply(e, ops[e], input); });
}

torch::Tensor SearchCellImpl::forward_urs(const torch::Tensor& x, CPythonRandom& random) {
  std::vector<torch::Tensor> nodes{x};
  for (int node = 1; node <= 3; ++node) {
    // random.choice per incoming edge; all `none` is drawn again, whole node at once.
    std::vector<Op> drawn;
    bool any_op = false;
    while (!any_op) {
      drawn.clear();
      for (int source = 0; source < node; ++source) {
        drawn.push_back(static_cast<Op>(random.randbelow(kNumOps)));
        any_op = any_op || drawn.back() != Op::None;
      }
    }
    std::vector<torch::Tensor> inputs;
    for (int source = 0; source < node; ++source) {
      inputs.push_back(apply(edge_row(node, source), drawn[source], nodes[source]));
    }
    nodes.push_back(python_sum(inputs));
  }
  return nodes.back();
}

TopologySupernetImpl::TopologySupernetImpl(int num_classes, SupernetArch arch) {
  if (num_classes < 1) throw ArgError("supernet: num_classes must be positive");
  stem_ = register_module(
      "_stem",
      torch::nn::Sequential(
          torch::nn::Conv2d(torch::nn::Conv2dOptions(3, kChannels, 3).padding(1).bias(false)),
          torch::nn::BatchNorm2d(kChannels)));
  cells_ = register_module("_cells", torch::nn::ModuleList());
  int channels = kChannels;
  for (int stage = 0; stage < 3; ++stage) {
    if (stage > 0) {
      auto block = ResNetBasicblock(channels, 2 * channels);
      cells_->push_back(block);
      channels *= 2;
    }
    for (int i = 0; i < kCellsPerStage; ++i) {
      auto cell = SearchCell(channels);
      cells_->push_back(cell);
    }
  }
  lastact_ = register_module(
      "lastact",
      torch::nn::Sequential(
          torch::nn::BatchNorm2d(
              torch::nn::BatchNorm2dOptions(channels).affine(false).track_running_stats(false)),
          torch::nn::ReLU()));
  register_module("global_pooling", torch::nn::AdaptiveAvgPool2d(1));
  classifier_ = register_module("classifier", torch::nn::Linear(channels, num_classes));
  arch_parameters_ = register_parameter("arch_parameters", 1e-3 * torch::randn({6, kNumOps}), true);
  if (arch == SupernetArch::EnasController) {
    controller_ = register_module("controller", EnasController());
  } else {
    torch::NoGradGuard no_grad;
    arch_parameters_.copy_(1e-3 * torch::randn({6, kNumOps}));
  }
}

std::vector<torch::Tensor> TopologySupernetImpl::arch_weights() const {
  if (controller_) return controller_->parameters();
  return {arch_parameters_};
}

void TopologySupernetImpl::set_mode(SupernetMode mode) {
  mode_ = mode;
}

EdgeOps TopologySupernetImpl::argmax_arch() const {
  torch::NoGradGuard no_grad;
  const auto alpha = arch_parameters_.detach().cpu().contiguous();
  const auto* a = alpha.data_ptr<float>();
  EdgeOps ops{};
  for (std::size_t e = 0; e < kSupernetEdges.size(); ++e) {
    int best = 0;
    for (int k = 1; k < kNumOps; ++k) {
      if (a[e * kNumOps + k] > a[e * kNumOps + best]) best = k;
    }
    ops[e] = static_cast<Op>(best);
  }
  return ops;
}

std::vector<torch::Tensor> TopologySupernetImpl::weights() const {
  std::vector<torch::Tensor> out;
  for (const auto& p : stem_->parameters()) out.push_back(p);
  for (const auto& p : cells_->parameters()) {
    if (p.defined()) out.push_back(p);
  }
  for (const auto& p : classifier_->parameters()) out.push_back(p);
  return out;
}

std::pair<torch::Tensor, torch::Tensor> TopologySupernetImpl::forward(const torch::Tensor& x) {
  // As the reference: the weights (softmax, or the Gumbel sample) are computed first in every
  // mode, whether used or not; the Gumbel noise is the first draw of the forward pass.
  torch::Tensor weights;
  EdgeOps index{};
  if (mode_ == SupernetMode::Gdas) {
    for (;;) {
      const auto gumbels = -torch::empty_like(arch_parameters_).exponential_().log();
      const auto logits = (arch_parameters_.log_softmax(1) + gumbels) / tau_;
      const auto probs = torch::softmax(logits, 1);
      const auto argmax = std::get<1>(probs.max(-1, /*keepdim=*/true));
      const auto one_hot = torch::zeros_like(logits).scatter_(-1, argmax, 1.0);
      weights = one_hot - probs.detach() + probs;
      // One host sync for the three checks (the reference's `or` of three).
      const auto bad =
          torch::isinf(gumbels).any() | torch::isinf(probs).any() | torch::isnan(probs).any();
      if (bad.item<bool>()) continue;
      const auto chosen = argmax.to(torch::kCPU).contiguous();
      for (std::size_t e = 0; e < kSupernetEdges.size(); ++e) {
        index[e] = static_cast<Op>(chosen.data_ptr<std::int64_t>()[e]);
      }
      break;
    }
  } else {
    weights = torch::softmax(arch_parameters_, -1);
  }
  if (mode_ == SupernetMode::Select) index = argmax_arch();
  if (mode_ == SupernetMode::Dynamic && !dynamic_arch_) {
    throw Error("supernet: dynamic mode without an architecture");
  }
  if (mode_ == SupernetMode::Urs && python_random_ == nullptr) {
    throw Error("supernet: urs mode without Python's random generator");
  }

  auto feature = stem_->forward(x);
  for (const auto& module : *cells_) {
    auto* cell = module->as<SearchCellImpl>();
    if (cell == nullptr) {
      feature = module->as<ResNetBasicblockImpl>()->forward(feature);
      continue;
    }
    switch (mode_) {
      case SupernetMode::Joint:
        feature = cell->forward_joint(feature, weights);
        break;
      case SupernetMode::Gdas:
        feature = cell->forward_gdas(feature, weights, index);
        break;
      case SupernetMode::Dynamic:
        feature = cell->forward_dynamic(feature, *dynamic_arch_);
        break;
      case SupernetMode::Select:
        feature = cell->forward_dynamic(feature, index);
        break;
      case SupernetMode::Urs:
        feature = cell->forward_urs(feature, *python_random_);
        break;
    }
  }
  auto out = lastact_->forward(feature);
  out = torch::adaptive_avg_pool2d(out, {1, 1});
  out = out.view({out.size(0), -1});
  return {out, classifier_->forward(out)};
}

}  // namespace natsbench::model
