#include "natsbench/train/metrics.h"

#include <cmath>

#include "natsbench/util/error.h"

namespace natsbench::train {

float batch_accuracy(std::int64_t correct, std::int64_t batch_size) {
  const float per_image = static_cast<float>(100.0 / static_cast<double>(batch_size));
  return static_cast<float>(correct) * per_image;
}

EpochMetrics combine(const BatchStats& stats, double seconds) {
  EpochMetrics m;
  m.seconds = seconds;
  double loss = 0, top1 = 0, top5 = 0;
  for (std::size_t i = 0; i < stats.loss.size(); ++i) {
    const std::int64_t b = stats.size[i];
    const auto weight = static_cast<double>(b);
    if (!std::isfinite(stats.loss[i])) m.finite = false;
    loss += static_cast<double>(stats.loss[i]) * weight;
    top1 += static_cast<double>(batch_accuracy(stats.correct1[i], b)) * weight;
    top5 += static_cast<double>(batch_accuracy(stats.correct5[i], b)) * weight;
    m.images += b;
  }
  if (m.images > 0) {
    const auto n = static_cast<double>(m.images);
    m.loss = loss / n;
    m.top1 = top1 / n;
    m.top5 = top5 / n;
  }
  return m;
}

}  // namespace natsbench::train
