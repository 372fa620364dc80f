#pragma once
// The topology supernet of the weight-sharing NAS algorithms (DARTS-V1/V2, GDAS, SETN, RSPS,
// ENAS; spec nas-algorithms.md §3): a stem, three stages of five search cells joined by two
// residual blocks, and a head. Every edge of a search cell owns one instance of each of the five
// candidate ops; all fifteen cells share one 6x5 matrix of arch parameters.
//
// Keys, shapes and construction order are the reference search model's (§3.5), so after the
// same torch::manual_seed the initial weights and arch parameters equal the reference's, and
// state dicts move both ways (model/state_dict.h).
#include <array>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/any.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "natsbench/model/enas_controller.h"
#include "natsbench/space/cpython_random.h"
#include "natsbench/space/topology.h"

namespace natsbench::model {

// The edges of a search cell in arch-parameter row order, each as (node, source).
inline constexpr std::array<std::pair<int, int>, 6> kSupernetEdges = {
    {{1, 0}, {2, 0}, {2, 1}, {3, 0}, {3, 1}, {3, 2}}};
// One op per edge, in the row order above: a full cell of the topology space.
using EdgeOps = std::array<Op, kSupernetEdges.size()>;

EdgeOps edge_ops_of(const Genotype& genotype);  // ArgError unless a full 3-node cell
Genotype genotype_of(const EdgeOps& ops);

// How the search cells combine their candidate ops (spec §3.3).
enum class SupernetMode {
  Joint,    // every op of every edge, weighted by softmax(alpha) (DARTS, SETN's arch step)
  Gdas,     // one op per edge from a straight-through Gumbel sample (GDAS)
  Dynamic,  // a given architecture (SETN's weight step, ENAS, evaluations)
  Urs,      // per cell, an architecture drawn uniformly with Python's `random` (RSPS)
  Select,   // the argmax op per edge
};

class SearchCellImpl : public torch::nn::Module {
 public:
  explicit SearchCellImpl(int channels);

  torch::Tensor forward_joint(const torch::Tensor& x, const torch::Tensor& weights);
  // `hardwts` [6,5]: the straight-through weights; `index`: the selected op per edge.
  torch::Tensor forward_gdas(const torch::Tensor& x, const torch::Tensor& hardwts,
                             const EdgeOps& index);
  torch::Tensor forward_dynamic(const torch::Tensor& x, const EdgeOps& ops);
  torch::Tensor forward_urs(const torch::Tensor& x, CPythonRandom& random);

 private:
  torch::Tensor apply(int edge, Op op, const torch::Tensor& x);
  std::vector<std::vector<torch::nn::AnyModule>> ops_;  // [edge][op]
};
TORCH_MODULE(SearchCell);

// What the reference's set_algo adds after the constructor (§3.5).
enum class SupernetArch {
  Alpha,           // every algorithm but ENAS: the arch parameters drawn a second time
  EnasController,  // ENAS: a controller (submodule "controller"); the arch parameters stay unused
};

class TopologySupernetImpl : public torch::nn::Module {
 public:
  // Draws the weights in the reference order, then the constructor's arch parameters
  // (1e-3 N(0, 1)), then what `arch` adds.
  explicit TopologySupernetImpl(int num_classes, SupernetArch arch = SupernetArch::Alpha);

  void set_mode(SupernetMode mode);
  SupernetMode mode() const { return mode_; }
  void set_dynamic_arch(const EdgeOps& ops) { dynamic_arch_ = ops; }
  void set_tau(double tau) { tau_ = tau; }
  double tau() const { return tau_; }
  // Python's `random`, used by Urs mode; the caller owns it (its draws interleave with the
  // algorithm's own).
  void set_python_random(CPythonRandom* random) { python_random_ = random; }

  // (features [B, 64], logits [B, classes]), as the reference's forward.
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& x);

  // The genotype by argmax of the arch parameters per edge, `none` included (ties: lowest op).
  EdgeOps argmax_arch() const;

  torch::Tensor arch_parameters() const { return arch_parameters_; }
  // ENAS's controller; null for the other algorithms.
  EnasController controller() const { return controller_; }
  // What the arch optimizer updates (the reference's `alphas`): the arch parameters, or the
  // controller's parameters.
  std::vector<torch::Tensor> arch_weights() const;
  // The weight optimizer's parameters, in the reference's order (stem, cells, classifier).
  std::vector<torch::Tensor> weights() const;

 private:
  torch::nn::Sequential stem_{nullptr};
  torch::nn::ModuleList cells_{nullptr};
  torch::nn::Sequential lastact_{nullptr};
  torch::nn::Linear classifier_{nullptr};
  torch::Tensor arch_parameters_;
  EnasController controller_{nullptr};
  SupernetMode mode_ = SupernetMode::Joint;
  std::optional<EdgeOps> dynamic_arch_;
  double tau_ = 10;
  CPythonRandom* python_random_ = nullptr;
};
TORCH_MODULE(TopologySupernet);

}  // namespace natsbench::model
