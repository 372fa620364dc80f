// Dataset readers, fake data and the four benchmark datasets (docs/training.md §1, §4).
#include <ATen/ATen.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "data_test_util.h"
#include "natsbench/data/benchmark_data.h"
#include "natsbench/data/datasets.h"
#include "natsbench/data/fake_data.h"
#include "natsbench/data/splits.h"
#include "natsbench/io/pickle.h"
#include "natsbench/util/atomic_file.h"
#include "natsbench/util/error.h"

namespace data = natsbench::data;
using Catch::Matchers::Contains;
using natsbench::testing::TempDir;

namespace {

// The pattern of write_fixtures.py: pixel (i * 7 + j * 3 + salt) % 256 at flat position j.
at::Tensor expected_images(std::int64_t n, int side, std::int64_t salt) {
  const std::int64_t row = 3LL * side * side;
  const at::Tensor i = at::arange(n, at::kLong).view({n, 1});
  const at::Tensor j = at::arange(row, at::kLong).view({1, row});
  return (i * 7 + j * 3 + salt).remainder(256).to(at::kByte).view({n, 3, side, side});
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("readers: fixtures written by CPython + NumPy (Python-2 and Python-3 pickles, binary)",
          "[data]") {
  TempDir dir("py");
  if (!natsbench::testing::write_python_fixtures(dir.str())) {
    WARN("/usr/bin/python3 with NumPy is unavailable: skipping the independent-writer fixtures");
    return;
  }
  SECTION("CIFAR-10 python layout (byte-string keys) equals the binary layout") {
    const auto py = data::read_source(data::Source::Cifar10, dir.str());
    CHECK(py.layout == "python");
    REQUIRE(py.train.size() == 100);
    REQUIRE(py.test.size() == 30);
    CHECK(py.train.images.sizes() == at::IntArrayRef({100, 3, 32, 32}));
    CHECK(py.train.images.dtype() == at::kByte);
    CHECK(py.train.labels.dtype() == at::kLong);
    for (int k = 1; k <= 5; ++k) {
      CHECK(at::equal(py.train.images.slice(0, (k - 1) * 20, k * 20), expected_images(20, 32, k)));
      CHECK(py.train.labels[(k - 1) * 20 + 3].item<std::int64_t>() == (3 * 3 + k) % 10);
    }
    CHECK(at::equal(py.test.images, expected_images(30, 32, 0)));
    // Planar layout: byte c*1024 + y*32 + x of the row is channel c, row y, column x.
    CHECK(py.train.images[0][1][2][5].item<int>() == (0 * 7 + (1024 + 2 * 32 + 5) * 3 + 1) % 256);

    std::filesystem::rename(dir.path() / "cifar-10-batches-py", dir.path() / "py-hidden");
    const auto bin = data::read_source(data::Source::Cifar10, dir.str());
    CHECK(bin.layout == "binary");
    CHECK(at::equal(bin.train.images, py.train.images));
    CHECK(at::equal(bin.train.labels, py.train.labels));
    CHECK(at::equal(bin.test.images, py.test.images));
    CHECK(at::equal(bin.test.labels, py.test.labels));
  }
  SECTION("CIFAR-100 uses fine_labels") {
    const auto d = data::read_source(data::Source::Cifar100, dir.str());
    REQUIRE(d.train.size() == 40);
    CHECK(d.num_classes == 100);
    CHECK(at::equal(d.train.images, expected_images(40, 32, 11)));
    CHECK(d.train.labels[5].item<std::int64_t>() == (5 * 7 + 11) % 100);
    CHECK(d.test.labels[19].item<std::int64_t>() == (19 * 7 + 12) % 100);
  }
  SECTION("ImageNet16: 1-based labels, the 120-class subset in order, target = label - 1") {
    const auto d = data::read_source(data::Source::ImageNet16, dir.str());
    // Expected: every (file k, image i) with label 1 + (13 i + 20 + k) % 200 <= 120.
    std::vector<std::int64_t> labels;
    std::vector<at::Tensor> imgs;
    for (int k = 1; k <= 10; ++k) {
      const at::Tensor all = expected_images(12, 16, 20 + k);
      for (int i = 0; i < 12; ++i) {
        const std::int64_t l = 1 + (i * 13 + 20 + k) % 200;
        if (l <= 120) {
          labels.push_back(l - 1);
          imgs.push_back(all[i]);
        }
      }
    }
    REQUIRE(d.train.size() == static_cast<std::int64_t>(labels.size()));
    CHECK(at::equal(d.train.labels, at::tensor(labels, at::kLong)));
    CHECK(at::equal(d.train.images, at::stack(imgs)));
    CHECK(d.train.labels.max().item<std::int64_t>() <= 119);
    std::int64_t val = 0;
    for (int i = 0; i < 25; ++i) val += 1 + (i * 13 + 40) % 200 <= 120;
    CHECK(d.test.size() == val);
    CHECK(d.test.images.sizes() == at::IntArrayRef({val, 3, 16, 16}));
    // Root may also be the ImageNet16 folder itself.
    CHECK(data::read_source(data::Source::ImageNet16, (dir.path() / "ImageNet16").string())
              .train.size() == d.train.size());
  }
}

TEST_CASE("make_fake_data writes the official layouts, and the benchmark datasets on it",
          "[data]") {
  TempDir dir("fake");
  SECTION("cifar10 / cifar10-valid (python and binary layouts agree)") {
    data::FakeDataOptions o{dir.str(), data::Source::Cifar10, 500, 100, 3};
    const auto written = data::make_fake_data(o);
    CHECK(written.files.size() == 8);  // 5 batches, test, meta, split
    const auto d10 = data::load_benchmark_data("cifar10", {dir.str(), written.splits_dir, false});
    CHECK(d10.train.size() == 500);
    REQUIRE(d10.eval_sets.size() == 1);
    CHECK(d10.eval_sets[0].first == "ori-test");
    CHECK(d10.eval_set("ori-test").size() == 100);
    CHECK(d10.input_shape == std::array<std::int64_t, 3>{3, 32, 32});
    CHECK_FALSE(d10.official_sizes);
    const auto dv =
        data::load_benchmark_data("cifar10-valid", {dir.str(), written.splits_dir, false});
    CHECK(dv.train.size() == 250);
    REQUIRE(dv.eval_sets.size() == 2);
    CHECK(dv.eval_sets[0].first == "ori-test");
    CHECK(dv.eval_sets[1].first == "x-valid");
    CHECK(dv.eval_set("x-valid").size() == 250);
    // Train and x-valid are the split's images of the training files.
    const auto split = data::read_split_file(written.splits_dir + "/cifar-split.txt");
    const auto first_valid = split.at("valid")[0];
    CHECK(at::equal(dv.eval_set("x-valid").images[0], d10.train.images[first_valid]));
    // Without the fake split, the official cifar-split (50 000 indexes) does not fit.
    CHECK_THAT(error_of([&] {
                 data::load_benchmark_data("cifar10-valid", {dir.str(), "", false});
               }),
               Contains("cifar-split.txt") && Contains("beyond the set of 500 images"));

    TempDir bin("fakebin");
    o.root = bin.str();
    o.layout = "binary";
    data::make_fake_data(o);
    const auto b = data::read_source(data::Source::Cifar10, bin.str());
    CHECK(b.layout == "binary");
    CHECK(at::equal(b.train.images, d10.train.images));
    CHECK(at::equal(b.test.labels, d10.eval_set("ori-test").labels));
  }
  SECTION("cifar100 with x-valid / x-test from the test split") {
    const auto w = data::make_fake_data({dir.str(), data::Source::Cifar100, 300, 80, 1});
    const auto d = data::load_benchmark_data("cifar100", {dir.str(), w.splits_dir, false});
    CHECK(d.num_classes == 100);
    CHECK(d.train.size() == 300);
    REQUIRE(d.eval_sets.size() == 3);
    CHECK(d.eval_sets[1].first == "x-valid");
    CHECK(d.eval_sets[2].first == "x-test");
    CHECK(d.eval_set("x-valid").size() + d.eval_set("x-test").size() == 80);
    CHECK(d.train.labels.max().item<std::int64_t>() < 100);
    // Missing test split: the error names the file and where to get it.
    CHECK_THAT(error_of([&] {
                 data::load_benchmark_data("cifar100", {dir.str(), dir.str(), false});
               }),
               Contains("cifar100-test-split.txt") && Contains("AutoDL-Projects"));
  }
  SECTION("ImageNet16-120") {
    const auto w = data::make_fake_data({dir.str(), data::Source::ImageNet16, 400, 150, 2});
    const auto d = data::load_benchmark_data("ImageNet16-120", {dir.str(), w.splits_dir, false});
    CHECK(d.input_shape == std::array<std::int64_t, 3>{3, 16, 16});
    CHECK(d.num_classes == 120);
    CHECK(d.pad == 2);
    CHECK(d.train.size() > 250);
    CHECK(d.train.size() < 400);
    CHECK(d.train.labels.max().item<std::int64_t>() <= 119);
    CHECK(d.train.labels.min().item<std::int64_t>() >= 0);
    CHECK(d.eval_set("x-valid").size() + d.eval_set("x-test").size() ==
          d.eval_set("ori-test").size());
  }
  SECTION("checksums: fake files do not match, recorded as warnings, not errors") {
    const auto w = data::make_fake_data({dir.str(), data::Source::Cifar10, 50, 10, 0});
    const auto d = data::load_benchmark_data("cifar10", {dir.str(), w.splits_dir, true});
    REQUIRE(d.checksums.size() == 7);
    CHECK_FALSE(d.checksums[0].ok());
    CHECK(d.checksums[0].expected == "c99cafc152244af753f735de768cd75f");
    bool warned = false;
    for (const auto& s : d.warnings) warned = warned || s.find("data_batch_1") != std::string::npos;
    CHECK(warned);
  }
}

TEST_CASE("readers: bad input gives one clear error naming the file", "[data]") {
  TempDir dir("bad");
  const auto w = data::make_fake_data({dir.str(), data::Source::Cifar10, 50, 10, 0});
  const auto py = dir.path() / "cifar-10-batches-py";
  const auto read = [&] { data::read_source(data::Source::Cifar10, dir.str()); };

  CHECK_THAT(error_of([&] { data::read_source(data::Source::Cifar10, dir.str() + "/nope"); }),
             Contains("nope") && Contains("not a directory"));
  CHECK_THAT(error_of([&] { data::read_source(data::Source::Cifar100, dir.str()); }),
             Contains("cifar-100-python") && Contains("cifar-100-binary"));
  CHECK_THAT(error_of([&] { data::read_source(data::Source::ImageNet16, dir.str()); }),
             Contains("ImageNet16"));

  const std::string batch3 = (py / "data_batch_3").string();
  const std::string good = natsbench::read_file(batch3);
  SECTION("missing file") {
    std::filesystem::remove(batch3);
    CHECK_THAT(error_of(read), Contains("missing CIFAR-10 file") && Contains(batch3));
  }
  SECTION("truncated file") {
    natsbench::write_file_atomic(batch3, good.substr(0, good.size() / 2));
    CHECK_THAT(error_of(read), Contains(batch3) && Contains("truncated or corrupt"));
  }
  namespace pk = natsbench::pickle;
  const auto write_dict = [&](pk::Value labels, std::vector<std::int64_t> shape) {
    pk::Dict d;
    d.add(pk::Value::bytes("labels"), std::move(labels));
    pk::NumpyArray a;
    a.dtype = "|u1";
    a.shape = shape;
    std::int64_t n = 1;
    for (auto s : shape) n *= s;
    a.data.assign(n, '\0');
    d.add(pk::Value::bytes("data"), pk::Value::numpy_array(std::move(a)));
    natsbench::write_file_atomic(batch3, pk::dump(pk::Value::dict(std::move(d))));
  };
  SECTION("wrong shape") {
    write_dict(pk::Value::list({pk::Value::integer(1)}), {1, 3000});
    CHECK_THAT(error_of(read), Contains(batch3) && Contains("expected uint8 of shape (N, 3072)"));
  }
  SECTION("label out of range") {
    write_dict(pk::Value::list({pk::Value::integer(0), pk::Value::integer(10)}), {2, 3072});
    CHECK_THAT(error_of(read), Contains(batch3) && Contains("label 1 = 10, expected 0..9"));
  }
  SECTION("label count mismatch") {
    write_dict(pk::Value::list({pk::Value::integer(0)}), {2, 3072});
    CHECK_THAT(error_of(read), Contains(batch3) && Contains("1 labels for 2 images"));
  }
  SECTION("not a dict / missing keys") {
    natsbench::write_file_atomic(batch3, pk::dump(pk::Value::list()));
    CHECK_THAT(error_of(read), Contains(batch3) && Contains("expected a pickled dict"));
    pk::Dict d;
    d.add("x", pk::Value::integer(1));
    natsbench::write_file_atomic(batch3, pk::dump(pk::Value::dict(std::move(d))));
    CHECK_THAT(error_of(read), Contains(batch3) && Contains("expected keys 'data' and 'labels'"));
  }
  SECTION("binary: truncated and bad label") {
    TempDir bin("badbin");
    data::FakeDataOptions o{bin.str(), data::Source::Cifar10, 50, 10, 0};
    o.layout = "binary";
    data::make_fake_data(o);
    const std::string f = (bin.path() / "cifar-10-batches-bin" / "test_batch.bin").string();
    std::string bytes = natsbench::read_file(f);
    natsbench::write_file_atomic(f, bytes.substr(0, bytes.size() - 1));
    CHECK_THAT(error_of([&] { data::read_source(data::Source::Cifar10, bin.str()); }),
               Contains(f) && Contains("multiple of 3073"));
    bytes[3073] = 12;
    natsbench::write_file_atomic(f, bytes);
    CHECK_THAT(error_of([&] { data::read_source(data::Source::Cifar10, bin.str()); }),
               Contains(f) && Contains("record 1 = 12, expected 0..9"));
  }
  (void)w;
}

TEST_CASE("fake data is learnable: nearest class mean classifies the test images", "[data]") {
  TempDir dir("learn");
  for (const auto source : {data::Source::Cifar10, data::Source::ImageNet16}) {
    data::make_fake_data({dir.str(), source, 2000, 400, 9});
    const auto d = data::read_source(source, dir.str());
    const std::int64_t classes = source == data::Source::Cifar10 ? 10 : 120;
    const at::Tensor x = d.train.images.to(at::kFloat).flatten(1);
    at::Tensor means = at::zeros({classes, x.size(1)});
    means.index_add_(0, d.train.labels, x);
    const at::Tensor counts = at::bincount(d.train.labels, {}, classes).clamp_min(1);
    means = means / counts.to(at::kFloat).unsqueeze(1);
    const at::Tensor t = d.test.images.to(at::kFloat).flatten(1);
    const at::Tensor predicted = at::cdist(t, means).argmin(1);
    const double accuracy = predicted.eq(d.test.labels).to(at::kDouble).mean().item<double>();
    INFO(data::source_name(source));
    CHECK(accuracy > 0.9);
  }
}

TEST_CASE("cifar100 x-valid / x-test through the official test split (reference dir)", "[data]") {
  const char* ref = std::getenv("NATSBENCH_REFERENCE_DIR");
  if (ref == nullptr || *ref == '\0') {
    WARN("NATSBENCH_REFERENCE_DIR is unset: skipping the official cifar100-test-split check");
    return;
  }
  TempDir dir("c100split");
  data::FakeDataOptions o{dir.str(), data::Source::Cifar100, 100, 10000, 5};
  o.write_splits = false;
  data::make_fake_data(o);
  const std::string splits = std::string(ref) + "/splits";
  const auto d = data::load_benchmark_data("cifar100", {dir.str(), splits, false});
  REQUIRE(d.eval_sets.size() == 3);
  CHECK(d.eval_set("ori-test").size() == 10000);
  CHECK(d.eval_set("x-valid").size() == 5000);
  CHECK(d.eval_set("x-test").size() == 5000);
  // xvalid[0] = 1, xtest[0] = 0 (docs/training.md §9.1).
  CHECK(at::equal(d.eval_set("x-valid").images[0], d.eval_set("ori-test").images[1]));
  CHECK(at::equal(d.eval_set("x-test").images[0], d.eval_set("ori-test").images[0]));
  // The ImageNet16-120 test split indexes 6 000 images: a smaller val set is refused.
  TempDir small("in-small");
  data::FakeDataOptions oi{small.str(), data::Source::ImageNet16, 100, 100, 5};
  oi.write_splits = false;
  data::make_fake_data(oi);
  CHECK_THAT(error_of([&] {
               data::load_benchmark_data("ImageNet16-120", {small.str(), splits, false});
             }),
             Contains("imagenet-16-120-test-split.txt") && Contains("beyond the set of"));
}
