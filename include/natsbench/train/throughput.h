#pragma once
// `natsbench bench train`: how fast one candidate trains and evaluates at batch 256 on synthetic
// uint8 data of a benchmark dataset's shape (the pipeline and the network do the same work on it
// as on real data), on the plain path (trainer.h: torch::optim::SGD, eager) or the fast path
// (fast_step.h: the graph-safe step, eager or replayed as CUDA graphs), with `concurrent`
// independent runs (own network, optimizer, data order and stream) stepped round-robin from one
// host thread. Timing synchronises the device only before and after the timed steps.
#include <c10/core/Device.h>

#include <cstdint>
#include <map>
#include <string>

#include "natsbench/space/arch.h"

namespace natsbench::train {

enum class StepPath { Plain, GraphSafe };

struct ThroughputOptions {
  ArchConfig arch;
  std::string dataset = "cifar10";
  c10::Device device{c10::kCPU};
  StepPath path = StepPath::Plain;
  bool graph = false;          // CUDA graphs (GraphSafe on a CUDA device only)
  bool channels_last = false;  // network and batches in channels-last memory format
  std::int64_t steps = 10;     // timed training steps per run, and as many evaluation steps
  // Untimed steps first (per run, training and evaluation each); with graphs they include the
  // eager warm-up steps and the capture, so at least kGraphEagerSteps + 1.
  std::int64_t warmup = 5;
  int concurrent = 1;
  std::int64_t profile_steps = 3;  // plain path: steps re-run with a sync after every phase
};

inline constexpr int kGraphEagerSteps = 3;

struct ThroughputResult {
  std::int64_t batch_size = 256;
  std::int64_t train_images = 0, eval_images = 0;  // timed, all runs together
  double train_seconds = 0, eval_seconds = 0;      // wall time of those steps
  bool finite = true;                              // every timed training loss was finite
  double first_loss = 0, last_loss = 0;            // run 0's first and last timed training step
  std::map<std::string, double> profile;           // plain path: phase -> fraction of a step
  double train_images_per_second() const { return train_images / train_seconds; }
  double eval_images_per_second() const { return eval_images / eval_seconds; }
};

// Throws ArgError for inconsistent options (graphs on the CPU or with the plain path, too few
// warm-up steps for a capture, non-positive counts).
void check_throughput_options(const ThroughputOptions& options);
ThroughputResult measure_throughput(const ThroughputOptions& options);

}  // namespace natsbench::train
