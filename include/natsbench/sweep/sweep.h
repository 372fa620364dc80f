#pragma once
// A sweep worker: runs its shard of a plan with the trainer, claiming each run with a lock so that
// many workers can share one output directory, skipping finished runs and resuming checkpointed
// ones. (The plan files and the status of an output directory are torch-free: plan_file.h,
// status.h.)
#include <functional>
#include <string>
#include <vector>

#include <c10/core/Device.h>
#include <nlohmann/json.hpp>

#include "natsbench/sweep/plan.h"
#include "natsbench/sweep/plan_file.h"
#include "natsbench/sweep/status.h"
#include "natsbench/train/trainer.h"

namespace natsbench::sweep {

struct SweepOptions {
  Space space = Space::Topology;
  std::vector<PlannedRun> runs;  // this worker's shard
  train::HyperParams hp;
  std::string out, data_root, splits;
  std::int64_t max_batches = 0;
  bool deterministic = true;
  bool cover = false;                 // redo complete and failed records
  double stale_after_seconds = 1800;  // a lock not refreshed for this long is taken over
  bool save_weights = false;
  int concurrent = 1;       // runs trained at once, interleaved on their own CUDA streams
  bool cuda_graphs = true;  // TrainHooks::cuda_graphs
};

struct SweepCallbacks {
  // Before and after every run this worker trains; `position` counts runs of the shard from 1.
  std::function<void(const train::RunSpec&, std::size_t position, std::size_t total)> on_start;
  std::function<void(const train::RunSpec&, const train::RunResult&, double seconds)> on_end;
  std::function<void(const std::string&)> on_warning;
  std::function<void(const train::Progress&)> on_batch;
  std::function<void(const train::RunRecord&, int epoch)> on_epoch;
  nlohmann::json environment;
};

struct SweepSummary {
  std::size_t trained = 0, failed = 0, already_done = 0, held_elsewhere = 0, took_over = 0;
  bool interrupted = false;
};

SweepSummary run_sweep(const SweepOptions& options, const c10::Device& device,
                       const SweepCallbacks& callbacks);

}  // namespace natsbench::sweep
