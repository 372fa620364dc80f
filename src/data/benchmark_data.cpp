#include "natsbench/data/benchmark_data.h"

#include <ATen/ATen.h>

#include "natsbench/data/splits.h"
#include "natsbench/util/error.h"

namespace natsbench::data {

namespace {

ImageSet subset(const ImageSet& set, const std::vector<std::int64_t>& indexes,
                const std::string& split_name, std::string_view key) {
  if (!indexes.empty() && indexes.back() >= set.size()) {
    throw Error("split '" + split_name + "' list \"" + std::string(key) + "\" has index " +
                std::to_string(indexes.back()) + " beyond the set of " +
                std::to_string(set.size()) + " images (a split file for other data?)");
  }
  const at::Tensor idx =
      at::tensor(at::ArrayRef<std::int64_t>(indexes.data(), indexes.size()), at::kLong);
  return {set.images.index_select(0, idx).contiguous(), set.labels.index_select(0, idx)};
}

SplitFile load_checked(std::string_view file, const std::string& dir, std::int64_t n) {
  SplitFile split = load_official_split(file, dir);
  const SplitInfo& info = split_info(file);
  const std::string where =
      dir.empty() ? std::string(info.file) : dir + "/" + std::string(info.file);
  check_partition(split, info.first_key, info.second_key, n, where);
  return split;
}

}  // namespace

Normalization normalization(Source source) {
  switch (source) {
    case Source::Cifar10:
      return {{125.3 / 255, 123.0 / 255, 113.9 / 255}, {63.0 / 255, 62.1 / 255, 66.7 / 255}};
    case Source::Cifar100:
      return {{129.3 / 255, 124.1 / 255, 112.4 / 255}, {68.2 / 255, 65.4 / 255, 70.4 / 255}};
    case Source::ImageNet16:
      return {{122.68 / 255, 116.66 / 255, 104.01 / 255}, {63.22 / 255, 61.26 / 255, 65.09 / 255}};
  }
  return {};
}

const std::vector<BenchmarkSpec>& benchmark_specs() {
  static const std::vector<BenchmarkSpec> specs = {
      {"cifar10-valid",
       Source::Cifar10,
       10,
       32,
       4,
       25000,
       {{"ori-test", 10000}, {"x-valid", 25000}}},
      {"cifar10", Source::Cifar10, 10, 32, 4, 50000, {{"ori-test", 10000}}},
      {"cifar100",
       Source::Cifar100,
       100,
       32,
       4,
       50000,
       {{"ori-test", 10000}, {"x-valid", 5000}, {"x-test", 5000}}},
      {"ImageNet16-120",
       Source::ImageNet16,
       120,
       16,
       2,
       151700,
       {{"ori-test", 6000}, {"x-valid", 3000}, {"x-test", 3000}}},
  };
  return specs;
}

const BenchmarkSpec& benchmark_spec(std::string_view name) {
  std::string known;
  for (const auto& spec : benchmark_specs()) {
    if (spec.name == name) return spec;
    known += (known.empty() ? "" : ", ") + std::string(spec.name);
  }
  throw ArgError("dataset '" + std::string(name) + "': expected one of " + known);
}

const ImageSet& BenchmarkData::eval_set(std::string_view set_name) const {
  for (const auto& [n, set] : eval_sets) {
    if (n == set_name) return set;
  }
  throw Error("dataset " + name + " has no evaluation set '" + std::string(set_name) + "'");
}

BenchmarkData make_benchmark_data(std::string_view name, const SourceData& source,
                                  const std::string& splits_dir) {
  const BenchmarkSpec& spec = benchmark_spec(name);
  if (source.source != spec.source) {
    throw ArgError("dataset " + std::string(name) + " needs " +
                   std::string(source_name(spec.source)) + " data, got " +
                   std::string(source_name(source.source)));
  }
  BenchmarkData out;
  out.name = std::string(spec.name);
  out.num_classes = spec.num_classes;
  out.input_shape = {3, spec.side, spec.side};
  out.pad = spec.pad;
  out.norm = normalization(spec.source);
  out.layout = source.layout;
  out.checksums = source.checksums;
  out.warnings = source.warnings;
  if (name == "cifar10-valid") {
    const SplitFile split = load_checked("cifar-split", splits_dir, source.train.size());
    out.train = subset(source.train, split.at("train"), "cifar-split.txt", "train");
    out.eval_sets.emplace_back("ori-test", source.test);
    out.eval_sets.emplace_back("x-valid",
                               subset(source.train, split.at("valid"), "cifar-split.txt", "valid"));
  } else {
    out.train = source.train;
    out.eval_sets.emplace_back("ori-test", source.test);
    if (spec.source != Source::Cifar10) {
      const std::string file =
          spec.source == Source::Cifar100 ? "cifar100-test-split" : "imagenet-16-120-test-split";
      const SplitFile split = load_checked(file, splits_dir, source.test.size());
      out.eval_sets.emplace_back("x-valid",
                                 subset(source.test, split.at("xvalid"), file, "xvalid"));
      out.eval_sets.emplace_back("x-test", subset(source.test, split.at("xtest"), file, "xtest"));
    }
  }
  out.official_sizes = out.train.size() == spec.train_size;
  for (std::size_t i = 0; i < spec.eval_sizes.size(); ++i) {
    out.official_sizes =
        out.official_sizes && out.eval_sets[i].second.size() == spec.eval_sizes[i].second;
  }
  if (!out.official_sizes) {
    out.warnings.push_back(
        "set sizes differ from the official ones (spec training.md §4): not "
        "the official data");
  }
  return out;
}

BenchmarkData load_benchmark_data(std::string_view name, const DataOptions& options) {
  const BenchmarkSpec& spec = benchmark_spec(name);
  ReadOptions read;
  read.verify = options.verify;
  const SourceData source = read_source(spec.source, options.root, read);
  return make_benchmark_data(name, source, options.splits_dir);
}

void move_to_device(BenchmarkData& data, const c10::Device& device) {
  const auto move = [&](ImageSet& set) {
    set.images = set.images.to(device);
    set.labels = set.labels.to(device);
  };
  move(data.train);
  for (auto& [name, set] : data.eval_sets) move(set);
}

}  // namespace natsbench::data
