#pragma once
// natsbench sweep: its arguments, parsed in both binaries (`sweep --status` runs without
// LibTorch), and the training part, in natsbench-torch only (cmd_sweep_run.cpp).
#include <cstdint>
#include <string>

#include "cli_common.h"

namespace natsbench::cli {

struct SweepArgs {
  std::string space, range, hp = "12", seeds, datasets = all_datasets(), data_root, splits, out,
                            shard = "0/1", mode = "new", device = "cpu";
  std::int64_t max_batches = 0;
  int threads = 0, concurrent = 1;
  double lock_timeout = 1800;
  bool status = false, fast = false, save_weights = false, no_graph = false;
};

int run_sweep_command(const SweepArgs& args);

}  // namespace natsbench::cli
