// The data pipeline: transforms of docs/training.md §2 as batched ops, §9.3 values, batching
// and seeded shuffling of §4/§5.4.
#include <ATen/ATen.h>

#include <catch2/catch.hpp>
#include <set>

#include "natsbench/data/benchmark_data.h"
#include "natsbench/data/pipeline.h"

namespace data = natsbench::data;

namespace {

data::ImageSet numbered_set(std::int64_t n, int side) {
  // Image i: every byte = i % 251 + 1 in channel 0, distinct per position elsewhere.
  data::ImageSet s;
  s.images = at::arange(n * 3 * side * side, at::kLong)
                 .remainder(253)
                 .add(1)
                 .to(at::kByte)
                 .view({n, 3, side, side});
  s.images.select(1, 0).fill_(0);
  for (std::int64_t i = 0; i < n; ++i) s.images[i][0].fill_(i % 251 + 1);
  s.labels = at::arange(n, at::kLong);
  return s;
}

}  // namespace

TEST_CASE("normalisation constants and normalised 0 / 255 bytes (docs/training.md §9.3)",
          "[data]") {
  const auto n10 = data::source_info(data::Source::Cifar10).norm;
  CHECK(n10.mean[0] == 0.4913725490196078);
  CHECK(n10.std[2] == 0.2615686274509804);
  CHECK(data::source_info(data::Source::Cifar100).norm.mean[1] == 0.48666666666666664);
  CHECK(data::source_info(data::Source::ImageNet16).norm.std[0] == 0.247921568627451);
  struct Row {
    data::Source source;
    std::array<float, 3> zero, full;
  };
  const Row rows[] = {
      {data::Source::Cifar10,
       {-1.98888886f, -1.98067641f, -1.70764613f},
       {2.05873013f, 2.12560368f, 2.11544228f}},
      {data::Source::Cifar100,
       {-1.89589429f, -1.89755356f, -1.59659088f},
       {1.84310853f, 2.00152898f, 2.02556801f}},
      {data::Source::ImageNet16,
       {-1.94052505f, -1.90434217f, -1.59794140f},
       {2.09300852f, 2.25824356f, 2.31971121f}},
  };
  for (const auto& r : rows) {
    at::Tensor img = at::zeros({2, 3, 1, 1}, at::kByte);
    img[1].fill_(255);
    const at::Tensor v = data::to_float_normalize(img, data::source_info(r.source).norm);
    CHECK(v.dtype() == at::kFloat);
    for (int c = 0; c < 3; ++c) {
      // float32 arithmetic; docs/training.md §9.3 prints 9 significant digits.
      CHECK(v[0][c][0][0].item<float>() == Approx(r.zero[c]).epsilon(2e-7));
      CHECK(v[1][c][0][0].item<float>() == Approx(r.full[c]).epsilon(2e-7));
    }
  }
}

TEST_CASE("random flip and crop: each output is a flipped-or-not crop of the zero-padded image",
          "[data]") {
  const int side = 8, pad = 2;
  const auto set = numbered_set(64, side);
  at::Generator gen = data::make_generator(at::kCPU, 5);
  const at::Tensor flipped = data::random_flip(set.images, gen);
  const at::Tensor out = data::random_crop(flipped, pad, gen);
  REQUIRE(out.sizes() == set.images.sizes());
  REQUIRE(out.dtype() == at::kByte);
  int flips = 0, moved = 0;
  std::set<std::pair<int, int>> offsets;
  for (std::int64_t i = 0; i < 64; ++i) {
    const at::Tensor src = set.images[i];
    const bool f = at::equal(flipped[i], src.flip({2}));
    CHECK((f || at::equal(flipped[i], src)));
    flips += f;
    const at::Tensor padded = at::constant_pad_nd(flipped[i], {pad, pad, pad, pad}, 0);
    bool found = false;
    for (int top = 0; top <= 2 * pad && !found; ++top) {
      for (int left = 0; left <= 2 * pad && !found; ++left) {
        if (at::equal(out[i], padded.slice(1, top, top + side).slice(2, left, left + side))) {
          found = true;
          offsets.insert({top, left});
          moved += top != pad || left != pad;
        }
      }
    }
    CHECK(found);
  }
  CHECK(flips > 16);
  CHECK(flips < 48);
  CHECK(moved > 40);
  CHECK(offsets.size() > 10);  // offsets spread over the 5 x 5 grid
  // Same seed, same result; another seed, another result.
  at::Generator again = data::make_generator(at::kCPU, 5);
  CHECK(at::equal(data::random_crop(data::random_flip(set.images, again), pad, again), out));
  at::Generator other = data::make_generator(at::kCPU, 6);
  CHECK_FALSE(at::equal(data::random_crop(data::random_flip(set.images, other), pad, other), out));
}

