#pragma once
// The four benchmark datasets (spec/training.md §4): cifar10-valid, cifar10, cifar100,
// ImageNet16-120, each with its training set and its named evaluation sets in the reference's
// evaluation order, plus what the transforms need (normalisation, padding).
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <c10/core/Device.h>

#include "natsbench/data/datasets.h"

namespace natsbench::data {

// Per-channel mean and std (spec §2, §9.3: the x255 constants / 255, as doubles).
struct Normalization {
  std::array<double, 3> mean{}, std{};
};
Normalization normalization(Source source);

struct BenchmarkSpec {
  std::string_view name;  // "cifar10-valid", ...
  Source source;
  int num_classes;
  int side;  // 32 or 16
  int pad;   // 4 or 2
  std::int64_t train_size;
  std::vector<std::pair<std::string_view, std::int64_t>> eval_sizes;  // evaluation order
};
// "cifar10-valid", "cifar10", "cifar100", "ImageNet16-120"; throws ArgError.
const BenchmarkSpec& benchmark_spec(std::string_view name);
const std::vector<BenchmarkSpec>& benchmark_specs();

struct BenchmarkData {
  std::string name;
  int num_classes = 0;
  std::array<std::int64_t, 3> input_shape{};  // C, H, W
  int pad = 0;
  Normalization norm;
  ImageSet train;
  std::vector<std::pair<std::string, ImageSet>> eval_sets;  // "ori-test", "x-valid", "x-test"
  std::string layout;
  bool official_sizes = false;  // every set has the size of §4
  std::vector<ChecksumStatus> checksums;
  std::vector<std::string> warnings;

  const ImageSet& eval_set(std::string_view name) const;  // throws Error
};

struct DataOptions {
  std::string root;        // $TORCH_HOME/cifar.python
  std::string splits_dir;  // holds the split files; cifar-split is regenerated when absent
  bool verify = false;     // md5 of the dataset files
};

// Reads the source once, selects the split indexes. Split indexes beyond a set, or lists that do
// not partition it, raise Error naming the split file.
BenchmarkData load_benchmark_data(std::string_view name, const DataOptions& options);
// Same, from already loaded source data (one read serves several benchmark datasets).
BenchmarkData make_benchmark_data(std::string_view name, const SourceData& source,
                                  const std::string& splits_dir);

// Moves every image set to `device` once, so that the loaders of all runs on it share one copy
// instead of each copying the sets (concurrent runs, one after another on the same data).
void move_to_device(BenchmarkData& data, const c10::Device& device);

}  // namespace natsbench::data
