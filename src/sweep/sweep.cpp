#include "natsbench/sweep/sweep.h"

#include <chrono>
#include <filesystem>
#include <map>

#include "natsbench/sweep/run_lock.h"
#include "natsbench/train/run_queue.h"
#include "natsbench/util/error.h"

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
  std::vector<train::RunSpec> specs;
  for (const auto& run : o.runs) specs.push_back(spec_of(o, run));
  // The locks of the runs in training, by plan position, with when each was last refreshed.
  struct Held {
    RunLock lock;
    Clock::time_point last_refresh;
  };
  std::map<std::size_t, Held> held;

  train::RunQueueHooks hooks;
  hooks.admit = [&](std::size_t i, const train::RunSpec& spec, const train::RunPaths& paths) {
    if (!o.cover && train::finished_record(spec, paths)) {
      ++summary.already_done;
      return false;
    }
    fs::create_directories(fs::path(paths.record).parent_path());
    auto lock = RunLock::claim(lock_path(paths), o.stale_after_seconds);
    if (!lock) {
      ++summary.held_elsewhere;
      return false;
    }
    if (lock->took_over()) {
      ++summary.took_over;
      if (cb.on_warning)
        cb.on_warning(lock_path(paths) + ": took over the lock of a worker that is gone");
    }
    // Another worker may have finished the run between our check and our claim.
    if (!o.cover && train::finished_record(spec, paths)) {
      ++summary.already_done;
      return false;
    }
    if (o.cover) {
      std::error_code ec;
      fs::remove(paths.record, ec);
      fs::remove(paths.checkpoint, ec);
    }
    held.emplace(i, Held{std::move(*lock), Clock::now()});
    return true;
  };
  hooks.hooks = [&](std::size_t i, const train::RunSpec& spec) {
    if (cb.on_start) cb.on_start(spec, i + 1, o.runs.size());
    train::TrainHooks h;
    h.on_warning = cb.on_warning;
    h.on_epoch = cb.on_epoch;
    Held* self = &held.at(i);
    h.on_batch = [self, &cb](const train::Progress& p) {
      if (Clock::now() - self->last_refresh > std::chrono::seconds(30)) {
        self->lock.refresh();
        self->last_refresh = Clock::now();
      }
      if (cb.on_batch) cb.on_batch(p);
    };
    return h;
  };
  hooks.ended = [&](std::size_t i, const train::RunSpec& spec, const train::RunResult& result,
                    double seconds) {
    held.at(i).lock.release();
    held.erase(i);
    if (cb.on_end) cb.on_end(spec, result, seconds);
    if (result.outcome == train::RunOutcome::Failed) ++summary.failed;
    if (result.outcome == train::RunOutcome::Complete) ++summary.trained;
    if (result.outcome == train::RunOutcome::AlreadyDone) ++summary.already_done;
  };

  train::RunQueueOptions queue;
  queue.out = o.out;
  queue.concurrent = o.concurrent;
  queue.environment = cb.environment;
  queue.save_weights = o.save_weights;
  queue.cuda_graphs = o.cuda_graphs;
  train::DatasetCache data(o.data_root, o.splits, device);
  summary.interrupted = !train::run_queue(specs, queue, data, device, hooks);
  return summary;
}

}  // namespace natsbench::sweep
