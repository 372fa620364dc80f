#pragma once
// Shared pieces of the thin CLI layer: subcommand registration and JSON output.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "natsbench/bench/benchmark.h"
#include "natsbench/space/arch.h"
#include "natsbench/util/error.h"

namespace natsbench::cli {

// A subcommand adds its options to its parent and returns the action to run once parsing
// succeeded (commands.h lists them).
using Action = std::function<int()>;

// --space plus one of --index N / --arch STR, shared by the commands that take one candidate.
struct CandidateOptions {
  std::string space, index, arch;
  CLI::Option* index_option = nullptr;
  CLI::Option* arch_option = nullptr;
  void add_to(CLI::App& cmd);
  ArchConfig resolve() const;  // throws ArgError
};

// --benchmark PATH [--fast-mode], shared by query and search: a file, or an archive directory
// (read on first use); empty = the official names under $TORCH_HOME.
struct BenchmarkOptions {
  std::string path;
  bool fast_mode = false;
  void add_to(CLI::App& cmd);
  bench::Benchmark open(Space space) const;
};

// Prints compact JSON on one line (doubles in shortest round-trip form).
void print_json(const nlohmann::json& value);
// {"mean", "std"}: the mean and population standard deviation (numpy's default, as the paper's
// tables), summed with compensation so that equal values give that value and std 0.
nlohmann::ordered_json mean_and_std(const std::vector<double>& values);

std::string version_string();

// Shared argument helpers of train and sweep.
std::vector<std::string> split_list(const std::string& text, const std::string& what);
// Output paths, checked before any work: an output that cannot be written is a bad argument
// (exit 2), whichever command names it.
// A directory: created when missing; ArgError naming `option` when it cannot be created or written.
void require_writable(const std::string& out, const std::string& option = "--out");
// A directory the command creates only when it writes (collect --out: a refused input leaves
// nothing behind): it, or its nearest existing ancestor, must be a writable directory; nothing
// is created here. ArgError naming `option` otherwise.
void require_creatable_dir(const std::string& out, const std::string& option);
// A file (or a directory written whole, as convert --to): its parent must be an existing,
// writable directory and the path itself not a directory; ArgError naming `option` otherwise.
void require_writable_file(const std::string& path, const std::string& option);
std::string default_data_root();  // $TORCH_HOME/cifar.python (util/torch_home.h)
// --datasets: known names, each once; --seeds: non-negative integers. ArgError otherwise.
std::vector<std::string> parse_datasets(const std::string& text);
// Every benchmark dataset as a --datasets value ("cifar10-valid,cifar10,...").
std::string all_datasets();
std::vector<std::uint64_t> parse_seeds(const std::string& text);
// --data-root (default $TORCH_HOME/cifar.python) must exist; --splits defaults to ROOT/splits.
struct DataLocation {
  std::string root, splits;
};
DataLocation resolve_data(const std::string& data_root, const std::string& splits);
void check_threads(int requested);  // throws ArgError outside 0..1024 (0: the default)
void set_threads(int requested);    // --threads, else OMP_NUM_THREADS, else CPUs
// --concurrent of train and sweep: 1..32 (LibTorch's stream pool has 32 streams per device; more
// runs would share streams and each costs its data copy and graph memory).
void check_concurrent(int concurrent);
std::string format_duration(double seconds);  // "1h02m", "3m05s", "42s"
// `natsbench sweep` and `natsbench collect` (cli/cmd_sweep.cpp, cli/cmd_collect.cpp).
Action add_sweep_command(CLI::App& app);
Action add_collect_command(CLI::App& app);

}  // namespace natsbench::cli
