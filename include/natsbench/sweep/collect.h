#pragma once
// Collect: run records -> the benchmark's own files (docs/archive-format.md §3, §6.4), in both
// forms the official API reads: the simple archive (meta + one file per evaluated architecture) and
// the single benchmark file named NATS-<space>-v1_0-<last 5 hex of its md5>.pickle.pbz2, plus a
// sha256 manifest. Partial sweeps are valid benchmarks; `check` lists what is missing or wrong.
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "natsbench/bench/results.h"
#include "natsbench/space/arch.h"
#include "natsbench/train/record.h"

namespace natsbench::sweep {

struct CollectOptions {
  Space space = Space::Topology;
  std::vector<std::string> runs_dirs;
  std::vector<std::string> hps;  // empty = every hp found
};

struct Problem {
  std::string kind;  // "missing", "failed", "invalid", "inconsistent"
  std::string hp;
  int arch = -1;
  std::uint64_t seed = 0;
  std::string dataset, file, detail;
};

struct Gathered {
  std::map<int, bench::ArchInfo> archs;  // complete, valid records only
  std::vector<Problem> problems;
  std::size_t records = 0;  // record files read
  // Complete runs trained (or resumed) with other runs on the device at once (--concurrent > 1):
  // their epoch times, the benchmark's time costs, are shared wall time.
  std::size_t shared_device = 0;
};

// Reads every record under the runs directories. Never throws for bad records: each becomes a
// Problem. Missing runs are those of the plans in RUNS/plans (or, without plans, the seeds seen
// per hp and dataset for every architecture seen).
Gathered gather(const CollectOptions& options);

nlohmann::json problems_json(const std::vector<Problem>& problems);

// The official record of a run record (docs/archive-format.md §3.4).
bench::Record to_bench_record(const train::RunRecord& record);

struct Written {
  std::string benchmark_file, archive_dir, manifest;
  std::size_t archs = 0;
};
// Writes into `out_dir` (created); replaces earlier output of the same name. Throws Error.
Written write_benchmark(const Gathered& gathered, Space space, const std::string& out_dir);

}  // namespace natsbench::sweep
