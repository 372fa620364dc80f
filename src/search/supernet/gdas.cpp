// GDAS (spec §4.3): both steps in gdas mode (a fresh straight-through Gumbel sample per
// forward), arch parameters learnt by Adam; the temperature falls linearly from 10 to 0.1.
#include <torch/torch.h>

#include "algorithms.h"

namespace natsbench::search {

namespace {

constexpr double kTauMax = 10, kTauMin = 0.1;

class Gdas : public SupernetAlgorithm {
 public:
  void start_epoch(SupernetState& state) override {
    // The reference divides by epochs - 1; a one-epoch search stays at tau_max.
    const double tau = state.epochs > 1
                           ? kTauMax - (kTauMax - kTauMin) * state.epoch / (state.epochs - 1)
                           : kTauMax;
    state.net->set_tau(tau);
  }
  void prepare_weight_step(SupernetState& state) override {
    state.net->set_mode(model::SupernetMode::Gdas);
  }
  HalfStep arch_step(SupernetState& state, const PairBatch& batch) override {
    state.net->set_mode(model::SupernetMode::Gdas);
    return arch_gradient_step(state, batch);
  }
  Selection derive(SupernetState& state, ValidBatches& valid) override {
    return select_best(*state.net, {state.net->argmax_arch()}, valid);
  }
  void prepare_valid(SupernetState& state, const model::EdgeOps& /*genotype*/) override {
    state.net->set_mode(model::SupernetMode::Gdas);
  }
};

}  // namespace

std::unique_ptr<SupernetAlgorithm> make_gdas() {
  return std::make_unique<Gdas>();
}

}  // namespace natsbench::search
