#pragma once
// The benchmark's results model (docs/archive-format.md §3): a record (ResultsCount) per
// training run and an arch result (ArchResults) per architecture and hp. Compact on purpose:
// the whole topology benchmark holds ~280 million numbers, so series keep their values in
// plain double arrays, epoch keys implicit when they are 0..n-1, and constant series (the
// calibrated times) as a single value.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace natsbench::bench {

// An int -> double dict (epoch -> value) in insertion order. 32 bytes: a loaded benchmark holds
// about a dozen per record, so their size is a tenth of its memory.
class EpochSeries {
 public:
  EpochSeries() : capacity_(0), constant_mode_(0), sparse_(0) {}
  EpochSeries(const EpochSeries& other);
  EpochSeries(EpochSeries&& other) noexcept;
  EpochSeries& operator=(const EpochSeries& other);
  EpochSeries& operator=(EpochSeries&& other) noexcept;
  ~EpochSeries() = default;

  void push(int key, double value);
  // Frees spare capacity, and the storage of series whose values are all equal (bit for bit).
  void compact();

  std::size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  int key_at(std::size_t position) const;
  double value_at(std::size_t position) const;
  // Value of key `epoch`, nullopt when absent.
  std::optional<double> find(int epoch) const;
  bool operator==(const EpochSeries& other) const;

 private:
  std::size_t position_of(int key) const;  // size() when absent
  void reallocate(std::uint32_t capacity);
  std::unique_ptr<double[]> values_;  // null when constant (or empty)
  std::unique_ptr<int[]> keys_;       // only when sparse_ (keys not 0, 1, ..., n-1)
  double constant_ = 0;
  std::uint32_t count_ = 0;
  std::uint32_t capacity_ : 30;  // of values_ and keys_
  std::uint32_t constant_mode_ : 1;
  std::uint32_t sparse_ : 1;
};

// A "<eval set>@<epoch>" -> double dict in insertion order, stored per eval set.
class EvalSeries {
 public:
  void push(std::string_view set, int epoch, double value);
  void compact();
  std::optional<double> find(const std::string& set, int epoch) const;
  std::size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  // Entries in insertion order: (set, epoch, value).
  struct Entry {
    const std::string* set;
    int epoch;
    double value;
  };
  std::vector<Entry> entries() const;
  bool operator==(const EvalSeries& other) const;

 private:
  // How entries of different sets interleave. Listed only when no rule fits: a byte per entry
  // would be a tenth of a loaded benchmark.
  enum class Order : std::uint8_t {
    Listed,      // order_ holds the set index of each entry
    Grouped,     // all entries of set 0, then of set 1, ...
    RoundRobin,  // set 0, set 1, ..., set k-1, set 0, ... (sets of equal size)
  };
  std::uint8_t set_at(std::size_t position) const;

  struct SetSeries {
    const std::string* name;  // interned: every record names the same few eval sets
    EpochSeries series;
  };
  std::vector<SetSeries> sets_;
  std::vector<std::uint8_t> order_;  // Order::Listed only
  std::uint32_t count_ = 0;
  Order order_kind_ = Order::Listed;
};

// A small ordered str -> (int | str | other) dict: the record's arch_config.
struct ConfigValue {
  enum class Kind { Int, Str, None } kind = Kind::None;
  std::int64_t int_value = 0;
  std::string str_value;
  bool operator==(const ConfigValue& o) const {
    return kind == o.kind && int_value == o.int_value && str_value == o.str_value;
  }
};
using ArchConfigDict = std::vector<std::pair<std::string, ConfigValue>>;

// One training run (ResultsCount state dict, docs/archive-format.md §3.4).
struct Record {
  std::string name;  // dataset key
  EpochSeries train_acc1es;
  std::optional<EpochSeries> train_acc5es;
  EpochSeries train_losses;
  std::optional<EpochSeries> train_times;
  std::shared_ptr<const ArchConfigDict> arch_config;  // shared by the records of one arch
  double params = 0;                                  // millions
  double flop = 0;                                    // MFLOPs
  std::string seed;                                   // 4-digit string, e.g. "0777"
  int epochs = 0;
  std::optional<std::vector<double>> latency;
  std::vector<std::string> eval_names;
  EvalSeries eval_acc1es, eval_times, eval_losses;
  bool has_weights = false;  // net_state_dict was not None (full archives); weights not kept

  bool operator==(const Record& other) const;
};

// All runs of one architecture for one hp (ArchResults state dict, docs/archive-format.md §3.3).
struct ArchResult {
  int arch_index = -1;
  std::string arch_str;
  std::map<std::pair<std::string, int>, Record> all_results;  // (dataset, seed) -> record
  // Dataset -> ascending seeds, in stored dataset order.
  std::vector<std::pair<std::string, std::vector<int>>> dataset_seed;
  bool clear_net_done = false;

  const std::vector<int>* seeds_of(const std::string& dataset) const;
  bool operator==(const ArchResult& other) const;
};

// hp -> arch result, in stored (ascending) hp order.
using ArchInfo = std::vector<std::pair<std::string, ArchResult>>;

}  // namespace natsbench::bench
