#include "natsbench/bench/results.h"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <set>

#include "natsbench/util/error.h"

namespace natsbench::bench {

namespace {
bool same_bits(double a, double b) {
  return std::memcmp(&a, &b, sizeof(double)) == 0;
}
}  // namespace

namespace {
// Series longer than this are refused (the benchmark's longest has 200 entries).
constexpr std::uint32_t kMaxSeriesLength = (std::uint32_t{1} << 30) - 1;

// Eval set names are few ("ori-test", "x-valid", "x-test", ...) and repeated in every record:
// each distinct name is stored once for the life of the process.
const std::string* intern_set_name(std::string_view name) {
  static std::mutex mutex;
  static std::set<std::string, std::less<>> names;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = names.find(name);
  if (it == names.end()) it = names.emplace(name).first;
  return &*it;
}
}  // namespace

EpochSeries::EpochSeries(const EpochSeries& other)
    : constant_(other.constant_),
      count_(other.count_),
      capacity_(0),
      constant_mode_(other.constant_mode_),
      sparse_(other.sparse_) {
  if (other.values_ != nullptr) {
    values_.reset(new double[count_]);
    std::copy(other.values_.get(), other.values_.get() + count_, values_.get());
  }
  if (other.keys_ != nullptr) {
    keys_.reset(new int[count_]);
    std::copy(other.keys_.get(), other.keys_.get() + count_, keys_.get());
  }
  capacity_ = values_ != nullptr || keys_ != nullptr ? count_ : 0;
}

EpochSeries::EpochSeries(EpochSeries&& other) noexcept
    : values_(std::move(other.values_)),
      keys_(std::move(other.keys_)),
      constant_(other.constant_),
      count_(other.count_),
      capacity_(other.capacity_),
      constant_mode_(other.constant_mode_),
      sparse_(other.sparse_) {
  other = EpochSeries();
}

EpochSeries& EpochSeries::operator=(const EpochSeries& other) {
  if (this != &other) *this = EpochSeries(other);
  return *this;
}

EpochSeries& EpochSeries::operator=(EpochSeries&& other) noexcept {
  if (this == &other) return *this;
  values_ = std::move(other.values_);
  keys_ = std::move(other.keys_);
  constant_ = other.constant_;
  count_ = other.count_;
  capacity_ = other.capacity_;
  constant_mode_ = other.constant_mode_;
  sparse_ = other.sparse_;
  other.constant_ = 0;
  other.count_ = 0;
  other.capacity_ = 0;
  other.constant_mode_ = 0;
  other.sparse_ = 0;
  return *this;
}

// Moves the values (and keys, when sparse) into arrays of `capacity` >= count_ entries.
void EpochSeries::reallocate(std::uint32_t capacity) {
  std::unique_ptr<double[]> values(new double[capacity]);
  if (constant_mode_) {
    std::fill(values.get(), values.get() + count_, constant_);
  } else if (count_ > 0) {
    std::copy(values_.get(), values_.get() + count_, values.get());
  }
  values_ = std::move(values);
  if (sparse_) {
    std::unique_ptr<int[]> keys(new int[capacity]);
    if (count_ > 0) std::copy(keys_.get(), keys_.get() + count_, keys.get());
    keys_ = std::move(keys);
  }
  capacity_ = capacity;
  constant_mode_ = 0;
}

void EpochSeries::push(int key, double value) {
  if (count_ >= kMaxSeriesLength) throw Error("epoch series: more than 2^30 entries");
  if (!sparse_ && key != static_cast<int>(count_)) {
    // The keys are no longer 0..n-1: list them (rare; only hand-made files). While constant,
    // values_ has no capacity and the growth below sizes both arrays.
    std::unique_ptr<int[]> keys(new int[std::max(std::uint32_t{capacity_}, count_)]);
    for (std::uint32_t i = 0; i < count_; ++i) keys[i] = static_cast<int>(i);
    keys_ = std::move(keys);
    sparse_ = 1;
  }
  if (constant_mode_ || count_ == capacity_ || values_ == nullptr) {
    // Grow by half (+8): a series is pushed epoch by epoch while a file is read.
    const std::uint64_t grown = std::uint64_t{count_} + count_ / 2 + 8;
    reallocate(static_cast<std::uint32_t>(std::min<std::uint64_t>(grown, kMaxSeriesLength)));
  }
  values_[count_] = value;
  if (sparse_) keys_[count_] = key;
  ++count_;
}

void EpochSeries::compact() {
  if (constant_mode_ || count_ == 0) return;
  bool constant = true;
  for (std::uint32_t i = 1; constant && i < count_; ++i) {
    constant = same_bits(values_[i], values_[0]);
  }
  if (constant) {
    constant_ = values_[0];
    values_.reset();
    constant_mode_ = 1;
    if (sparse_ && capacity_ != count_) {
      std::unique_ptr<int[]> keys(new int[count_]);
      std::copy(keys_.get(), keys_.get() + count_, keys.get());
      keys_ = std::move(keys);
    }
    capacity_ = sparse_ ? count_ : 0;
    return;
  }
  if (capacity_ != count_) reallocate(count_);
}

int EpochSeries::key_at(std::size_t position) const {
  return sparse_ ? keys_[position] : static_cast<int>(position);
}

double EpochSeries::value_at(std::size_t position) const {
  return constant_mode_ ? constant_ : values_[position];
}

std::size_t EpochSeries::position_of(int key) const {
  if (!sparse_) return key >= 0 && static_cast<std::size_t>(key) < count_ ? key : count_;
  for (std::size_t i = 0; i < count_; ++i) {
    if (keys_[i] == key) return i;
  }
  return count_;
}

std::optional<double> EpochSeries::find(int epoch) const {
  const auto position = position_of(epoch);
  if (position == count_) return std::nullopt;
  return value_at(position);
}

bool EpochSeries::operator==(const EpochSeries& other) const {
  if (count_ != other.count_) return false;
  for (std::size_t i = 0; i < count_; ++i) {
    if (key_at(i) != other.key_at(i) || !same_bits(value_at(i), other.value_at(i))) return false;
  }
  return true;
}

void EvalSeries::push(std::string_view set, int epoch, double value) {
  std::size_t index = 0;
  while (index < sets_.size() && *sets_[index].name != set) ++index;
  if (index == sets_.size()) {
    if (sets_.size() == 255) throw Error("eval dict: more than 255 distinct eval sets");
    sets_.push_back({intern_set_name(set), EpochSeries()});
  }
  if (order_kind_ != Order::Listed) {  // appended after compact(): list the order again
    std::vector<std::uint8_t> listed(count_);
    for (std::size_t i = 0; i < count_; ++i) listed[i] = set_at(i);
    order_ = std::move(listed);
    order_kind_ = Order::Listed;
  }
  if (count_ >= kMaxSeriesLength) throw Error("eval dict: more than 2^30 entries");
  sets_[index].series.push(epoch, value);
  order_.push_back(static_cast<std::uint8_t>(index));
  ++count_;
}

std::uint8_t EvalSeries::set_at(std::size_t position) const {
  switch (order_kind_) {
    case Order::Listed:
      return order_[position];
    case Order::RoundRobin:
      return static_cast<std::uint8_t>(position % sets_.size());
    case Order::Grouped:
      break;
  }
  std::size_t index = 0;
  while (position >= sets_[index].series.size()) position -= sets_[index++].series.size();
  return static_cast<std::uint8_t>(index);
}

void EvalSeries::compact() {
  for (auto& set : sets_) set.series.compact();
  sets_.shrink_to_fit();
  if (order_kind_ != Order::Listed) return;
  // Sets are numbered by first appearance, so grouped entries list a non-decreasing order.
  const bool grouped = std::is_sorted(order_.begin(), order_.end());
  bool round_robin = !grouped && count_ % sets_.size() == 0;
  for (std::size_t i = 0; round_robin && i < count_; ++i) {
    round_robin = order_[i] == i % sets_.size();
  }
  if (grouped || round_robin) {
    order_kind_ = grouped ? Order::Grouped : Order::RoundRobin;
    std::vector<std::uint8_t>().swap(order_);
  } else {
    order_.shrink_to_fit();
  }
}

std::optional<double> EvalSeries::find(const std::string& set, int epoch) const {
  for (const auto& entry : sets_) {
    if (*entry.name == set) return entry.series.find(epoch);
  }
  return std::nullopt;
}

std::vector<EvalSeries::Entry> EvalSeries::entries() const {
  std::vector<Entry> out;
  out.reserve(count_);
  std::vector<std::size_t> next(sets_.size(), 0);
  for (std::size_t i = 0; i < count_; ++i) {
    const auto index = set_at(i);
    const auto position = next[index]++;
    const auto& series = sets_[index].series;
    out.push_back({sets_[index].name, series.key_at(position), series.value_at(position)});
  }
  return out;
}

bool EvalSeries::operator==(const EvalSeries& other) const {
  if (count_ != other.count_) return false;
  const auto a = entries(), b = other.entries();
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (*a[i].set != *b[i].set || a[i].epoch != b[i].epoch || !same_bits(a[i].value, b[i].value)) {
      return false;
    }
  }
  return true;
}

