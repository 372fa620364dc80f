// BOHB's sampler (docs/nas-algorithms.md §6.4): the categorical KDE as statsmodels computes it,
// when models appear, and that proposals follow the good/bad density ratio.
#include <catch2/catch.hpp>
#include <cmath>

#include "natsbench/search/bohb_sampler.h"

using namespace natsbench::search;

TEST_CASE("categorical KDE: Aitchison-Aitken kernels, normal-reference bandwidths", "[search]") {
  const CategoricalKde kde({{0, 1}, {0, 2}, {1, 1}}, 0.3);
  // Both columns take two values, one of them twice: population std sqrt(2) / 3.
  const double h = 1.06 * (std::sqrt(2.0) / 3) * std::pow(3.0, -1.0 / 6);
  CHECK(kde.bandwidth(0) == Approx(h).epsilon(1e-15));
  CHECK(kde.bandwidth(1) == Approx(h).epsilon(1e-15));
  // L = 2 levels per column: a differing value weighs h / (L - 1) = h.
  const double agree = 1 - h, differ = h;
  CHECK(kde.pdf({0, 1}) ==
        Approx((agree * agree + agree * differ + differ * agree) / 3).epsilon(1e-15));
  CHECK(kde.pdf({1, 2}) ==
        Approx((differ * agree + differ * differ + agree * differ) / 3).epsilon(1e-15));

  // One value only: std 0, the bandwidth is the minimum, and another value has density +inf
  // (h / (L - 1) with L = 1), as numpy computes it.
  const CategoricalKde constant({{3}, {3}, {3}}, 0.3);
  CHECK(constant.bandwidth(0) == 0.3);
  CHECK(constant.pdf({3}) == Approx(0.7).epsilon(1e-15));
  CHECK(std::isinf(constant.pdf({2})));
  // Widely spread values: the bandwidth is held at 1.
  const CategoricalKde spread({{0}, {7}, {0}, {7}}, 0.3);
  CHECK(spread.bandwidth(0) == 1.0);
}

TEST_CASE("BOHB sampler: a model once a budget has d + 1 good and d + 1 bad results", "[search]") {
  BohbSampler sampler(2, 5, 1);
  // d = 2: good = the 3 best (15 % is less), bad = the rest, which needs 3 more.
  for (int i = 0; i < 5; ++i) {
    sampler.record({i % 5, (i * 2) % 5}, 50.0 + i, 1.0);
    CHECK(sampler.model_budget() == -1);
  }
  sampler.record({1, 3}, 60, 1.0);
  CHECK(sampler.model_budget() == 1.0);
  for (int i = 0; i < 6; ++i) sampler.record({i % 5, (i * 3) % 5}, 40.0 + i, 4.0);
  CHECK(sampler.model_budget() == 4.0);
  // Below the largest modelled budget, results change nothing.
  for (int i = 0; i < 20; ++i) sampler.record({i % 5, i % 5}, 10.0, 1.0);
  CHECK(sampler.model_budget() == 4.0);
}

TEST_CASE("BOHB sampler: proposals favour what the good configurations share", "[search]") {
  BohbSampler sampler(2, 5, 7);
  // 40 results: the 6 good ones (15 %) have op 0 or 1 at position 0, the bad ones 2, 3 or 4;
  // position 1 is spread alike in both, so only position 0 tells them apart.
  for (int i = 0; i < 40; ++i) {
    const bool good = i < 6;
    sampler.record({good ? i % 2 : 2 + i % 3, i % 5}, good ? 10.0 + i : 60.0 + i, 12.0);
  }
  REQUIRE(sampler.model_budget() == 12.0);
  int good_like = 0;
  const int samples = 400;
  for (int i = 0; i < samples; ++i) good_like += sampler.sample()[0] <= 1;
  // A perturbed good configuration keeps 0/1 with probability ~0.76; the lowest ratio of 4 of
  // them almost always does (~0.997), the highest would only ~1/3 of the time.
  INFO(good_like << " of " << samples);
  CHECK(good_like > 0.9 * samples);
}
