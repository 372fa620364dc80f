#include "natsbench/sweep/sweep.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "natsbench/data/benchmark_data.h"
#include "natsbench/sweep/run_lock.h"
#include "natsbench/train/environment.h"
#include "natsbench/train/interrupt.h"
#include "natsbench/util/atomic_file.h"
#include "natsbench/util/error.h"
#include "natsbench/util/md5.h"

namespace natsbench::sweep {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

train::RunSpec spec_of(const SweepOptions& o, const PlannedRun& run) {
  train::RunSpec spec;
  spec.arch = arch_from_index(o.space, run.arch_index);
  spec.hp = o.hp;
  spec.seed = run.seed;
  spec.dataset = run.dataset;
  spec.max_batches = o.max_batches;
  spec.deterministic = o.deterministic;
  return spec;
}

}  // namespace

SweepSummary run_sweep(const SweepOptions& o, const c10::Device& device, const SweepCallbacks& cb) {
  SweepSummary summary;
  std::map<data::Source, data::SourceData> sources;
  std::map<std::string, data::BenchmarkData> loaded;
  std::map<std::string, nlohmann::json> reports;
  const auto data_of = [&](const std::string& dataset) -> const data::BenchmarkData& {
    auto it = loaded.find(dataset);
    if (it != loaded.end()) return it->second;
    const data::DatasetInfo& bspec = data::dataset(dataset);
    auto src = sources.find(bspec.source);
    if (src == sources.end())
      src =
          sources.emplace(bspec.source, data::read_source(bspec.source, o.data_root, {true})).first;
    auto& d = loaded.emplace(dataset, data::make_benchmark_data(dataset, src->second, o.splits))
                  .first->second;
    data::move_to_device(d, device);
    reports[dataset] = train::data_report(d, o.data_root);
    return d;
  };

  // The runs in training: up to o.concurrent (train::interleave_runs).
  struct Active {
    train::RunSpec spec;
    std::optional<RunLock> lock;
    std::unique_ptr<train::RunDriver> driver;
    Clock::time_point start, last_refresh;
  };
  std::size_t i = 0;  // the next run of the shard to consider
  // Claims and starts the next run of the shard that needs training; nullptr when none is left.
  const auto next = [&]() -> std::unique_ptr<Active> {
    for (; i < o.runs.size(); ++i) {
      if (train::stop_requested()) {
        summary.interrupted = true;
        return nullptr;
      }
      const train::RunSpec spec = spec_of(o, o.runs[i]);
      const train::RunPaths paths = train::run_paths(o.out, spec);
      if (!o.cover && train::finished_record(spec, paths)) {
        ++summary.already_done;
        continue;
      }
      fs::create_directories(fs::path(paths.record).parent_path());
      auto lock = RunLock::claim(lock_path(paths), o.stale_after_seconds);
      if (!lock) {
        ++summary.held_elsewhere;
        continue;
      }
      if (lock->took_over()) {
        ++summary.took_over;
        if (cb.on_warning)
          cb.on_warning(lock_path(paths) + ": took over the lock of a worker that is gone");
      }
      // Another worker may have finished the run between our check and our claim.
      if (!o.cover && train::finished_record(spec, paths)) {
        ++summary.already_done;
        continue;
      }
      if (o.cover) {
        std::error_code ec;
        fs::remove(paths.record, ec);
        fs::remove(paths.checkpoint, ec);
      }
      const data::BenchmarkData& data = data_of(spec.dataset);
      if (cb.on_start) cb.on_start(spec, i + 1, o.runs.size());
      auto run = std::make_unique<Active>();
      run->spec = spec;
      run->lock.emplace(std::move(*lock));
      run->start = run->last_refresh = Clock::now();
      train::TrainHooks hooks;
      hooks.environment = cb.environment;
      hooks.environment["data"] = reports[spec.dataset];
      // Epoch times of runs trained side by side are shared wall time (simulate_train_eval and
      // the time budgets of NAS algorithms read them): the record says at most how many shared.
      hooks.environment["concurrent_runs"] = o.concurrent;
      hooks.save_weights = o.save_weights;
      hooks.cuda_graphs = o.cuda_graphs;
      hooks.on_warning = cb.on_warning;
      hooks.on_epoch = cb.on_epoch;
      Active* self = run.get();
      hooks.on_batch = [self, &cb](const train::Progress& p) {
        if (Clock::now() - self->last_refresh > std::chrono::seconds(30)) {
          self->lock->refresh();
          self->last_refresh = Clock::now();
        }
        if (cb.on_batch) cb.on_batch(p);
      };
      run->driver = std::make_unique<train::RunDriver>(spec, data, device, paths, hooks);
      ++i;
      return run;
    }
    return nullptr;
  };
  const auto ended = [&](Active& run) {
    const train::RunResult& result = run.driver->result();
    run.lock->release();
    const double seconds = std::chrono::duration<double>(Clock::now() - run.start).count();
    if (cb.on_end) cb.on_end(run.spec, result, seconds);
    if (result.outcome == train::RunOutcome::Interrupted) summary.interrupted = true;
    if (result.outcome == train::RunOutcome::Failed) ++summary.failed;
    if (result.outcome == train::RunOutcome::Complete) ++summary.trained;
    if (result.outcome == train::RunOutcome::AlreadyDone) ++summary.already_done;
  };
  train::interleave_runs<Active>(static_cast<std::size_t>(std::max(1, o.concurrent)), next, ended);
  return summary;
}

}  // namespace natsbench::sweep
