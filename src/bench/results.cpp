#include "natsbench/bench/results.h"

#include <algorithm>
#include <cstring>

#include "natsbench/util/error.h"

namespace natsbench::bench {

namespace {
bool same_bits(double a, double b) {
  return std::memcmp(&a, &b, sizeof(double)) == 0;
}
}  // namespace

void EpochSeries::push(int key, double value) {
  if (constant_mode_) {
    // Re-expand: rare (only when a caller appends after compact()).
    values_.assign(count_, constant_);
    constant_mode_ = false;
  }
  if (!sparse_ && key != static_cast<int>(count_)) {
    sparse_ = true;
    keys_.reserve(count_ + 1);
    for (std::size_t i = 0; i < count_; ++i) keys_.push_back(static_cast<int>(i));
  }
  if (sparse_) keys_.push_back(key);
  values_.push_back(value);
  ++count_;
}

void EpochSeries::compact() {
  if (constant_mode_ || values_.empty()) return;
  for (double v : values_) {
    if (!same_bits(v, values_.front())) {
      values_.shrink_to_fit();
      keys_.shrink_to_fit();
      return;
    }
  }
  constant_ = values_.front();
  constant_mode_ = true;
  std::vector<double>().swap(values_);
  keys_.shrink_to_fit();
}

int EpochSeries::key_at(std::size_t position) const {
  return sparse_ ? keys_[position] : static_cast<int>(position);
}

double EpochSeries::value_at(std::size_t position) const {
  return constant_mode_ ? constant_ : values_[position];
}

std::size_t EpochSeries::position_of(int key) const {
  if (!sparse_) return key >= 0 && static_cast<std::size_t>(key) < count_ ? key : count_;
  for (std::size_t i = 0; i < keys_.size(); ++i) {
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
  while (index < sets_.size() && sets_[index] != set) ++index;
  if (index == sets_.size()) {
    if (sets_.size() == 255) throw Error("eval dict: more than 255 distinct eval sets");
    sets_.emplace_back(set);
    series_.emplace_back();
  }
  if (order_kind_ != Order::Listed) {  // appended after compact(): list the order again
    std::vector<std::uint8_t> listed(count_);
    for (std::size_t i = 0; i < count_; ++i) listed[i] = set_at(i);
    order_ = std::move(listed);
    order_kind_ = Order::Listed;
  }
  series_[index].push(epoch, value);
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
  while (position >= series_[index].size()) position -= series_[index++].size();
  return static_cast<std::uint8_t>(index);
}

void EvalSeries::compact() {
  for (auto& series : series_) series.compact();
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
  sets_.shrink_to_fit();
  series_.shrink_to_fit();
}

std::optional<double> EvalSeries::find(const std::string& set, int epoch) const {
  for (std::size_t i = 0; i < sets_.size(); ++i) {
    if (sets_[i] == set) return series_[i].find(epoch);
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
    out.push_back(
        {&sets_[index], series_[index].key_at(position), series_[index].value_at(position)});
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
