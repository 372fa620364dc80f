#include "natsbench/train/fast_step.h"

#include <ATen/ATen.h>
#include <torch/nn/functional/loss.h>

#include <string>

#include "natsbench/train/cuda_graph.h"
#include "natsbench/train/hyper_params.h"
#include "natsbench/util/error.h"

namespace natsbench::train {

namespace {

FastStepOptions checked(FastStepOptions options, const c10::Device& device) {
  if (options.graph) {
    if (!device.is_cuda()) throw ArgError("CUDA graphs need a CUDA device, not " + device.str());
    if (options.eager_steps < 1)
      throw ArgError("CUDA graph capture needs at least one eager step before it");
    options.lr_source = LrSource::Device;
  }
  return options;
}

std::vector<at::Tensor> parameters_of(model::CellNetwork& net) {
  return net->parameters();
}

// Copies a batch into the static buffers a graph reads (allocated from the first full batch,
// with its dtype and memory format).
void stage(const data::Batch& batch, at::Tensor& images, at::Tensor& labels) {
  if (!images.defined()) {
    images = at::empty_like(batch.images);
    labels = at::empty_like(batch.labels);
  }
  images.copy_(batch.images, /*non_blocking=*/true);
  labels.copy_(batch.labels, /*non_blocking=*/true);
}

void check_room(std::int64_t recorded, std::int64_t rows, const char* what) {
  if (recorded >= rows)
    throw Error(std::string(what) + ": " + std::to_string(rows) +
                " metric rows are full; rewind() before the next epoch");
}

}  // namespace

GraphedStep::GraphedStep(std::int64_t batch_size, const FastStepOptions& options)
    : batch_size_(batch_size), options_(options) {}

GraphedStep::~GraphedStep() = default;

void GraphedStep::step(const data::Batch& batch, const Body& body,
                       const std::function<void()>& before_capture) {
  const std::int64_t b = batch.labels.size(0);
  if (b != batch_size_ || !options_.graph) {
    body(batch.images, batch.labels);
  } else if (graph_) {
    stage(batch, static_images_, static_labels_);
    graph_->replay();
  } else if (full_steps_ < options_.eager_steps) {
    body(batch.images, batch.labels);
  } else {
    if (before_capture) before_capture();
    stage(batch, static_images_, static_labels_);
    graph_ = std::make_unique<CapturedGraph>([&] { body(static_images_, static_labels_); });
    graph_->replay();  // capturing recorded the step without running it
  }
  if (b == batch_size_) ++full_steps_;
}

FastTrainStep::FastTrainStep(model::CellNetwork net, const HyperParams& hp,
                             const c10::Device& device, std::int64_t batch_size, std::int64_t rows,
                             const FastStepOptions& options)
    : net_(std::move(net)),
      sgd_(parameters_of(net_), hp, device, checked(options, device).lr_source),
      metrics_(rows, device),
      graphed_(batch_size, checked(options, device)) {}

FastTrainStep::~FastTrainStep() = default;

void FastTrainStep::run(const at::Tensor& images, const at::Tensor& labels) {
  sgd_.zero_grad();
  const auto [features, logits] = net_->forward(images);
  const at::Tensor loss = torch::nn::functional::cross_entropy(logits, labels);
  loss.backward();
  sgd_.step();
  at::NoGradGuard no_grad;
  metrics_.add_next(loss, logits.detach(), labels);
}

void FastTrainStep::step(const data::Batch& batch) {
  check_room(recorded_, metrics_.rows(), "training step");
  net_->train();
  graphed_.step(
      batch, [this](const at::Tensor& images, const at::Tensor& labels) { run(images, labels); },
      [this] {
        if (!sgd_.ready_for_capture())
          throw Error("training step capture: a momentum buffer is missing after the eager steps");
      });
  metrics_.set_size(recorded_++, batch.labels.size(0));
}

void FastTrainStep::rewind() {
  metrics_.rewind();
  recorded_ = 0;
}

FastEvalStep::FastEvalStep(model::CellNetwork net, const c10::Device& device,
                           std::int64_t batch_size, std::int64_t rows,
                           const FastStepOptions& options)
    : net_(std::move(net)),
      metrics_(rows, device),
      graphed_(batch_size, checked(options, device)) {}

FastEvalStep::~FastEvalStep() = default;

void FastEvalStep::run(const at::Tensor& images, const at::Tensor& labels) {
  at::NoGradGuard no_grad;
  const auto [features, logits] = net_->forward(images);
  metrics_.add_next(torch::nn::functional::cross_entropy(logits, labels), logits, labels);
}

void FastEvalStep::step(const data::Batch& batch) {
  check_room(recorded_, metrics_.rows(), "evaluation step");
  net_->eval();
  graphed_.step(
      batch, [this](const at::Tensor& images, const at::Tensor& labels) { run(images, labels); });
  metrics_.set_size(recorded_++, batch.labels.size(0));
}

void FastEvalStep::rewind() {
  metrics_.rewind();
  recorded_ = 0;
}

}  // namespace natsbench::train
