#pragma once
// Multi-trial NAS on a tabular benchmark (docs/nas-algorithms.md §6, §8.1, §9): what a run is
// given, what it records, and how it is scored. The algorithms (random search, regularized
// evolution (REA), REINFORCE and BOHB, each charging the simulated training time of every
// candidate it evaluates, Benchmark::simulate_train_eval, against a time budget) are behind the
// interface and registry of algorithm.h.
//
// Random search and REA draw every random choice from the benchmark's emulated Python `random`
// (seeded with the run's seed, as the reference's prepare_seed does), in the reference scripts'
// order, so the candidates and the seeds picked by simulate_train_eval interleave as they did in
// Python. REINFORCE's policy and BOHB's sampler draw from a generator of their own (the reference
// used torch's and numpy's), so their runs are reproducible here but not bit-equal to Python's.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "natsbench/space/arch.h"

namespace natsbench::bench {
class Benchmark;
}

namespace natsbench::search {

// What every algorithm's run is given (its own settings are its knobs, algorithm.h).
struct SearchSettings {
  std::string dataset;     // a searchable dataset of the registry: cifar10, cifar100, ...
  double time_budget = 0;  // simulated seconds
  std::string hp = "12";   // fidelity of the simulated evaluations
};

// The paper's time budgets (§6): 20,000 s on cifar10, 40,000 s on cifar100, 120,000 s (tss) and
// 60,000 s (sss) on ImageNet16-120. Throws ArgError for another dataset.
double paper_time_budget(Space space, const std::string& dataset);
// The fidelity the paper reports with: "200" (tss) or "90" (sss).
std::string full_fidelity_hp(Space space);

struct Evaluation {
  int index;          // the evaluated architecture
  int epochs;         // epochs of training simulated (BOHB: 1, 4 or 12; the others: all)
  double accuracy;    // its simulated validation accuracy (one random seed's) after them
  double time_cost;   // simulated cost of this evaluation
  double total_time;  // accumulated cost of the run so far
  int best_index;     // the best architecture found so far, this one included
};

struct SearchRun {
  std::uint64_t seed = 0;
  std::vector<Evaluation> evaluations;
  int best_index = -1;
  double best_accuracy = 0;
};

struct Score {
  double valid;
  double test;
};

// The reported accuracies of an architecture (§9.2): seed means at the last epoch of `hp`;
// cifar10's test accuracy comes from the cifar10 entry, its validation accuracy from
// cifar10-valid; cifar100 and ImageNet16-120 report x-valid and x-test.
Score reported_accuracy(bench::Benchmark& benchmark, int index, const std::string& dataset,
                        const std::string& hp);

// §8.1: the run's result at time t, interpolated linearly between the reported accuracies of
// the best-so-far architectures of the two evaluations nearest to t (extrapolated when both lie
// on one side of t).
Score score_at(bench::Benchmark& benchmark, const SearchRun& run, double t,
               const std::string& dataset, const std::string& hp);

}  // namespace natsbench::search
