#pragma once
// Learnable synthetic CIFAR-shaped data shared by the train/ tests: the class sets the mean
// brightness of the first channel, so a network learns it within an epoch.
#include <ATen/ATen.h>

#include <cstdint>
#include <string>

#include "natsbench/data/benchmark_data.h"
#include "natsbench/data/pipeline.h"

namespace natsbench::train_test {

inline data::ImageSet synthetic_set(std::int64_t n, std::uint64_t seed) {
  at::Generator gen = data::make_generator(at::kCPU, seed);
  const at::Tensor labels = at::randint(0, 10, {n}, gen, at::TensorOptions().dtype(at::kLong));
  at::Tensor images = at::randint(0, 64, {n, 3, 32, 32}, gen, at::TensorOptions().dtype(at::kLong));
  images.select(1, 0).add_((labels * 19).view({n, 1, 1}));
  return {images.to(at::kByte), labels};
}

// A 10-class 32x32 benchmark dataset named `name`, without images yet.
inline data::BenchmarkData cifar_shaped(const std::string& name) {
  data::BenchmarkData d;
  d.name = name;
  d.num_classes = 10;
  d.input_shape = {3, 32, 32};
  d.pad = 4;
  d.norm = data::source_info(data::Source::Cifar10).norm;
  d.layout = "synthetic";
  return d;
}

}  // namespace natsbench::train_test
