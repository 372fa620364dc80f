// Epoch metrics of docs/training.md §5.9, including the official sample's values (§9.5).
#include <ATen/ATen.h>

#include <catch2/catch.hpp>

#include "natsbench/train/metric_accumulator.h"

namespace train = natsbench::train;

namespace {

// 97 batches of 256 and one of 168 (cifar10-valid's 25 000 training images) with `total`
// correct, `last` of them in the final batch.
train::BatchStats cifar10_valid_epoch(std::int64_t total, std::int64_t last) {
  train::BatchStats s;
  std::int64_t left = total - last;
  for (int b = 0; b < 97; ++b) {
    const std::int64_t c = std::min<std::int64_t>(left, 256);
    s.correct1.push_back(c);
    s.correct5.push_back(c);
    s.loss.push_back(1.5f);
    s.size.push_back(256);
    left -= c;
  }
  REQUIRE(left == 0);
  s.correct1.push_back(last);
  s.correct5.push_back(last);
  s.loss.push_back(1.5f);
  s.size.push_back(168);
  return s;
}

}  // namespace

TEST_CASE("top-k of a batch is float32(count) * float32(100 / B)", "[train]") {
  int differs_from_double = 0;
  for (std::int64_t c = 0; c <= 168; ++c) {
    const float expected = static_cast<float>(c) * static_cast<float>(100.0 / 168.0);
    CHECK(train::batch_accuracy(c, 168) == expected);
    differs_from_double += static_cast<float>(static_cast<double>(c) * (100.0 / 168.0)) != expected;
  }
  CHECK(differs_from_double ==
        16);  // docs/training.md §5.9: the double product differs for 16 counts
  CHECK(train::batch_accuracy(100, 256) == 39.0625f);
}

TEST_CASE("epoch values reproduce the official sample file bit for bit (docs/training.md §9.5)",
          "[train]") {
  // tss arch 0, cifar10-valid, hp 12, seed 777, epoch 0: 7 043 / 25 000 correct (top-1) and
  // 20 574 (top-5); the official values hold for several splits of the counts over the batches.
  CHECK(train::combine(cifar10_valid_epoch(7043, 59), 0).top1 == 28.172000009765625);
  CHECK(train::combine(cifar10_valid_epoch(20574, 67), 0).top1 == 82.29599999023438);
  CHECK(train::combine(cifar10_valid_epoch(7043, 60), 0).top1 != 28.172000009765625);
}

TEST_CASE("epoch loss is the sample-weighted mean of float32 batch losses", "[train]") {
  train::BatchStats s;
  s.loss = {2.0f, 1.0f};
  s.correct1 = {10, 4};
  s.correct5 = {20, 8};
  s.size = {30, 10};
  const train::EpochMetrics m = train::combine(s, 3.5);
  CHECK(m.loss == (2.0 * 30 + 1.0 * 10) / 40);
  CHECK(m.images == 40);
  CHECK(m.seconds == 3.5);
  CHECK(m.finite);
  CHECK(m.top1 == (static_cast<double>(train::batch_accuracy(10, 30)) * 30 +
                   static_cast<double>(train::batch_accuracy(4, 10)) * 10) /
                      40);
  s.loss[1] = std::numeric_limits<float>::quiet_NaN();
  CHECK_FALSE(train::combine(s, 0).finite);
}

TEST_CASE("the device accumulator counts top-1 / top-5 hits per batch", "[train]") {
  train::MetricAccumulator acc(2, at::kCPU);
  // 3 images, 6 classes; labels 0, 5, 2.
  const at::Tensor logits = at::tensor({0.9f, 0.1f, 0.2f, 0.3f, 0.4f, 0.5f,   // top-1 = 0: hit
                                        0.9f, 0.8f, 0.7f, 0.6f, 0.5f, 0.0f,   // 5 last: miss
                                        0.1f, 0.9f, 0.8f, 0.0f, 0.0f, 0.0f})  // 2 second: top-5
                                .view({3, 6});
  const at::Tensor labels = at::tensor({0, 5, 2}, at::kLong);
  acc.add(1, at::scalar_tensor(0.75f), logits, labels);
  const train::BatchStats s = acc.read(1, 2);
  REQUIRE(s.loss.size() == 1);
  CHECK(s.loss[0] == 0.75f);
  CHECK(s.correct1[0] == 1);
  CHECK(s.correct5[0] == 2);
  CHECK(s.size[0] == 3);
}
