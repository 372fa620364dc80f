#pragma once
// Fake datasets in the exact official on-disk layouts (docs/training.md §1), for tests, demos and
// benchmarks without the real files: images of each class share a class-dependent pattern
// (colour + stripes of a class-specific period and orientation) plus noise, so a network can
// learn them. Deterministic for a given seed.
#include <cstdint>
#include <string>
#include <vector>

#include "natsbench/data/datasets.h"

namespace natsbench::data {

struct FakeDataOptions {
  std::string root;  // written as ROOT/cifar-10-batches-py/..., ROOT/ImageNet16/...
  Source source = Source::Cifar10;
  std::int64_t train = 0;  // images; 0 = default (CIFAR 1000, ImageNet16 3000 before filtering)
  std::int64_t test = 0;   // images; 0 = default (CIFAR 200, ImageNet16 1000 before filtering)
  std::uint64_t seed = 0;
  std::string layout = "python";  // "python" or "binary" (CIFAR only)
  bool write_splits = true;       // ROOT/splits/<official split names> for these sizes
};

struct FakeDataResult {
  std::vector<std::string> files;  // every file written
  std::string splits_dir;          // empty when no split was written
};

// Writes atomically, file by file. Throws ArgError for bad options, Error on I/O failure.
FakeDataResult make_fake_data(const FakeDataOptions& options);

}  // namespace natsbench::data
