#pragma once
// Weight-sharing NAS on the topology space (spec nas-algorithms.md §2-§4): DARTS-V1, DARTS-V2,
// GDAS, SETN, RSPS and ENAS train the search supernet (model/topology_supernet.h) on pairs of
// batches, a weight step on the weight half and an arch step on the arch half (ENAS: then its
// controller on the valid loader), and derive a genotype at the end of every epoch.
//
// The step order, the optimizers and the random draws are the reference's (§2.4, §2.4.1), so
// that from the same seed and the same batches every weight, buffer, arch parameter and
// optimizer state equals the reference's bit for bit on the CPU
// (tests/search/compare_supernet_steps_with_reference.py).
//
// Adding an algorithm = a SupernetAlgorithm in its own file under src/search/supernet/ + one row
// in the table of src/search/supernet/registry.cpp.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <torch/optim/adam.h>
#include <torch/optim/sgd.h>

#include "natsbench/model/topology_supernet.h"
#include "natsbench/space/cpython_random.h"

namespace natsbench::search {

// One step's data: the weight half from the weight split and, paired with it, the arch half
// drawn from the arch split (spec §2.1).
struct PairBatch {
  torch::Tensor base_images, base_labels;
  torch::Tensor arch_images, arch_labels;
};

// A forward's loss and logits, detached: what the logs report.
struct HalfStep {
  torch::Tensor loss, logits;
};
struct StepOutcome {
  HalfStep base, arch;
};

// The valid loader as the reference iterates it: start() begins a fresh pass (a new order),
// next() gives the pass's next batch, or nothing at the end of the pass.
class ValidBatches {
 public:
  virtual ~ValidBatches() = default;
  virtual void start() = 0;
  virtual std::optional<std::pair<torch::Tensor, torch::Tensor>> next() = 0;
};

// The weight optimizer's settings (spec §2.2) and the schedule of its learning rate.
struct WeightSgd {
  double lr_max = 0.025, lr_min = 0.001, momentum = 0.9, weight_decay = 5e-4;
};
// lr(e) = lr_min + (lr_max - lr_min)(1 + cos(pi e / E)) / 2.
double cosine_lr(const WeightSgd& sgd, int epoch, int epochs);

// Adam over the arch parameters, betas (0.5, 0.999) (spec §2.3).
struct ArchAdam {
  double lr = 3e-4, weight_decay = 1e-3, eps = 1e-8;
};

// What every algorithm works on.
struct SupernetState {
  model::TopologySupernet net{nullptr};
  std::unique_ptr<torch::optim::SGD> weight_optimizer;  // over net->weights()
  std::unique_ptr<torch::optim::Adam> arch_optimizer;   // null when nothing is learnt (RSPS)
  CPythonRandom random;  // Python's `random` of the reference's main process (stream P)
  int epoch = 0, epochs = 0;
  int candidates = 100;  // SETN's, RSPS's and ENAS's candidates per derivation
  // ENAS: the mean of the previous epoch's per-step baselines; none before the first epoch's.
  std::optional<double> controller_baseline;

