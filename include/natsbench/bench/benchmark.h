#pragma once
// The query API over a benchmark (docs/archive-format.md §4), in snake_case, mirroring the
// official `nats_bench` v1.8 API. Numbers follow §4.0 (plain left-to-right sums), so answers
// are bit-identical to the official API under CPython <= 3.11.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "natsbench/bench/results.h"
#include "natsbench/space/arch.h"
#include "natsbench/space/cpython_random.h"

namespace natsbench::bench {

// A value of an answer dict: None, a number or a string (the `comment`).
using Field = std::variant<std::monostate, double, std::string>;
// An answer dict, keys exactly as the official API's and in its order.
using InfoDict = std::vector<std::pair<std::string, Field>>;
const Field* find_field(const InfoDict& info, std::string_view key);

// Which seed(s) a query uses: the mean over seeds, one given seed, or a random seed.
struct SeedChoice {
  enum class Kind { Mean, Seed, Random } kind = Kind::Mean;
  int seed = 0;
  static SeedChoice mean() { return {Kind::Mean, 0}; }
  static SeedChoice random() { return {Kind::Random, 0}; }
  static SeedChoice of(int seed) { return {Kind::Seed, seed}; }
};

// ResultsCount.get_train / get_eval, and their seed aggregate.
struct Metrics {
  std::optional<double> iepoch, loss, accuracy, cur_time, all_time;
};

struct SimulateResult {
  double accuracy;
  std::optional<double> latency;
  double time_cost;
  double used_time;
};

// The standard locations: $TORCH_HOME (or $HOME/.torch) / NATS-{tss,sss}-v1_0-... (§1.3).
std::string default_benchmark_path(Space space, bool fast_mode);
std::string base_name(Space space);  // NATS-tss-v1_0-3ffb9 / NATS-sss-v1_0-50262
// Hp tags in file order: tss 12, 200; sss 01, 12, 90.
const std::vector<std::string>& official_hps(Space space);

class Benchmark {
 public:
  // A single benchmark file (fast_mode false) or a simple/full archive directory (fast_mode
  // true, files loaded on first use). An empty path means the $TORCH_HOME lookup. Throws
  // ArgError for a wrong path kind, CorruptFileError for unreadable content.
  static Benchmark create(const std::string& path, Space space, bool fast_mode);

  Space space() const { return space_; }
  bool fast_mode() const { return fast_mode_; }
  int size() const { return static_cast<int>(meta_archs_.size()); }
  const std::string& arch(int index) const;
  // Exact string match against the meta list; -1 when unknown.
  int query_index_by_arch(std::string_view arch) const;
  // An index or an exact arch string; throws UnknownIndexError naming the text otherwise.
  int resolve_index(std::string_view index_or_arch) const;
  std::vector<int> evaluated_indexes() const;
  std::vector<std::string> available_hps() const;

  InfoDict get_more_info(int index, const std::string& dataset, std::optional<int> iepoch,
                         const std::string& hp, SeedChoice seeds = SeedChoice::random());
  InfoDict get_cost_info(int index, const std::string& dataset, const std::string& hp);
  std::optional<double> get_latency(int index, const std::string& dataset, const std::string& hp);
  SimulateResult simulate_train_eval(int index, const std::string& dataset,
                                     std::optional<int> iepoch, const std::string& hp,
                                     bool account_time = true);
  // (best index, best accuracy) or (-1, nullopt).
  std::pair<int, std::optional<double>> find_best(
      const std::string& dataset, const std::string& metric_on_set, std::optional<double> flop_max,
      std::optional<double> param_max, const std::string& hp, std::optional<bool> enforce_all = {});
  // number of seeds -> number of architectures, over the evaluated architectures.
  std::map<int, int> statistics(const std::string& dataset, const std::string& hp);
  // {name, C, N, arch_str, num_classes} or {name, channels, genotype, num_classes}.
  std::vector<std::pair<std::string, std::variant<std::int64_t, std::string>>> get_net_config(
      int index, const std::string& dataset);
  const ArchResult& query_meta_info_by_index(int index, const std::string& hp);
  std::vector<std::pair<int, const Record*>> query_by_index(int index, const std::string& dataset,
                                                            const std::string& hp);
  // Re-reads one architecture (or all, index nullopt) from an archive directory.
  void reload(const std::string& archive_root, std::optional<int> index);
  // Fast mode: loads every architecture whose file the archive holds (re-created archives may
  // be partial); returns how many are loaded. No-op otherwise.
  int load_all_available();
  void clear_params(int index, std::optional<std::string> hp);

  double used_time() const { return used_time_; }
  void reset_time() { used_time_ = 0; }
  // The random source of SeedChoice::random() and simulate_train_eval. Seed it to replay a
  // Python session that called random.seed(seed) (CPython's generator is emulated exactly).
  void seed_random(std::uint64_t seed) { rng_ = CPythonRandom(seed); }
  std::uint32_t random_below(std::uint32_t n) { return rng_.randbelow(n); }

  // Access for writers and tests: the loaded architectures.
  const std::vector<std::string>& meta_archs() const { return meta_archs_; }
  const std::map<int, ArchInfo>& loaded() const { return arch2infos_; }
  // Adds or replaces an architecture's results (used by the collector and readers).
  void set_arch_info(int index, ArchInfo info);
  // An in-memory benchmark (no files): the meta list and no results.
  Benchmark(Space space, std::vector<std::string> meta_archs);
  Benchmark(Benchmark&&) = default;
  Benchmark& operator=(Benchmark&&) = default;
  Benchmark(const Benchmark&) = delete;
  Benchmark& operator=(const Benchmark&) = delete;

 private:
  // The benchmark of a meta list read from `path`, refused (naming the file) when the list is
  // empty, of the other space, malformed, of the wrong size or has a duplicate.
  static Benchmark with_checked_meta(Space space, std::vector<std::string> meta_archs,
                                     const std::string& path);
  const ArchInfo& prepare(int index);
  // Throws CorruptFileError (prefixed by `where`) when a stored arch_index or arch_str is not
  // the one of `index`.
  void check_arch_info(int index, const ArchInfo& info, const std::string& where) const;
  const ArchResult& arch_result(int index, const std::string& hp);
  Metrics metrics(const ArchResult& result, const std::string& dataset, const std::string& set,
                  std::optional<int> iepoch, SeedChoice seeds);
  InfoDict compute_costs(const ArchResult& result, const std::string& dataset);

  Space space_;
  bool fast_mode_ = false;
  std::string archive_dir_;
  std::vector<std::string> meta_archs_;
  std::unordered_map<std::string_view, int> index_of_arch_;
  std::map<int, ArchInfo> arch2infos_;
  double used_time_ = 0;
  CPythonRandom rng_;
};

}  // namespace natsbench::bench
