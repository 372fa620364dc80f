#include "candidates.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "natsbench/search/algorithm.h"
#include "natsbench/util/error.h"

namespace natsbench::search {

namespace {

// Hyperband with successive halving, eta 3, budgets max * 3^-2, max * 3^-1, max epochs (1.33,
// 4, 12 for hp 12: 1, 4, 12 epochs simulated), one sequential worker: iteration t runs bracket
// s = 2 - t % 3 with 9/3/1, 3/1 or 3 configurations per rung. Promoted configurations are
// evaluated again, from scratch, in their sampling order; loss = 100 - accuracy.
SearchRun bohb(bench::Benchmark& benchmark, const SearchSettings& settings, int iterations,
               std::uint64_t seed) {
  constexpr int kEta = 3, kBrackets = 3;
  const double max_budget = hp_epochs(settings.hp);
  std::array<double, kBrackets> budgets{};
  for (int i = 0; i < kBrackets; ++i) {
    budgets[static_cast<std::size_t>(i)] =
        max_budget * std::pow(double{kEta}, -(kBrackets - 1 - i));
  }
  Trajectory trajectory(benchmark, settings, seed);
  BohbSampler sampler(positions(benchmark.space()), choices_per_position(benchmark.space()), seed);
  struct Config {
    Choices choices;
    double loss;
  };
  for (int iteration = 0; iteration < iterations; ++iteration) {
    const int s = kBrackets - 1 - iteration % kBrackets;
    const int first = (kBrackets / (s + 1)) * static_cast<int>(std::pow(kEta, s));
    std::vector<Config> rung;
    for (int stage = 0; stage <= s; ++stage) {
      const double budget = budgets[static_cast<std::size_t>(kBrackets - 1 - s + stage)];
      const int epochs = std::max(1, static_cast<int>(budget));
      if (stage == 0) {
        // Sampled one at a time: each sample sees the model the previous result updated.
        for (int k = 0; k < first; ++k) {
          Choices choices = sampler.sample();
          const double loss = 100 - trajectory.evaluate(choices, epochs);
          sampler.record(choices, loss, budget);
          rung.push_back({std::move(choices), loss});
        }
        continue;
      }
      // Promote the lowest losses (the earlier on ties), keeping the sampling order.
      const auto keep = static_cast<std::size_t>(
          std::max(1, static_cast<int>(first * std::pow(double{kEta}, -stage))));
      std::vector<std::size_t> order(rung.size());
      for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
      std::stable_sort(order.begin(), order.end(),
                       [&](std::size_t a, std::size_t b) { return rung[a].loss < rung[b].loss; });
      std::vector<bool> promoted(rung.size(), false);
      for (std::size_t i = 0; i < keep && i < order.size(); ++i) promoted[order[i]] = true;
      std::vector<Config> next;
      for (std::size_t i = 0; i < rung.size(); ++i) {
        if (!promoted[i]) continue;
        const double loss = 100 - trajectory.evaluate(rung[i].choices, epochs);
        sampler.record(rung[i].choices, loss, budget);
        next.push_back({rung[i].choices, loss});
      }
      rung = std::move(next);
    }
  }
  return trajectory.take();
}

class Bohb : public Algorithm {
 public:
  std::vector<Knob> knobs() override {
    return {{"--iterations",
             "BOHB: Hyperband iterations (brackets); BOHB is not stopped by the budget",
             &iterations_}};
  }
  void check() const override {
    if (iterations_ < 1) throw ArgError("search: BOHB needs at least 1 iteration");
  }
  SearchRun run(bench::Benchmark& benchmark, const SearchSettings& settings,
                std::uint64_t seed) override {
    return bohb(benchmark, settings, iterations_, seed);
  }

 private:
  int iterations_ = 300;  // Hyperband brackets run
};

}  // namespace

std::unique_ptr<Algorithm> make_bohb() {
  return std::make_unique<Bohb>();
}

}  // namespace natsbench::search
