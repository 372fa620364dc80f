#pragma once
// The run queue: what `train` and `sweep` (and later the supernet searches) share. Each benchmark
// dataset is loaded once (its source files read once for all the datasets cut from them) and
// moved to the device once; the runs train in order, up to M at once, advanced in turn
// (interleave_runs: when one fails, the others write their checkpoints before the error
// propagates). What differs between the callers (locks, skipping, progress display) comes in
// through the hooks.
#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <c10/core/Device.h>
#include <nlohmann/json.hpp>

#include "natsbench/data/benchmark_data.h"
#include "natsbench/train/trainer.h"

namespace natsbench::train {

// The benchmark datasets of a run queue, each loaded on first use and kept on the device.
class DatasetCache {
 public:
  DatasetCache(std::string root, std::string splits, c10::Device device);
  const data::BenchmarkData& get(const std::string& dataset);
  bool loaded(const std::string& dataset) const { return loaded_.count(dataset) > 0; }
  // data_report() of a loaded dataset, for the run records' environment.
  const nlohmann::json& report(const std::string& dataset) const { return reports_.at(dataset); }
  double load_seconds(const std::string& dataset) const { return seconds_.at(dataset); }
  const std::string& root() const { return root_; }

 private:
  std::string root_, splits_;
  c10::Device device_;
  std::map<data::Source, data::SourceData> sources_;
  std::map<std::string, data::BenchmarkData> loaded_;
  std::map<std::string, nlohmann::json> reports_;
  std::map<std::string, double> seconds_;
};

struct RunQueueHooks {
  // Whether run i trains now: false skips it (finished, or claimed by another worker).
  std::function<bool(std::size_t i, const RunSpec& spec, const RunPaths& paths)> admit;
  // The callbacks of run i (progress, warnings); the queue fills in the environment.
  std::function<TrainHooks(std::size_t i, const RunSpec& spec)> hooks;
  // Run i ended (any outcome) after `seconds`.
  std::function<void(std::size_t i, const RunSpec& spec, const RunResult& result, double seconds)>
      ended;
};

struct RunQueueOptions {
  std::string out;             // the runs' files: run_paths(out, spec)
  int concurrent = 1;          // runs trained at once
  nlohmann::json environment;  // of every record; "data" and "concurrent_runs" are added
  bool save_weights = false, cuda_graphs = true;
};

// Trains `runs` in order. Returns false when a stop signal ended it early (the runs in training
// wrote their checkpoints).
bool run_queue(const std::vector<RunSpec>& runs, const RunQueueOptions& options, DatasetCache& data,
               const c10::Device& device, const RunQueueHooks& hooks);

}  // namespace natsbench::train
