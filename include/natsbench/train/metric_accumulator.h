#pragma once
// Gathers an epoch's per-batch values without a host-device synchronisation per batch: each
// batch's mean loss (float32) and top-1/top-5 correct counts are written into per-epoch tensors
// on the device and read back once at the end of the epoch (metrics.h combines them).
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "natsbench/train/metrics.h"

namespace natsbench::train {

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

}  // namespace natsbench::train
