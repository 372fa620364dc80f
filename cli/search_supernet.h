#pragma once
// The weight-sharing branch of `natsbench search` (--algo darts-v1|darts-v2|gdas|setn|rsps|enas):
// its options are parsed by cli/cmd_search.cpp with the rest; the runs need LibTorch, so the
// LibTorch-free binary hands the command line over and natsbench-torch runs them
// (cli/torch/cmd_search_supernet.cpp).
#include <cstdint>
#include <string>

#include "cli_common.h"

namespace natsbench::cli {

struct SupernetSearchArgs {
  std::string algorithm, dataset, data_root, splits, out, device = "cpu", seeds = "777,888,999";
  int epochs = 100, threads = 0, candidates = 100;
  std::int64_t max_batches = 0;
  bool json = false;
  BenchmarkOptions benchmark;
  bool with_benchmark = false;  // --benchmark given: each genotype's benchmark accuracy
};

// "darts-v1, darts-v2, gdas, setn, rsps or enas" (natsbench-torch; the LibTorch-free binary names
// them from its own list, checked equal by tests/cli/search_supernet_test.sh).
std::string supernet_algorithm_list();
bool is_supernet_algorithm(const std::string& name);

#ifndef NATSBENCH_CORE_ONLY
int run_supernet_searches(const SupernetSearchArgs& args);
#endif

}  // namespace natsbench::cli