TEST_CASE("batching: 256 per batch, last partial batch kept, docs/training.md §4 counts",
          "[data]") {
  struct Case {
    std::int64_t n, batches, last;
  };
  for (const Case c :
       {Case{25000, 98, 168}, Case{50000, 196, 80}, Case{151700, 593, 148}, Case{10000, 40, 16},
        Case{5000, 20, 136}, Case{6000, 24, 112}, Case{3000, 12, 184}}) {
    data::ImageSet s{at::zeros({c.n, 3, 1, 1}, at::kByte), at::arange(c.n, at::kLong)};
    data::TensorBatches b(s, at::kCPU, 256, true, 1);
    CHECK(b.size() == c.batches);
    CHECK(b.get(0).labels.size(0) == 256);
    CHECK(b.get(c.batches - 1).labels.size(0) == c.last);
  }
}

TEST_CASE("shuffling: a permutation per epoch, seeded, natural order for ori-test", "[data]") {
  const auto set = numbered_set(1000, 4);
  data::TensorBatches a(set, at::kCPU, 256, true, 7), b(set, at::kCPU, 256, true, 7);
  const auto epoch_labels = [](data::TensorBatches& t) {
    std::vector<at::Tensor> parts;
    for (std::int64_t i = 0; i < t.size(); ++i) parts.push_back(t.get(i).labels);
    return at::cat(parts);
  };
  const at::Tensor e0 = epoch_labels(a);
  CHECK(at::equal(std::get<0>(e0.sort()), at::arange(1000, at::kLong)));  // a permutation
  CHECK_FALSE(at::equal(e0, at::arange(1000, at::kLong)));
  CHECK(at::equal(e0, epoch_labels(b)));  // same seed, same order
  a.set_epoch(1);
  const at::Tensor e1 = epoch_labels(a);
  CHECK_FALSE(at::equal(e0, e1));
  a.set_epoch(0);
  CHECK(at::equal(e0, epoch_labels(a)));  // an epoch is reproducible on its own
  // Images travel with their labels.
  const auto batch = a.get(1);
  for (int i = 0; i < 5; ++i) {
    const std::int64_t l = batch.labels[i].item<std::int64_t>();
    CHECK(at::equal(batch.images[i], set.images[l]));
  }
  data::TensorBatches seq(set, at::kCPU, 256, false, 7);
  CHECK(at::equal(epoch_labels(seq), at::arange(1000, at::kLong)));
}

TEST_CASE("loaders of a benchmark dataset: augmented training batches, plain eval batches",
          "[data]") {
  data::BenchmarkData d;
  d.name = "cifar10";
  d.num_classes = 10;
  d.input_shape = {3, 32, 32};
  d.pad = 4;
  d.norm = data::source_info(data::Source::Cifar10).norm;
  d.train = numbered_set(300, 32);
  d.eval_sets.emplace_back("ori-test", numbered_set(100, 32));
  d.eval_sets.emplace_back("x-valid", numbered_set(50, 32));

  auto train = data::make_train_loader(d, at::kCPU, 3);
  CHECK(train->size() == 2);
  const data::Batch b = train->get(1);
  CHECK(b.images.dtype() == at::kFloat);
  CHECK(b.images.sizes() == at::IntArrayRef({44, 3, 32, 32}));
  // Padding appears as -mean/std somewhere in an augmented batch (black before normalising).
  CHECK((b.images.select(1, 0) == b.images.select(1, 0).min()).any().item<bool>());
  CHECK(b.images.min().item<float>() == Approx(-1.98888886f).epsilon(1e-6));
  // Deterministic for a seed; epochs differ.
  auto again = data::make_train_loader(d, at::kCPU, 3);
  CHECK(at::equal(again->get(1).images, b.images));
  again->set_epoch(1);
  CHECK_FALSE(at::equal(again->get(1).images, b.images));
  // A batch does not depend on which batches were drawn before it (resuming mid-epoch).
  const at::Tensor second = again->get(1).images;
  auto fresh = data::make_train_loader(d, at::kCPU, 3);
  fresh->set_epoch(1);
  CHECK(at::equal(fresh->get(1).images, second));
  fresh->get(0);
  CHECK(at::equal(fresh->get(1).images, second));

  auto test = data::make_eval_loader(d, "ori-test", at::kCPU, 3);
  CHECK(test->size() == 1);
  const data::Batch t = test->get(0);
  CHECK(at::equal(t.labels, at::arange(100, at::kLong)));  // natural order
  CHECK(at::allclose(t.images, data::to_float_normalize(d.eval_set("ori-test").images, d.norm)));
  auto xv = data::make_eval_loader(d, "x-valid", at::kCPU, 3);
  const data::Batch v = xv->get(0);
  CHECK(at::equal(std::get<0>(v.labels.sort()), at::arange(50, at::kLong)));
  for (int i = 0; i < 3; ++i) {  // no augmentation: each image is its own normalised source
    const std::int64_t l = v.labels[i].item<std::int64_t>();
    CHECK(at::equal(v.images[i], data::to_float_normalize(
                                     d.eval_set("x-valid").images[l].unsqueeze(0), d.norm)[0]));
  }
}
