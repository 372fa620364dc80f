#include "natsbench/train/run_queue.h"

#include <algorithm>
#include <chrono>
#include <memory>

#include "natsbench/train/environment.h"
#include "natsbench/util/interrupt.h"

namespace natsbench::train {

using Clock = std::chrono::steady_clock;

DatasetCache::DatasetCache(std::string root, std::string splits, c10::Device device)
    : root_(std::move(root)), splits_(std::move(splits)), device_(device) {}

const data::BenchmarkData& DatasetCache::get(const std::string& dataset) {
  if (auto it = loaded_.find(dataset); it != loaded_.end()) return it->second;
  const auto start = Clock::now();
  const data::Source source = data::dataset(dataset).source;
  auto src = sources_.find(source);
  if (src == sources_.end())
    src = sources_.emplace(source, data::read_source(source, root_, {true})).first;
  auto& d = loaded_.emplace(dataset, data::make_benchmark_data(dataset, src->second, splits_))
                .first->second;
  data::move_to_device(d, device_);
  seconds_[dataset] = std::chrono::duration<double>(Clock::now() - start).count();
  reports_[dataset] = data_report(d, root_);
  return d;
}

bool run_queue(const std::vector<RunSpec>& runs, const RunQueueOptions& o, DatasetCache& data,
               const c10::Device& device, const RunQueueHooks& h) {
  struct Active {
    std::size_t index;
    std::unique_ptr<RunDriver> driver;
    Clock::time_point start;
  };
  std::size_t next = 0;
  bool stopped = false;
  const auto start_next = [&]() -> std::unique_ptr<Active> {
    for (; next < runs.size(); ++next) {
      if (stop_requested()) {
        stopped = true;
        return nullptr;
      }
      const RunSpec& spec = runs[next];
      const RunPaths paths = run_paths(o.out, spec);
      if (!h.admit(next, spec, paths)) continue;
      const data::BenchmarkData& d = data.get(spec.dataset);
      TrainHooks hooks = h.hooks ? h.hooks(next, spec) : TrainHooks{};
      hooks.environment = o.environment;
      hooks.environment["data"] = data.report(spec.dataset);
      // Epoch times of runs trained side by side are shared wall time (simulate_train_eval and
      // the time budgets of NAS algorithms read them): the record says at most how many shared.
      hooks.environment["concurrent_runs"] = o.concurrent;
      hooks.save_weights = o.save_weights;
      hooks.cuda_graphs = o.cuda_graphs;
      auto run = std::make_unique<Active>();
      run->index = next;
      run->start = Clock::now();
      run->driver = std::make_unique<RunDriver>(spec, d, device, paths, std::move(hooks));
      ++next;
      return run;
    }
    return nullptr;
  };
  const auto ended = [&](Active& run) {
    const RunResult& result = run.driver->result();
    if (result.outcome == RunOutcome::Interrupted) stopped = true;
    const double seconds = std::chrono::duration<double>(Clock::now() - run.start).count();
    if (h.ended) h.ended(run.index, runs[run.index], result, seconds);
  };
  interleave_runs<Active>(static_cast<std::size_t>(std::max(1, o.concurrent)), start_next, ended);
  return !stopped;
}

}  // namespace natsbench::train