  explicit SupernetState(std::uint64_t seed) : random(seed) {}
  double lr() const;
};

// A derived genotype and its top-1 on the one valid batch it was scored on.
struct Selection {
  model::EdgeOps genotype{};
  float top1 = 0;  // percent, on its one valid batch
};

// ENAS's controller training of one epoch (spec §4.6 step 2): averages over its steps.
struct ControllerTraining {
  double loss = 0;  // -log p * (reward - baseline), before the division by 20
  double top1 = 0;  // percent, of the sampled architectures on their valid batches
  double entropy = 0, baseline = 0, reward = 0;
  int updates = 0;       // Adam steps, each over 20 samples
  bool stopped = false;  // a stop request ended it early: the state is not the epoch's end
};

class SupernetAlgorithm {
 public:
  virtual ~SupernetAlgorithm() = default;
  // The arch optimizer's settings; nothing when the algorithm never updates arch parameters.
  virtual std::optional<ArchAdam> arch_adam() const { return ArchAdam{}; }
  // At the start of every epoch, after the learning rate is set (GDAS: the temperature).
  virtual void start_epoch(SupernetState& /*state*/) {}
  // The mode of the weight step, with any architecture it samples; runs before grads are zeroed.
  virtual void prepare_weight_step(SupernetState& state) = 0;
  // After the weight step (grads zeroed by the caller): the arch half's forward and update.
  virtual HalfStep arch_step(SupernetState& state, const PairBatch& batch) = 0;
  // Whether train_controller does anything: ENAS's controller training after the weight steps.
  virtual bool trains_controller() const { return false; }
  // `updates` Adam steps of 20 samples each on batches of `valid`; `stop` is asked before
  // every sample.
  virtual ControllerTraining train_controller(SupernetState& /*state*/, ValidBatches& /*valid*/,
                                              int /*updates*/,
                                              const std::function<bool()>& /*stop*/) {
    return {};
  }
  // The epoch's genotype (spec §4: "per-epoch genotype"), scored by select_best.
  virtual Selection derive(SupernetState& state, ValidBatches& valid) = 0;
  // The mode in which the supernet is evaluated on the valid loader for the logs.
  virtual void prepare_valid(SupernetState& state, const model::EdgeOps& genotype) = 0;
};

struct SupernetAlgorithmInfo {
  std::string_view name;       // the --algo value
  std::string_view reference;  // the reference's name for it (its --algo)
  std::string_view summary;
  model::SupernetArch supernet;  // what set_algo adds to the supernet
  std::unique_ptr<SupernetAlgorithm> (*make)();
};
const std::vector<SupernetAlgorithmInfo>& supernet_algorithms();
// Nothing when the name is unknown. (RSPS is "random" in the reference, a multi-trial name here.)
const SupernetAlgorithmInfo* find_supernet_algorithm(std::string_view name);
// "darts-v1, darts-v2, gdas, setn, rsps or enas".
std::string supernet_algorithm_names();

// One search run's state and algorithm, built as the reference's search-cell.py builds them.
class SupernetSearch {
 public:
  // Seeds torch and Python's `random` with `seed`, builds the supernet and the optimizers, and
  // draws genotypes[-1] (a random architecture). ArgError for an unknown algorithm.
  SupernetSearch(std::string_view algorithm, int num_classes, std::uint64_t seed, int epochs,
                 const c10::Device& device, WeightSgd sgd = {});

  // The learning rate and the algorithm's per-epoch settings of epoch `epoch`.
  void start_epoch(int epoch);
  // Weight step, then arch step, on one pair batch (spec §2.4).
  StepOutcome step(const PairBatch& batch);
  bool trains_controller() const { return algorithm_->trains_controller(); }
  ControllerTraining train_controller(ValidBatches& valid, int updates,
                                      const std::function<bool()>& stop = {}) {
    return algorithm_->train_controller(state_, valid, updates, stop);
  }
  Selection derive(ValidBatches& valid) { return algorithm_->derive(state_, valid); }
  void prepare_valid(const model::EdgeOps& genotype) {
    algorithm_->prepare_valid(state_, genotype);
  }

  const model::EdgeOps& initial_genotype() const { return initial_genotype_; }
  SupernetState& state() { return state_; }
  const SupernetAlgorithmInfo& algorithm() const { return *info_; }

 private:
  const SupernetAlgorithmInfo* info_;
  std::unique_ptr<SupernetAlgorithm> algorithm_;
  SupernetState state_;
  WeightSgd sgd_;
  model::EdgeOps initial_genotype_{};
};

// Candidates and selection (spec §3.4).

// The 15,625 cells in the reference's enumeration order (mixed radix, edge 1<-0 most significant).
model::EdgeOps enumerated_cell(int position);
// sum over edges of log_softmax(alpha)[edge, op], in float32 and edge order, as the reference.
std::vector<float> log_probs(const torch::Tensor& alpha);
// The K cells of highest log-prob, descending; ties keep enumeration order.
std::vector<model::EdgeOps> most_probable_cells(const torch::Tensor& alpha, int k);
// K distinct cells drawn as random.sample(all cells, K), in draw order.
std::vector<model::EdgeOps> random_cells(CPythonRandom& random, int k);

// top-1 as a float tensor [1], as the reference's obtain_accuracy computes it (topk(5)).
torch::Tensor batch_top1_tensor(const torch::Tensor& logits, const torch::Tensor& labels);

// get_best_arch: each candidate, in dynamic mode and eval mode, scored on the next batch of one
// pass over `valid` (restarted when exhausted); the first of the highest top-1 wins.
Selection select_best(model::TopologySupernetImpl& net,
                      const std::vector<model::EdgeOps>& candidates, ValidBatches& valid);
// Top-1 in percent as the reference computes it: float(correct) * float(100 / batch).
float batch_top1(const torch::Tensor& logits, const torch::Tensor& labels);

}  // namespace natsbench::search
