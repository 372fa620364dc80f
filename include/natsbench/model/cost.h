#pragma once
// Cost metrics counted on a built network the way the reference did (docs/networks.md §4.1):
// FLOPs = multiply-accumulates of every executed Conv2d and Linear (bias counted for Linear),
// params = elements of every parameter; both in decimal millions.
#include <cstdint>

#include <c10/core/Device.h>

#include "natsbench/model/network.h"

namespace natsbench::data {
struct DatasetInfo;
}

namespace natsbench::model {

struct Cost {
  std::int64_t flop_count = 0;
  std::int64_t param_count = 0;
  double flops() const { return static_cast<double>(flop_count) / 1e6; }
  double params() const { return static_cast<double>(param_count) / 1e6; }
};

// One eval-mode, no-grad forward of a [1, 3, H, H] input. The input is drawn with torch::rand,
// as the reference's get_model_infos does, so the CPU generator advances the same way.
Cost count_cost(CellNetwork& network, int image_size);

// Seconds per forward pass of a batch of `batch_size` random images on `device`: eval mode, no
// grad, synchronised, after `warmup` untimed passes; the median of `repeats` timed passes.
// The network is moved to `device`. (The official tss latencies came from a different
// procedure on 2020 hardware and are not reproducible: docs/networks.md §4.5.)
double measure_latency(CellNetwork& network, int image_size, const c10::Device& device,
                       int batch_size = 256, int repeats = 5, int warmup = 2);

// Builds the benchmark network of `arch` for `dataset` and counts it.
Cost count_cost(const ArchConfig& arch, const data::DatasetInfo& dataset);

}  // namespace natsbench::model
