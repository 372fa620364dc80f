#pragma once
// What an output directory holds, for anyone to read while workers train into it (torch-free:
// `natsbench sweep --status` runs without LibTorch).
#include <string>

#include <nlohmann/json.hpp>

#include "natsbench/train/record.h"

namespace natsbench::sweep {

// Counts for an output directory: planned runs (from OUT/plans), complete and failed records,
// running (a live lock), paused (a checkpoint without a live lock), remaining, and an ETA from
// the measured wall time of the finished runs and the number of running workers.
nlohmann::json sweep_status(const std::string& out, double stale_after_seconds = 1800);

// The lock file a worker holds while it trains the run.
std::string lock_path(const train::RunPaths& paths);

}  // namespace natsbench::sweep
