#pragma once
// The random parts of the multi-trial searches that the reference drove with torch's or numpy's
// generator (REINFORCE's policy, BOHB's configuration sampler; docs/nas-algorithms.md §6.3-6.4).
#include <cstdint>
#include <map>
#include <random>
#include <utility>
#include <vector>

namespace natsbench::search {

// A candidate as choice positions: ops (tss, one per edge) or widths (sss, one per layer).
using Choices = std::vector<int>;

// 53-bit uniforms from a 64-bit Mersenne Twister. std's distributions are implementation-defined;
// this keeps runs equal across standard libraries.
class Uniform {
 public:
  explicit Uniform(std::uint64_t seed) : generator_(seed) {}
  double next() { return static_cast<double>(generator_() >> 11) * 0x1.0p-53; }
  // Uniform over 0..n-1.
  int below(int n) {
    const int k = static_cast<int>(next() * n);
    return k < n ? k : n - 1;
  }

 private:
  std::mt19937_64 generator_;
};

// statsmodels' KDEMultivariate over unordered variables, as BOHB builds it: the density is the
// mean over the data of the product of per-dimension Aitchison-Aitken kernels, 1 - h where the
// values agree and h / (L - 1) where they differ, L being the number of distinct values of the
// dimension in this KDE's data (L = 1 divides by zero: +inf, as numpy gives). Bandwidths follow
// the normal-reference rule, h = 1.06 std n^(-1/(4+d)) (population std), held in
// [min_bandwidth, 1].
class CategoricalKde {
 public:
  CategoricalKde(std::vector<Choices> data, double min_bandwidth);
  double pdf(const Choices& x) const;
  const std::vector<Choices>& data() const { return data_; }
  double bandwidth(std::size_t dim) const { return bandwidth_[dim]; }

 private:
  std::vector<Choices> data_;
  std::vector<double> bandwidth_;
  std::vector<int> levels_;
};

// BOHB's configuration generator (HpBandSter's, with its paper settings): uniform until some
// budget has a model; then, from the models of the largest such budget, the best of 4
// perturbed good configurations by the ratio bad density / good density.
class BohbSampler {
 public:
  BohbSampler(int positions, int choices_per_position, std::uint64_t seed);

  Choices sample();
  // Registers a finished evaluation (loss = 100 - accuracy) and refits that budget's models:
  // good = the 15 % lowest losses (at least d + 1), bad = the next 85 % (at least d + 1).
  // Results below the largest modelled budget are ignored, as HpBandSter does.
  void record(const Choices& choices, double loss, double budget);
  // The budget whose models sample() uses; -1 before any model.
  double model_budget() const { return models_.empty() ? -1 : models_.rbegin()->first; }

 private:
  struct Model {
    CategoricalKde good, bad;
  };
  Choices uniform();

  int positions_, choices_;
  Uniform random_;
  std::map<double, std::vector<std::pair<double, Choices>>> results_;  // budget -> (loss, config)
  std::map<double, Model> models_;
};

}  // namespace natsbench::search
