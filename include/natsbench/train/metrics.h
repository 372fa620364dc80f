#pragma once
// Epoch metrics exactly as docs/training.md §5.9, combined on the host in double from per-batch
// values (top-k of a batch = float32(count) * float32(100 / B), epoch value = the
// sample-weighted mean of the batch values). Torch-free: records and collect use these structs;
// the device side that gathers the batch values is metric_accumulator.h.
#include <cstdint>
#include <vector>

namespace natsbench::train {

struct EpochMetrics {
  double loss = 0, top1 = 0, top5 = 0;  // loss averaged over samples; top-k in percent
  std::int64_t images = 0;
  double seconds = 0;
  bool finite = true;  // false when a batch loss was NaN or infinite
};

// Host-side per-batch values, kept in checkpoints so that an interrupted epoch resumes exactly.
struct BatchStats {
  std::vector<float> loss;
  std::vector<std::int64_t> correct1, correct5, size;
};

// Combines batches as §5.9 prescribes; `seconds` is copied into the result.
EpochMetrics combine(const BatchStats& stats, double seconds);

// The top-k accuracy term of one batch, float32 as the reference computes it.
float batch_accuracy(std::int64_t correct, std::int64_t batch_size);

}  // namespace natsbench::train
