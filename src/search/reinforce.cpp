#include "candidates.h"

#include <algorithm>
#include <cmath>

#include "natsbench/search/algorithm.h"
#include "natsbench/util/error.h"

namespace natsbench::search {

namespace {

// REINFORCE's policy: one softmax row per position over its choices, in float32 as the
// reference's torch parameters, trained with Adam (torch's defaults besides the rate).
class Policy {
 public:
  Policy(Space space, double learning_rate, std::uint64_t seed)
      : rows_(positions(space)),
        cols_(choices_per_position(space)),
        learning_rate_(static_cast<float>(learning_rate)),
        random_(seed),
        logits_(static_cast<std::size_t>(rows_ * cols_)),
        first_moment_(logits_.size(), 0.0F),
        second_moment_(logits_.size(), 0.0F) {
    // 1e-3 * N(0, 1), by Box-Muller.
    for (std::size_t i = 0; i < logits_.size(); i += 2) {
      const double u1 = 1.0 - random_.next(), u2 = random_.next();
      const double radius = std::sqrt(-2.0 * std::log(u1));
      logits_[i] = static_cast<float>(1e-3 * radius * std::cos(2 * M_PI * u2));
      if (i + 1 < logits_.size()) {
        logits_[i + 1] = static_cast<float>(1e-3 * radius * std::sin(2 * M_PI * u2));
      }
    }
  }

  Choices sample() {
    Choices choices(static_cast<std::size_t>(rows_));
    for (int r = 0; r < rows_; ++r) {
      const auto p = probabilities(r);
      const double u = random_.next();
      double cumulative = 0;
      int pick = cols_ - 1;
      for (int c = 0; c < cols_; ++c) {
        cumulative += p[static_cast<std::size_t>(c)];
        if (u < cumulative) {
          pick = c;
          break;
        }
      }
      choices[static_cast<std::size_t>(r)] = pick;
    }
    return choices;
  }

  // One Adam step on loss = -advantage * sum_r log pi(choice_r):
  // d loss / d logit_rc = -advantage * (1[c == choice_r] - pi_rc).
  void reinforce(const Choices& choices, double advantage) {
    ++steps_;
    const float a = static_cast<float>(advantage);
    constexpr float beta1 = 0.9F, beta2 = 0.999F, eps = 1e-8F;
    const float correction1 = 1.0F - std::pow(beta1, static_cast<float>(steps_));
    const float correction2 = 1.0F - std::pow(beta2, static_cast<float>(steps_));
    std::vector<float> gradient(logits_.size());
    for (int r = 0; r < rows_; ++r) {
      const auto p = probabilities(r);
      for (int c = 0; c < cols_; ++c) {
        const float chosen = c == choices[static_cast<std::size_t>(r)] ? 1.0F : 0.0F;
        gradient[static_cast<std::size_t>(r * cols_ + c)] =
            -a * (chosen - p[static_cast<std::size_t>(c)]);
      }
    }
    for (std::size_t i = 0; i < logits_.size(); ++i) {
      first_moment_[i] = beta1 * first_moment_[i] + (1 - beta1) * gradient[i];
      second_moment_[i] = beta2 * second_moment_[i] + (1 - beta2) * gradient[i] * gradient[i];
      const float denominator = std::sqrt(second_moment_[i]) / std::sqrt(correction2) + eps;
      logits_[i] -= learning_rate_ / correction1 * first_moment_[i] / denominator;
    }
  }

 private:
  std::vector<float> probabilities(int row) const {
    const float* x = &logits_[static_cast<std::size_t>(row * cols_)];
    const float top = *std::max_element(x, x + cols_);
    std::vector<float> p(static_cast<std::size_t>(cols_));
    float sum = 0;
    for (int c = 0; c < cols_; ++c) sum += p[static_cast<std::size_t>(c)] = std::exp(x[c] - top);
    for (float& v : p) v /= sum;
    return p;
  }

  int rows_, cols_;
  float learning_rate_;
  Uniform random_;
  std::vector<float> logits_, first_moment_, second_moment_;
  long steps_ = 0;
};

// The reference's bias-corrected moving average: numerator and denominator both decay, so the
// first value is the first reward itself.
class MovingAverage {
 public:
  explicit MovingAverage(double momentum) : momentum_(momentum) {}
  void update(double value) {
    numerator_ = momentum_ * numerator_ + (1 - momentum_) * value;
    denominator_ = momentum_ * denominator_ + (1 - momentum_);
  }
  double value() const { return numerator_ / denominator_; }

 private:
  double momentum_, numerator_ = 0, denominator_ = 0;
};

struct ReinforceSettings {
  double learning_rate = 0.01;  // Adam
  double ema_momentum = 0.9;    // of the reward baseline
};

// REINFORCE (docs/nas-algorithms.md §6): a softmax policy per position, rewarded with the
// simulated accuracy minus a moving-average baseline.
SearchRun reinforce(bench::Benchmark& benchmark, const SearchSettings& settings,
                    const ReinforceSettings& reinforce, std::uint64_t seed) {
  Trajectory trajectory(benchmark, settings, seed);
  Policy policy(benchmark.space(), reinforce.learning_rate, seed);
  MovingAverage baseline(reinforce.ema_momentum);
  while (trajectory.within_budget()) {
    const Choices choices = policy.sample();
    const double reward = trajectory.evaluate(choices);
    baseline.update(reward);  // before the advantage, as the reference does
    policy.reinforce(choices, reward - baseline.value());
  }
  return trajectory.take();
}

class Reinforce : public Algorithm {
 public:
  std::vector<Knob> knobs() override {
    return {{"--learning-rate", "REINFORCE Adam learning rate", &settings_.learning_rate},
            {"--ema-momentum", "REINFORCE baseline momentum", &settings_.ema_momentum}};
  }
  void check() const override {
    if (!(settings_.learning_rate > 0))
      throw ArgError("search: the learning rate must be positive");
    if (!(settings_.ema_momentum >= 0 && settings_.ema_momentum < 1)) {
      throw ArgError("search: the baseline momentum must be in [0, 1)");
    }
  }
  SearchRun run(bench::Benchmark& benchmark, const SearchSettings& settings,
                std::uint64_t seed) override {
    return reinforce(benchmark, settings, settings_, seed);
  }

 private:
  ReinforceSettings settings_;
};

}  // namespace

std::unique_ptr<Algorithm> make_reinforce() {
  return std::make_unique<Reinforce>();
}

}  // namespace natsbench::search
