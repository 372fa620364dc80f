#pragma once
// One benchmark run (docs/training.md §5): a candidate trained on one benchmark dataset for a
// hyper-parameter set and a seed, evaluated on every eval set after every epoch, checkpointed
// after every epoch, resumed from its checkpoint, and summarised in a run record.
//
// Runs train with the fast path's steps (fast_step.h): on the CPU they give the bits of
// train_batches() and evaluate() below (tests/train); on a CUDA device each run has its own
// stream and, unless switched off, replays its steps as CUDA graphs.
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <c10/core/Device.h>
#include <torch/optim/sgd.h>

#include "natsbench/data/pipeline.h"
#include "natsbench/model/network.h"
#include "natsbench/train/metric_accumulator.h"
#include "natsbench/train/record.h"

namespace natsbench::train {

// SGD over every parameter (docs/training.md §5.5: weight decay on all of them, no exclusions).
std::unique_ptr<torch::optim::SGD> make_optimizer(model::CellNetwork& net, const HyperParams& hp);

// The plain, eager steps with torch::optim::SGD: what the fast path is tested against, and
// `bench train --step plain`.
// Trains batches [first, end) of `loader` (already set to `epoch`) in train mode, recording each
// into `metrics` at its batch index. `after_step(i)` runs after batch i's optimizer step and
// returns false to stop early; returns the index of the next batch to run.
std::int64_t train_batches(model::CellNetwork& net, torch::optim::SGD& optimizer,
                           data::BatchSource& loader, const HyperParams& hp, int epoch,
                           std::int64_t first, std::int64_t end, MetricAccumulator& metrics,
                           const std::function<bool(std::int64_t)>& after_step);

// Evaluates the first `batches` batches of `loader` in eval mode without gradients (§5.8),
// timed with device synchronisations at both ends.
EpochMetrics evaluate(model::CellNetwork& net, data::BatchSource& loader, const c10::Device& device,
                      std::int64_t batches);

// cuDNN flags of docs/training.md §5.10 (deterministic, no autotuning, fp32 without TF32) or the
// fast ones (autotuning, TF32 in cuDNN and cuBLAS).
void set_deterministic(bool deterministic);

struct Progress {
  int epoch = 0, epochs = 0;
  std::int64_t batch = 0, batches = 0;  // training batches of this epoch done / per epoch
  double seconds = 0;                   // since this process started the run
};

struct TrainHooks {
  std::function<void(const Progress&)> on_batch;              // after every training step
  std::function<void(const RunRecord&, int epoch)> on_epoch;  // after every evaluated epoch
  std::function<void(const std::string&)> on_warning;         // e.g. a discarded checkpoint
  nlohmann::json environment;                                 // stored in the record as is
  bool save_weights = false;
  bool cuda_graphs = true;  // on a CUDA device (CUDA build): replay steps as CUDA graphs
};

enum class RunOutcome { Complete, Failed, Interrupted, AlreadyDone };

struct RunResult {
  RunOutcome outcome = RunOutcome::Complete;
  RunRecord record;      // the finished epochs so far when interrupted
  int resumed_from = 0;  // epoch the run resumed at (0 = from scratch)
};

// The record of a finished (complete or failed) run, if `paths.record` holds one; throws Error
// when the file is damaged or belongs to another run (same path, different settings).
std::optional<RunRecord> finished_record(const RunSpec& spec, const RunPaths& paths);

// One run (or its resumption, or nothing when its record is already there), advanced a piece of
// work at a time, so that one host thread can interleave several runs, each enqueueing on its
// own CUDA stream (sweep --concurrent). `data` must outlive the driver. Throws Error for I/O
// failures; a non-finite loss ends the run with RunOutcome::Failed and a record saying so.
class RunDriver {
 public:
  RunDriver(const RunSpec& spec, const data::BenchmarkData& data, const c10::Device& device,
            const RunPaths& paths, TrainHooks hooks);
  ~RunDriver();
  RunDriver(const RunDriver&) = delete;
  RunDriver& operator=(const RunDriver&) = delete;

  // Does the next piece of work: one training step, one evaluation step, or the end of the run.
  // Returns false once the run has ended; result() then says how.
  bool advance();
  const RunResult& result() const;
  // The next advance() writes a checkpoint and ends the run as Interrupted, as on SIGTERM.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Trains runs with up to `slots` at once, advanced in turn from this thread (each RunDriver
// enqueues on its own CUDA stream, so one run's kernels execute while the next run's launch).
// `next()` returns the next run to start: a std::unique_ptr<Run>, Run having a member
// `std::unique_ptr<RunDriver> driver`, or nullptr when none is left; `ended(run)` is called
// once its driver has ended. When a run or next() throws, every other active run is stopped as
// on SIGTERM (it writes its checkpoint and ends Interrupted; `ended` is called) before the error
// propagates: one failing run loses no other run's work.
template <class Run, class Next, class Ended>
void interleave_runs(std::size_t slots, Next&& next, Ended&& ended) {
  std::vector<std::unique_ptr<Run>> active;
  bool more = true;
  const Run* failing = nullptr;
  try {
    while (true) {
      while (more && active.size() < slots) {
        std::unique_ptr<Run> run = next();
        more = run != nullptr;
        if (run) active.push_back(std::move(run));
      }
      if (active.empty()) return;
      for (auto it = active.begin(); it != active.end();) {
        failing = it->get();
        const bool going = (*it)->driver->advance();
        if (!going) ended(**it);
        failing = nullptr;
        it = going ? it + 1 : active.erase(it);
      }
    }
  } catch (...) {
    const std::exception_ptr error = std::current_exception();
    for (auto& run : active) {
      if (run.get() == failing) continue;
      try {
        run->driver->stop();
        while (run->driver->advance()) {
        }
        ended(*run);
      } catch (...) {  // the first error is the one to report
      }
    }
    std::rethrow_exception(error);
  }
}

// A RunDriver advanced until the run ends.
RunResult train_run(const RunSpec& spec, const data::BenchmarkData& data, const c10::Device& device,
                    const RunPaths& paths, const TrainHooks& hooks);

}  // namespace natsbench::train
