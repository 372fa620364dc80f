#include "natsbench/train/metric_accumulator.h"

#include <ATen/ATen.h>

#include <algorithm>

namespace natsbench::train {

MetricAccumulator::MetricAccumulator(std::int64_t batches, const c10::Device& device) {
  const auto on = at::TensorOptions().device(device);
  loss_ = at::zeros({batches}, on.dtype(at::kFloat));
  correct_ = at::zeros({batches, 2}, on.dtype(at::kLong));
  cursor_ = at::zeros({1}, on.dtype(at::kLong));
  sizes_.assign(static_cast<std::size_t>(batches), 0);
}

namespace {

// [2] int64: how many samples have their label first, and among the first five, in `logits`.
at::Tensor correct_counts(const at::Tensor& logits, const at::Tensor& labels) {
  const std::int64_t k = std::min<std::int64_t>(5, logits.size(1));
  const at::Tensor top = std::get<1>(logits.topk(k, 1, /*largest=*/true, /*sorted=*/true));
  const at::Tensor hit = top.eq(labels.view({-1, 1}));
  return at::stack({hit.select(1, 0).sum(), hit.sum()});
}

}  // namespace

void MetricAccumulator::add(std::int64_t index, const at::Tensor& loss, const at::Tensor& logits,
                            const at::Tensor& labels) {
  loss_[index].copy_(loss.detach(), /*non_blocking=*/true);
  correct_[index].copy_(correct_counts(logits, labels), true);
  sizes_.at(static_cast<std::size_t>(index)) = labels.size(0);
}

void MetricAccumulator::add_next(const at::Tensor& loss, const at::Tensor& logits,
                                 const at::Tensor& labels) {
  loss_.index_copy_(0, cursor_, loss.detach().view({1}));
  correct_.index_copy_(0, cursor_, correct_counts(logits, labels).view({1, 2}));
  cursor_.add_(1);
}

void MetricAccumulator::set_size(std::int64_t index, std::int64_t batch_size) {
  sizes_.at(static_cast<std::size_t>(index)) = batch_size;
}

void MetricAccumulator::rewind() {
  cursor_.zero_();
}

BatchStats MetricAccumulator::read(std::int64_t first, std::int64_t end) const {
  const std::int64_t count = end - first;
  const at::Tensor loss = loss_.slice(0, first, end).cpu().contiguous();
  const at::Tensor correct = correct_.slice(0, first, end).cpu().contiguous();
  BatchStats s;
  const float* l = loss.data_ptr<float>();
  const std::int64_t* c = correct.data_ptr<std::int64_t>();
  for (std::int64_t i = 0; i < count; ++i) {
    s.loss.push_back(l[i]);
    s.correct1.push_back(c[2 * i]);
    s.correct5.push_back(c[2 * i + 1]);
    s.size.push_back(sizes_[static_cast<std::size_t>(first + i)]);
  }
  return s;
}

}  // namespace natsbench::train
