#pragma once
// The size of re-creating a space's released benchmark (docs/training.md §8): per hp set, the
// runs (architecture x dataset x seed, with the seeds the released benchmark has) and the
// training and evaluated images over all their epochs, and what a measured speed makes of it.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "natsbench/space/arch.h"

namespace natsbench::sweep {

struct SweepJob {
  std::string hp;  // "200", "12", ...
  int epochs = 0;
  std::int64_t archs = 0;
  std::vector<std::pair<std::string, std::int64_t>> seeds;  // per dataset, evaluation order
  std::int64_t runs = 0;                                    // archs x sum of the seeds
  std::int64_t train_images = 0, eval_images = 0;           // all runs, all epochs
};

// The hp sets of a space's released benchmark: tss 12, 200; sss 01, 12, 90.
std::vector<SweepJob> benchmark_jobs(Space space);

// Seconds of one epoch of `dataset` (its training set, then every eval set) at these speeds.
double epoch_seconds(std::string_view dataset, double train_images_per_second,
                     double eval_images_per_second);

// GPU-hours of every job of `space` at the given aggregate speeds, with the rows and totals:
// {"jobs": [{hp, epochs, archs, runs, seeds, train_images, eval_images, gpu_hours}], "gpu_hours":
// {hp: hours, ..., "total": hours}}.
nlohmann::json project_sweep(Space space, double train_images_per_second,
                             double eval_images_per_second);

}  // namespace natsbench::sweep
