#pragma once
// Epoch metrics exactly as spec/training.md §5.9, without a host-device synchronisation per batch:
// each batch's mean loss (float32) and top-1/top-5 correct counts are written into per-epoch
// tensors on the device, read back once at the end of the epoch, and combined on the host in
// double (top-k of a batch = float32(count) * float32(100 / B), epoch value = the sample-weighted
// mean of the batch values).
#include <ATen/core/Tensor.h>

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

class MetricAccumulator {
 public:
  MetricAccumulator() = default;
  // Room for `batches` batches on `device`.
  MetricAccumulator(std::int64_t batches, const c10::Device& device);
  // Records batch `index`: `loss` is the batch's mean loss (a 0-dim tensor), `logits` [B, K].
  void add(std::int64_t index, const at::Tensor& loss, const at::Tensor& logits,
           const at::Tensor& labels);
  // Copies the batches [first, end) to the host (one synchronisation).
  BatchStats read(std::int64_t first, std::int64_t end) const;

  // The form of add() a CUDA graph can replay: the row is held by a cursor on the device, which
  // the call advances, so N replays fill N successive rows without the host. The host records
  // each batch's size with set_size() (the graph cannot).
  void add_next(const at::Tensor& loss, const at::Tensor& logits, const at::Tensor& labels);
  void set_size(std::int64_t index, std::int64_t batch_size);
  void rewind();  // the cursor back to row 0 (a device op, no synchronisation)
  std::int64_t rows() const { return static_cast<std::int64_t>(sizes_.size()); }

 private:
  at::Tensor loss_, correct_;        // on the device: [batches] float32, [batches, 2] int64
  at::Tensor cursor_;                // on the device: [1] int64, the row add_next() writes
  std::vector<std::int64_t> sizes_;  // batch sizes are known on the host
};

// Combines batches as §5.9 prescribes; `seconds` is copied into the result.
EpochMetrics combine(const BatchStats& stats, double seconds);

// The top-k accuracy term of one batch, float32 as the reference computes it.
float batch_accuracy(std::int64_t correct, std::int64_t batch_size);

}  // namespace natsbench::train
