#pragma once
// Sweep plans (docs/training.md §6.2): architecture ranges in the reference's syntax, the seeds
// each hp used per space, and a deterministic partition of the plan into shards (Slurm array tasks,
// one worker per GPU).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "natsbench/space/arch.h"

namespace natsbench::sweep {

// "00000-02000", "7", "0-4, 9,12-13": inclusive ranges and single indexes, comma-separated,
// whitespace ignored; ascending, without duplicates. Throws ArgError naming the item.
std::vector<int> parse_range(std::string_view text, int space_size);

struct PlannedRun {
  int arch_index = 0;
  std::uint64_t seed = 0;
  std::string dataset;
  bool operator==(const PlannedRun& o) const {
    return arch_index == o.arch_index && seed == o.seed && dataset == o.dataset;
  }
};

// Runs in the reference order: per architecture, per seed, the datasets in the given order.
// `seeds` empty = the preset seeds of each dataset (data::preset_seeds).
std::vector<PlannedRun> make_plan(Space space, const std::vector<int>& archs, std::string_view hp,
                                  const std::vector<std::uint64_t>& seeds,
                                  const std::vector<std::string>& datasets);

// Shard k of n (0 <= k < n): the (arch, seed) units at positions k, k + n, k + 2n, ... of the
// plan, each unit with all its datasets, so shards get the same mix of cheap and costly runs.
// Every run of the plan is in exactly one shard.
std::vector<PlannedRun> shard(const std::vector<PlannedRun>& plan, int k, int n);
// "K/N" -> (K, N); throws ArgError.
std::pair<int, int> parse_shard(std::string_view text);

}  // namespace natsbench::sweep
