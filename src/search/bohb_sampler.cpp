#include "natsbench/search/bohb_sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

namespace natsbench::search {

namespace {

// HpBandSter's BOHB settings as NATS-Bench ran it (docs/nas-algorithms.md §6.4).
constexpr double kTiny = 1e-32;
constexpr double kMinBandwidth = 0.3;
constexpr int kNumSamples = 4;
constexpr std::size_t kTopPercent = 15;

}  // namespace

CategoricalKde::CategoricalKde(std::vector<Choices> data, double min_bandwidth)
    : data_(std::move(data)) {
  const std::size_t d = data_.front().size();
  const double n = static_cast<double>(data_.size());
  for (std::size_t dim = 0; dim < d; ++dim) {
    double mean = 0;
    for (const auto& row : data_) mean += row[dim];
    mean /= n;
    double squares = 0;
    std::vector<int> values;
    for (const auto& row : data_) {
      squares += (row[dim] - mean) * (row[dim] - mean);
      values.push_back(row[dim]);
    }
    std::sort(values.begin(), values.end());
    levels_.push_back(static_cast<int>(std::unique(values.begin(), values.end()) - values.begin()));
    const double h =
        1.06 * std::sqrt(squares / n) * std::pow(n, -1.0 / (4.0 + static_cast<double>(d)));
    bandwidth_.push_back(std::clamp(h, min_bandwidth, 1.0));
  }
}

double CategoricalKde::pdf(const Choices& x) const {
  double sum = 0;
  for (const auto& row : data_) {
    double product = 1;
    for (std::size_t dim = 0; dim < x.size(); ++dim) {
      const double h = bandwidth_[dim];
      product *= row[dim] == x[dim] ? 1 - h : h / (levels_[dim] - 1);
    }
    sum += product;
  }
  return sum / static_cast<double>(data_.size());
}

BohbSampler::BohbSampler(int positions, int choices_per_position, std::uint64_t seed)
    : positions_(positions), choices_(choices_per_position), random_(seed) {}

Choices BohbSampler::uniform() {
  Choices choices(static_cast<std::size_t>(positions_));
  for (int& c : choices) c = random_.below(choices_);
  return choices;
}

Choices BohbSampler::sample() {
  if (models_.empty()) return uniform();
  const Model& model = models_.rbegin()->second;  // the largest budget with a model
  // Python's max(a, b) is `b if b > a else a`: a NaN density becomes 1e-32 in the numerator and
  // stays NaN in the denominator.
  const auto ratio = [&](const Choices& x) {
    const double g = model.bad.pdf(x), l = model.good.pdf(x);
    const double numerator = g > kTiny ? g : kTiny;
    const double denominator = kTiny > l ? kTiny : l;
    return numerator / denominator;
  };
  std::optional<Choices> best;
  double best_ratio = std::numeric_limits<double>::infinity();
  const auto& data = model.good.data();
  for (int i = 0; i < kNumSamples; ++i) {
    const Choices& datum =
        data[static_cast<std::size_t>(random_.below(static_cast<int>(data.size())))];
    Choices candidate(datum.size());
    for (std::size_t dim = 0; dim < datum.size(); ++dim) {
      const double bw = std::max(model.good.bandwidth(dim), kMinBandwidth);
      candidate[dim] = random_.next() < 1 - bw ? datum[dim] : random_.below(choices_);
    }
    const double value = ratio(candidate);
    if (!std::isfinite(value) && std::isfinite(model.good.pdf(candidate))) {
      // The bad density is infinite (a value its data never took, L = 1): BOHB takes it.
      best = std::move(candidate);
      break;
    }
    if (value < best_ratio) {
      best_ratio = value;
      best = std::move(candidate);
    }
  }
  return best ? *best : uniform();
}

void BohbSampler::record(const Choices& choices, double loss, double budget) {
  if (!models_.empty() && models_.rbegin()->first > budget) return;
  auto& seen = results_[budget];
  seen.emplace_back(loss, choices);
  const std::size_t d = choices.size(), n = seen.size();
  if (n < d + 1) return;
  const std::size_t n_good = std::max(d + 1, kTopPercent * n / 100);
  const std::size_t n_bad = std::max(d + 1, (100 - kTopPercent) * n / 100);
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return seen[a].first < seen[b].first; });
  std::vector<Choices> good, bad;
  for (std::size_t i = 0; i < n && i < n_good + n_bad; ++i) {
    (i < n_good ? good : bad).push_back(seen[order[i]].second);
  }
  if (good.size() <= d || bad.size() <= d) return;
  models_.insert_or_assign(budget, Model{CategoricalKde(std::move(good), kMinBandwidth),
                                         CategoricalKde(std::move(bad), kMinBandwidth)});
}

}  // namespace natsbench::search
