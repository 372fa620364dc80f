#include "natsbench/search/algorithm.h"

#include <algorithm>
#include <cmath>

#include "candidates.h"
#include "natsbench/bench/benchmark.h"
#include "natsbench/data/registry.h"
#include "natsbench/util/error.h"

namespace natsbench::search {

// Defined in their own files.
std::unique_ptr<Algorithm> make_random_search();
std::unique_ptr<Algorithm> make_regularized_evolution();
std::unique_ptr<Algorithm> make_reinforce();
std::unique_ptr<Algorithm> make_bohb();

namespace {

std::vector<AlgorithmInfo>& registry() {
  static std::vector<AlgorithmInfo> rows = {
      {"random", "random search", make_random_search},
      {"rea", "regularized evolution", make_regularized_evolution},
      {"reinforce", "REINFORCE with a softmax policy", make_reinforce},
      {"bohb", "BOHB: Hyperband with a TPE-like model", make_bohb},
  };
  return rows;
}

void check_settings(const bench::Benchmark& benchmark, const SearchSettings& settings) {
  data::searchable_dataset(settings.dataset, "search");
  if (!(settings.time_budget > 0) || !std::isfinite(settings.time_budget)) {
    throw ArgError("search: the time budget must be a positive number of seconds");
  }
  hp_epochs(settings.hp);
  // What is loaded tells the hps (an archive directory loads on first use: nothing yet).
  const auto hps = benchmark.available_hps();
  if (!hps.empty() && std::find(hps.begin(), hps.end(), settings.hp) == hps.end()) {
    std::string list;
    for (const auto& hp : hps) list += (list.empty() ? "" : ", ") + hp;
    throw ArgError("search: hp '" + settings.hp + "': the benchmark has " + list);
  }
  if (benchmark.size() != space_size(benchmark.space())) {
    throw ArgError("search: the benchmark lists " + std::to_string(benchmark.size()) +
                   " architectures; multi-trial search samples the whole space of " +
                   std::to_string(space_size(benchmark.space())));
  }
}

}  // namespace

void register_algorithm(const AlgorithmInfo& info) {
  auto& rows = registry();
  const auto taken = [&](std::string_view flag) {
    for (const auto& row : rows)
      for (const auto& knob : row.make()->knobs())
        if (knob.flag == flag) return true;
    return false;
  };
  for (const auto& row : rows)
    if (row.name == info.name)
      throw ArgError("search algorithm '" + std::string(info.name) + "': registered twice");
  for (const auto& knob : info.make()->knobs())
    if (taken(knob.flag))
      throw ArgError("search algorithm '" + std::string(info.name) + "': knob " +
                     std::string(knob.flag) + " is another algorithm's");
  rows.push_back(info);
}

const std::vector<AlgorithmInfo>& algorithms() {
  return registry();
}

std::string algorithm_names() {
  const auto& rows = registry();
  std::string names;
  for (std::size_t i = 0; i < rows.size(); ++i)
    names += (i == 0 ? "" : i + 1 == rows.size() ? " or " : ", ") + std::string(rows[i].name);
  return names;
}

std::unique_ptr<Algorithm> make_algorithm(std::string_view name) {
  for (const auto& row : registry())
    if (row.name == name) return row.make();
  throw ArgError("search algorithm '" + std::string(name) + "': expected " + algorithm_names());
}

void set_knob(Algorithm& algorithm, std::string_view flag, double value) {
  for (const auto& knob : algorithm.knobs()) {
    if (knob.flag != flag) continue;
    if (auto* i = std::get_if<int*>(&knob.value)) {
      if (value != std::floor(value)) throw ArgError(std::string(flag) + ": expected an integer");
      **i = static_cast<int>(value);
    } else {
      *std::get<double*>(knob.value) = value;
    }
    return;
  }
  throw ArgError(std::string(flag) + ": not a setting of this algorithm");
}

SearchRun run_search(bench::Benchmark& benchmark, Algorithm& algorithm,
                     const SearchSettings& settings, std::uint64_t seed) {
  check_settings(benchmark, settings);
  algorithm.check();
  benchmark.reset_time();
  benchmark.seed_random(seed);
  return algorithm.run(benchmark, settings, seed);
}

SearchRun run_search(bench::Benchmark& benchmark, std::string_view name,
                     const SearchSettings& settings, std::uint64_t seed) {
  auto algorithm = make_algorithm(name);
  return run_search(benchmark, *algorithm, settings, seed);
}

}  // namespace natsbench::search
