#include "candidates.h"

#include <deque>

#include "natsbench/search/algorithm.h"
#include "natsbench/util/error.h"

namespace natsbench::search {

namespace {

struct EvolutionSettings {
  int population = 10;
  int tournament = 3;
};

// Regularized evolution (REA, docs/nas-algorithms.md §6): a random population, then tournaments,
// one-position mutations of the winner and aging.
SearchRun regularized_evolution(bench::Benchmark& benchmark, const SearchSettings& settings,
                                const EvolutionSettings& evolution, std::uint64_t seed) {
  struct Member {
    Choices choices;
    double accuracy;
  };
  Trajectory trajectory(benchmark, settings, seed);
  std::deque<Member> population;
  while (static_cast<int>(population.size()) < evolution.population) {
    Choices choices = random_candidate(benchmark);
    const double accuracy = trajectory.evaluate(choices);
    population.push_back({std::move(choices), accuracy});
  }
  while (trajectory.within_budget()) {
    // Tournament: members drawn with replacement, the first most accurate one is the parent.
    const Member* parent = nullptr;
    for (int i = 0; i < evolution.tournament; ++i) {
      const Member& drawn =
          population[benchmark.random_below(static_cast<std::uint32_t>(population.size()))];
      if (parent == nullptr || drawn.accuracy > parent->accuracy) parent = &drawn;
    }
    Choices child = mutate(benchmark, parent->choices);
    const double accuracy = trajectory.evaluate(child);
    population.push_back({std::move(child), accuracy});
    population.pop_front();  // aging: the oldest member dies, not the worst
  }
  return trajectory.take();
}

class RegularizedEvolution : public Algorithm {
 public:
  std::vector<Knob> knobs() override {
    return {{"--population", "REA population", &settings_.population},
            {"--tournament", "REA tournament size", &settings_.tournament}};
  }
  void check() const override {
    if (settings_.population < 1) throw ArgError("search: the REA population must be at least 1");
    if (settings_.tournament < 1) throw ArgError("search: the REA tournament must be at least 1");
  }
  SearchRun run(bench::Benchmark& benchmark, const SearchSettings& settings,
                std::uint64_t seed) override {
    return regularized_evolution(benchmark, settings, settings_, seed);
  }

 private:
  EvolutionSettings settings_;
};

}  // namespace

std::unique_ptr<Algorithm> make_regularized_evolution() {
  return std::make_unique<RegularizedEvolution>();
}

}  // namespace natsbench::search
