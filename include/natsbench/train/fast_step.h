#pragma once
// The training and evaluation steps of the fast path (docs/performance.md). A training step is
// zero grad, forward, cross-entropy, backward, the GraphSafeSgd update and the batch's metrics
// written into device tensors; an evaluation step is forward, loss and metrics without gradients.
// Both run eagerly, or (CUDA) are captured once as a CUDA graph that later full batches replay
// with one launch: the batch is copied into static input buffers, the metrics land in the next
// row of a MetricAccumulator through its device-side cursor, and nothing synchronises the host.
//
// Protocol as the plain path (trainer.h): batch 256, SGD Nesterov, weight decay on every
// parameter, the learning rate set per epoch with set_lr(), the same metrics (§5.9). With
// LrSource::Host the eager step gives the plain path's bits on the CPU (tests/train).
#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <cstdint>
#include <functional>
#include <memory>

#include "natsbench/data/pipeline.h"
#include "natsbench/model/network.h"
#include "natsbench/train/graph_safe_sgd.h"
#include "natsbench/train/metric_accumulator.h"

namespace natsbench::train {

struct HyperParams;
class CapturedGraph;

struct FastStepOptions {
  // Capture the step as a CUDA graph after `eager_steps` full batches ran eagerly (cuDNN and
  // cuBLAS initialise lazily, backward allocates the gradients, the first SGD update creates the
  // momentum buffers: none of that can be captured). Needs a CUDA device and a side stream as
  // the current stream (cuda_graph.h); forces LrSource::Device.
  bool graph = false;
  int eager_steps = 3;
  LrSource lr_source = LrSource::Host;
};

// What the training and evaluation steps share: a step body run eagerly, or captured as a CUDA
// graph after options.eager_steps full batches and replayed from static input buffers.
class GraphedStep {
 public:
  using Body = std::function<void(const at::Tensor& images, const at::Tensor& labels)>;
  GraphedStep(std::int64_t batch_size, const FastStepOptions& options);
  ~GraphedStep();
  GraphedStep(const GraphedStep&) = delete;
  GraphedStep& operator=(const GraphedStep&) = delete;

  // Runs `body` on the batch, eagerly or through the graph; `before_capture` runs (and may
  // throw) just before the capture.
  void step(const data::Batch& batch, const Body& body,
            const std::function<void()>& before_capture = {});
  bool captured() const { return graph_ != nullptr; }

 private:
  std::int64_t batch_size_;
  FastStepOptions options_;
  std::int64_t full_steps_ = 0;
  at::Tensor static_images_, static_labels_;
  std::unique_ptr<CapturedGraph> graph_;
};

// Streams: every call enqueues on the current stream. Construct the step, then synchronise the
// device (or construct it on the stream that steps it) before stepping on a side stream; call
// set_lr() and rewind() on that stream too.
class FastTrainStep {
 public:
  // `net` is on `device`; `rows` = steps recorded between rewinds (batches per epoch).
  FastTrainStep(model::CellNetwork net, const HyperParams& hp, const c10::Device& device,
                std::int64_t batch_size, std::int64_t rows, const FastStepOptions& options);
  ~FastTrainStep();
  FastTrainStep(const FastTrainStep&) = delete;
  FastTrainStep& operator=(const FastTrainStep&) = delete;

  void set_lr(double lr) { sgd_.set_lr(lr); }
  // One training step on an augmented, normalised batch. A batch of another size than
  // `batch_size` (the last, partial batch of an epoch) runs eagerly.
  void step(const data::Batch& batch);
  // The metrics of the steps since the last rewind (one synchronisation).
  BatchStats read() const { return metrics_.read(0, recorded_); }
  void rewind();
  std::int64_t recorded() const { return recorded_; }
  bool captured() const { return graphed_.captured(); }
  GraphSafeSgd& optimizer() { return sgd_; }

 private:
  void run(const at::Tensor& images, const at::Tensor& labels);

  model::CellNetwork net_;
  GraphSafeSgd sgd_;
  MetricAccumulator metrics_;
  std::int64_t recorded_ = 0;
  GraphedStep graphed_;
};

class FastEvalStep {
 public:
  FastEvalStep(model::CellNetwork net, const c10::Device& device, std::int64_t batch_size,
               std::int64_t rows, const FastStepOptions& options);
  ~FastEvalStep();
  FastEvalStep(const FastEvalStep&) = delete;
  FastEvalStep& operator=(const FastEvalStep&) = delete;

  void step(const data::Batch& batch);
  BatchStats read() const { return metrics_.read(0, recorded_); }
  void rewind();
  std::int64_t recorded() const { return recorded_; }
  bool captured() const { return graphed_.captured(); }

 private:
  void run(const at::Tensor& images, const at::Tensor& labels);

  model::CellNetwork net_;
  MetricAccumulator metrics_;
  std::int64_t recorded_ = 0;
  GraphedStep graphed_;
};

}  // namespace natsbench::train
