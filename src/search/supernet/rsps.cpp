// Random search with parameter sharing (spec §4.5): weight steps in urs mode (each cell its own
// uniform architecture); alpha is never learnt; the genotype is the best of 100 random cells.
#include <torch/torch.h>

#include "algorithms.h"

namespace natsbench::search {

namespace {

class Rsps : public SupernetAlgorithm {
 public:
  std::optional<ArchAdam> arch_adam() const override { return std::nullopt; }
  void prepare_weight_step(SupernetState& state) override {
    state.net->set_mode(model::SupernetMode::Urs);
  }
  HalfStep arch_step(SupernetState& state, const PairBatch& batch) override {
    // For the logs only, but its urs draws advance Python's `random` as the reference's do.
    torch::NoGradGuard no_grad;
    state.net->set_mode(model::SupernetMode::Urs);
    return forward_loss(*state.net, batch.arch_images, batch.arch_labels);
  }
  Selection derive(SupernetState& state, ValidBatches& valid) override {
    return select_best(*state.net, random_cells(state.random, state.candidates), valid);
  }
  void prepare_valid(SupernetState& state, const model::EdgeOps& /*genotype*/) override {
    state.net->set_mode(model::SupernetMode::Urs);
  }
};

}  // namespace

std::unique_ptr<SupernetAlgorithm> make_rsps() {
  return std::make_unique<Rsps>();
}

}  // namespace natsbench::search
