#include "candidates.h"
#include "natsbench/search/algorithm.h"
#include "natsbench/util/error.h"

namespace natsbench::search {

namespace {

// Random search (docs/nas-algorithms.md §6): candidates drawn uniformly until the budget is spent.
SearchRun random_search(bench::Benchmark& benchmark, const SearchSettings& settings,
                        std::uint64_t seed) {
  Trajectory trajectory(benchmark, settings, seed);
  while (trajectory.within_budget()) trajectory.evaluate(random_candidate(benchmark));
  return trajectory.take();
}

class RandomSearch : public Algorithm {
 public:
  SearchRun run(bench::Benchmark& benchmark, const SearchSettings& settings,
                std::uint64_t seed) override {
    return random_search(benchmark, settings, seed);
  }
};

}  // namespace

std::unique_ptr<Algorithm> make_random_search() {
  return std::make_unique<RandomSearch>();
}

}  // namespace natsbench::search