bool Record::operator==(const Record& o) const {
  const auto same_config = (arch_config == nullptr && o.arch_config == nullptr) ||
                           (arch_config && o.arch_config && *arch_config == *o.arch_config);
  const auto same_latency =
      latency.has_value() == o.latency.has_value() &&
      (!latency || (latency->size() == o.latency->size() &&
                    std::equal(latency->begin(), latency->end(), o.latency->begin(), same_bits)));
  return name == o.name && train_acc1es == o.train_acc1es && train_acc5es == o.train_acc5es &&
         train_losses == o.train_losses && train_times == o.train_times && same_config &&
         same_bits(params, o.params) && same_bits(flop, o.flop) && seed == o.seed &&
         epochs == o.epochs && same_latency && eval_names == o.eval_names &&
         eval_acc1es == o.eval_acc1es && eval_times == o.eval_times &&
         eval_losses == o.eval_losses && has_weights == o.has_weights;
}

const std::vector<int>* ArchResult::seeds_of(const std::string& dataset) const {
  for (const auto& [name, seeds] : dataset_seed) {
    if (name == dataset) return &seeds;
  }
  return nullptr;
}

bool ArchResult::operator==(const ArchResult& o) const {
  return arch_index == o.arch_index && arch_str == o.arch_str && all_results == o.all_results &&
         dataset_seed == o.dataset_seed && clear_net_done == o.clear_net_done;
}

}  // namespace natsbench::bench
