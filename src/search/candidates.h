#pragma once
// What the multi-trial algorithms share (private to src/search/): candidates as one choice per
// position (an op per edge of the topology cell, a width per layer of the size space, in the
// space's own orders, which decide what a random draw gives), the reference's sampling and
// mutation, and the trajectory of a run.
#include <cstdint>
#include <optional>
#include <string>

#include "natsbench/bench/benchmark.h"
#include "natsbench/search/bohb_sampler.h"
#include "natsbench/search/multi_trial.h"

namespace natsbench::search {

int choices_per_position(Space space);
int positions(Space space);
// The arch string of a candidate, spelled by space/.
std::string arch_string(Space space, const Choices& choices);
// The reference's random_topology_func / random_size_func: one random.choice per position.
Choices random_candidate(bench::Benchmark& benchmark);
// The reference's mutate_topology_func / mutate_size_func.
Choices mutate(bench::Benchmark& benchmark, Choices child);
// "12" -> 12, "01" -> 1: the hp tag is the schedule's number of epochs. Throws ArgError.
int hp_epochs(const std::string& hp);

// Evaluates candidates and keeps the trajectory; the best is the first one with the highest
// simulated accuracy (the reference's strict `>` / max() keep the earliest on ties).
class Trajectory {
 public:
  Trajectory(bench::Benchmark& benchmark, const SearchSettings& settings, std::uint64_t seed);
  // Simulates `epochs` epochs of the hp's schedule (default: all of them).
  double evaluate(const Choices& choices, std::optional<int> epochs = std::nullopt);
  bool within_budget() const;
  SearchRun take() { return std::move(run_); }

 private:
  bench::Benchmark& benchmark_;
  const SearchSettings& settings_;
  SearchRun run_;
};

}  // namespace natsbench::search
