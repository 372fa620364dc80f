// SETN (spec §4.4): weight steps on one uniformly sampled architecture (dynamic mode), arch
// steps on the joint "template"; the genotype is the best of the 100 most probable cells.
#include <torch/torch.h>

#include "algorithms.h"

namespace natsbench::search {

namespace {

class Setn : public SupernetAlgorithm {
 public:
  void prepare_weight_step(SupernetState& state) override {
    // dync_genotype(use_random=True): random.choice over the ops, edge by edge in row order.
    model::EdgeOps ops{};
    for (auto& op : ops) op = static_cast<Op>(state.random.randbelow(kNumOps));
    state.net->set_mode(model::SupernetMode::Dynamic);
    state.net->set_dynamic_arch(ops);
  }
  HalfStep arch_step(SupernetState& state, const PairBatch& batch) override {
    state.net->set_mode(model::SupernetMode::Joint);
    return arch_gradient_step(state, batch);
  }
  Selection derive(SupernetState& state, ValidBatches& valid) override {
    return select_best(*state.net,
                       most_probable_cells(state.net->arch_parameters(), state.candidates), valid);
  }
  void prepare_valid(SupernetState& state, const model::EdgeOps& genotype) override {
    state.net->set_mode(model::SupernetMode::Dynamic);
    state.net->set_dynamic_arch(genotype);
  }
};

}  // namespace

std::unique_ptr<SupernetAlgorithm> make_setn() {
  return std::make_unique<Setn>();
}

}  // namespace natsbench::search
