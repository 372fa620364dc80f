#pragma once
// A benchmark dataset in memory (docs/training.md §4): its training set and its named evaluation
// sets in the reference's evaluation order, cut from a source as its row in registry.h says, plus
// what the transforms need (normalisation, padding).
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "natsbench/data/datasets.h"

namespace c10 {
struct Device;
}

namespace natsbench::data {

struct BenchmarkData {
  std::string name;
  int num_classes = 0;
  std::array<std::int64_t, 3> input_shape{};  // C, H, W
  int pad = 0;
  Normalization norm;
  ImageSet train;
  std::vector<std::pair<std::string, ImageSet>> eval_sets;  // "ori-test", "x-valid", "x-test"
  std::string layout;
  bool official_sizes = false;  // every set has its registry row's official size
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

// The two halves of a weight-sharing search (docs/nas-algorithms.md §2.1): the supernet's weights
// train on the weight split, the architecture is chosen on the arch split.
struct SearchData {
  std::string name;
  int num_classes = 0;
  int pad = 0;
  Normalization norm;
  ImageSet weight_split, arch_split;
  std::vector<std::string> warnings;
};
// ArgError for a dataset the paper does not search on; Error as load_benchmark_data.
SearchData load_search_data(std::string_view name, const DataOptions& options);

// Moves every image set to `device` once, so that the loaders of all runs on it share one copy
// instead of each copying the sets (concurrent runs, one after another on the same data).
void move_to_device(BenchmarkData& data, const c10::Device& device);

}  // namespace natsbench::data
