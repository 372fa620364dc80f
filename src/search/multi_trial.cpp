#include "natsbench/search/multi_trial.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <deque>
#include <optional>
#include <variant>

#include "natsbench/bench/benchmark.h"
#include "natsbench/bench/errors.h"
#include "natsbench/data/registry.h"
#include "natsbench/search/bohb_sampler.h"
#include "natsbench/util/error.h"

namespace natsbench::search {

namespace {

// Op order of the topology space and width order of the size space (§1.1, §1.2): the reference
// draws `random.choice` over these lists, so their order decides which candidate a draw gives.
constexpr std::array<std::string_view, 5> kOps = {"none", "skip_connect", "nor_conv_1x1",
                                                  "nor_conv_3x3", "avg_pool_3x3"};
constexpr std::array<int, 8> kWidths = {8, 16, 24, 32, 40, 48, 56, 64};
constexpr int kEdges = 6;   // tss: 1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2
constexpr int kLayers = 5;  // sss: c0..c4

int choices_per_position(Space space) {
  return space == Space::Topology ? static_cast<int>(kOps.size())
                                  : static_cast<int>(kWidths.size());
}
int positions(Space space) {
  return space == Space::Topology ? kEdges : kLayers;
}

std::string arch_string(Space space, const Choices& choices) {
  std::string out;
  if (space == Space::Topology) {
    int edge = 0;
    for (int node = 1; node <= 3; ++node) {
      if (node > 1) out += '+';
      out += '|';
      for (int from = 0; from < node; ++from, ++edge) {
        out += kOps[static_cast<std::size_t>(choices[static_cast<std::size_t>(edge)])];
        out += '~';
        out += std::to_string(from);
        out += '|';
      }
    }
  } else {
    for (int layer = 0; layer < kLayers; ++layer) {
      if (layer > 0) out += ':';
      out += std::to_string(
          kWidths[static_cast<std::size_t>(choices[static_cast<std::size_t>(layer)])]);
    }
  }
  return out;
}

// The reference's random_topology_func / random_size_func: one random.choice per position.
Choices random_candidate(bench::Benchmark& benchmark) {
  const Space space = benchmark.space();
  Choices choices(static_cast<std::size_t>(positions(space)));
  for (int& c : choices) {
    c = static_cast<int>(
        benchmark.random_below(static_cast<std::uint32_t>(choices_per_position(space))));
  }
  return choices;
}

// The reference's mutate_topology_func / mutate_size_func.
Choices mutate(bench::Benchmark& benchmark, Choices child) {
  if (benchmark.space() == Space::Topology) {
    // randint over the 3 nodes, then over the node's incoming edges, then random.choice of an
    // op redrawn until it differs from the current one.
    const int node = 1 + static_cast<int>(benchmark.random_below(3));
    const int from = static_cast<int>(benchmark.random_below(static_cast<std::uint32_t>(node)));
    int& op = child[static_cast<std::size_t>(node * (node - 1) / 2 + from)];
    int next = op;
    while (next == op) next = static_cast<int>(benchmark.random_below(kOps.size()));
    op = next;
  } else {
    // randint over the layers, then random.choice over all widths (the same one possibly).
    const auto layer = benchmark.random_below(kLayers);
    child[layer] = static_cast<int>(benchmark.random_below(kWidths.size()));
  }
  return child;
}

// "12" -> 12, "01" -> 1: the hp tag is the schedule's number of epochs.
int hp_epochs(const std::string& hp) {
  int epochs = 0;
  for (char c : hp) {
    if (c < '0' || c > '9' || epochs > 1000) {
      throw ArgError("search: hp '" + hp + "': expected a number of epochs, e.g. 12");
    }
    epochs = epochs * 10 + (c - '0');
  }
  if (hp.empty() || epochs == 0)
    throw ArgError("search: hp '" + hp + "': expected a number of epochs, e.g. 12");
  return epochs;
}

// Evaluates candidates and keeps the trajectory; the best is the first one with the highest
// simulated accuracy (the reference's strict `>` / max() keep the earliest on ties).
class Trajectory {
 public:
  Trajectory(bench::Benchmark& benchmark, const SearchSettings& settings, std::uint64_t seed)
      : benchmark_(benchmark), settings_(settings) {
    run_.seed = seed;
  }

  // Simulates `epochs` epochs of the hp's schedule (default: all of them).
  double evaluate(const Choices& choices, std::optional<int> epochs = std::nullopt) {
    const std::string arch = arch_string(benchmark_.space(), choices);
    const int index = benchmark_.query_index_by_arch(arch);
    if (index < 0) {
      throw ArgError("search: the benchmark has no architecture " + arch +
                     " in its list; multi-trial search needs the official list of the space");
    }
    bench::SimulateResult result{};
    try {
      const auto iepoch = epochs ? std::optional<int>(*epochs - 1) : std::nullopt;
      result = benchmark_.simulate_train_eval(index, settings_.dataset, iepoch, settings_.hp);
    } catch (const bench::UnknownIndexError& e) {
      throw ArgError(std::string("search: ") + e.what() +
                     " (multi-trial search samples the whole space: every architecture needs "
                     "results at hp " +
                     settings_.hp + ")");
    } catch (const bench::UnknownHpError& e) {
      throw ArgError(std::string("search: ") + e.what());
    }
    if (run_.evaluations.empty() || result.accuracy > run_.best_accuracy) {
      run_.best_index = index;
      run_.best_accuracy = result.accuracy;
    }
    run_.evaluations.push_back({index, epochs.value_or(hp_epochs(settings_.hp)), result.accuracy,
                                result.time_cost, result.used_time, run_.best_index});
    return result.accuracy;
  }

  bool within_budget() const {
    return run_.evaluations.empty() || run_.evaluations.back().total_time < settings_.time_budget;
  }

  SearchRun take() { return std::move(run_); }

 private:
  bench::Benchmark& benchmark_;
  const SearchSettings& settings_;
  SearchRun run_;
};

SearchRun random_search(bench::Benchmark& benchmark, const SearchSettings& settings,
                        std::uint64_t seed) {
  Trajectory trajectory(benchmark, settings, seed);
  while (trajectory.within_budget()) trajectory.evaluate(random_candidate(benchmark));
  return trajectory.take();
}

SearchRun regularized_evolution(bench::Benchmark& benchmark, const SearchSettings& settings,
                                std::uint64_t seed) {
  struct Member {
    Choices choices;
    double accuracy;
  };
  Trajectory trajectory(benchmark, settings, seed);
  std::deque<Member> population;
  while (static_cast<int>(population.size()) < settings.population) {
    Choices choices = random_candidate(benchmark);
    const double accuracy = trajectory.evaluate(choices);
    population.push_back({std::move(choices), accuracy});
  }
  while (trajectory.within_budget()) {
    // Tournament: members drawn with replacement, the first most accurate one is the parent.
    const Member* parent = nullptr;
    for (int i = 0; i < settings.tournament; ++i) {
      const Member& drawn =
          population[benchmark.random_below(static_cast<std::uint32_t>(population.size()))];
      if (parent == nullptr || drawn.accuracy > parent->accuracy) parent = &drawn;
    }
    Choices child = mutate(benchmark, parent->choices);
    const double accuracy = trajectory.evaluate(child);
    population.push_back({std::move(child), accuracy});
    population.pop_front();  // aging: the oldest member dies, not the worst
  }
  return trajectory.take();
}

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

SearchRun reinforce(bench::Benchmark& benchmark, const SearchSettings& settings,
                    std::uint64_t seed) {
  Trajectory trajectory(benchmark, settings, seed);
  Policy policy(benchmark.space(), settings.learning_rate, seed);
  MovingAverage baseline(settings.ema_momentum);
  while (trajectory.within_budget()) {
    const Choices choices = policy.sample();
    const double reward = trajectory.evaluate(choices);
    baseline.update(reward);  // before the advantage, as the reference does
    policy.reinforce(choices, reward - baseline.value());
  }
  return trajectory.take();
}

// Hyperband with successive halving, eta 3, budgets max * 3^-2, max * 3^-1, max epochs (1.33,
// 4, 12 for hp 12: 1, 4, 12 epochs simulated), one sequential worker: iteration t runs bracket
// s = 2 - t % 3 with 9/3/1, 3/1 or 3 configurations per rung. Promoted configurations are
// evaluated again, from scratch, in their sampling order; loss = 100 - accuracy.
SearchRun bohb(bench::Benchmark& benchmark, const SearchSettings& settings, std::uint64_t seed) {
  constexpr int kEta = 3, kBrackets = 3;
  const double max_budget = hp_epochs(settings.hp);
  std::array<double, kBrackets> budgets{};
  for (int i = 0; i < kBrackets; ++i) {
    budgets[static_cast<std::size_t>(i)] =
        max_budget * std::pow(double{kEta}, -(kBrackets - 1 - i));
  }
  Trajectory trajectory(benchmark, settings, seed);
  BohbSampler sampler(positions(benchmark.space()), choices_per_position(benchmark.space()), seed);
  struct Config {
    Choices choices;
    double loss;
  };
  for (int iteration = 0; iteration < settings.bohb_iterations; ++iteration) {
    const int s = kBrackets - 1 - iteration % kBrackets;
    const int first = (kBrackets / (s + 1)) * static_cast<int>(std::pow(kEta, s));
    std::vector<Config> rung;
    for (int stage = 0; stage <= s; ++stage) {
      const double budget = budgets[static_cast<std::size_t>(kBrackets - 1 - s + stage)];
      const int epochs = std::max(1, static_cast<int>(budget));
      if (stage == 0) {
        // Sampled one at a time: each sample sees the model the previous result updated.
        for (int k = 0; k < first; ++k) {
          Choices choices = sampler.sample();
          const double loss = 100 - trajectory.evaluate(choices, epochs);
          sampler.record(choices, loss, budget);
          rung.push_back({std::move(choices), loss});
        }
        continue;
      }
      // Promote the lowest losses (the earlier on ties), keeping the sampling order.
      const auto keep = static_cast<std::size_t>(
          std::max(1, static_cast<int>(first * std::pow(double{kEta}, -stage))));
      std::vector<std::size_t> order(rung.size());
      for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
      std::stable_sort(order.begin(), order.end(),
                       [&](std::size_t a, std::size_t b) { return rung[a].loss < rung[b].loss; });
      std::vector<bool> promoted(rung.size(), false);
      for (std::size_t i = 0; i < keep && i < order.size(); ++i) promoted[order[i]] = true;
      std::vector<Config> next;
      for (std::size_t i = 0; i < rung.size(); ++i) {
        if (!promoted[i]) continue;
        const double loss = 100 - trajectory.evaluate(rung[i].choices, epochs);
        sampler.record(rung[i].choices, loss, budget);
        next.push_back({rung[i].choices, loss});
      }
      rung = std::move(next);
    }
  }
  return trajectory.take();
}

void check_settings(const bench::Benchmark& benchmark, const SearchSettings& settings) {
  data::searchable_dataset(settings.dataset, "search");
  if (!(settings.time_budget > 0) || !std::isfinite(settings.time_budget)) {
    throw ArgError("search: the time budget must be a positive number of seconds");
  }
  if (settings.population < 1) throw ArgError("search: the REA population must be at least 1");
  if (settings.tournament < 1) throw ArgError("search: the REA tournament must be at least 1");
  if (!(settings.learning_rate > 0)) throw ArgError("search: the learning rate must be positive");
  if (!(settings.ema_momentum >= 0 && settings.ema_momentum < 1)) {
    throw ArgError("search: the baseline momentum must be in [0, 1)");
  }
  if (settings.bohb_iterations < 1) throw ArgError("search: BOHB needs at least 1 iteration");
  hp_epochs(settings.hp);
  // What is loaded tells the hps (an archive directory loads on first use: nothing yet).
  const auto hps = benchmark.available_hps();
  if (!hps.empty() && std::find(hps.begin(), hps.end(), settings.hp) == hps.end()) {
    std::string list;
    for (const auto& hp : hps) list += (list.empty() ? "" : ", ") + hp;
    throw ArgError("search: hp '" + settings.hp + "': the benchmark has " + list);
  }
  if (benchmark.size() != space_size(benchmark.space())) {
    throw ArgError("search: the benchmark lists " + std::to_string(benchmark.size()) +
                   " architectures; multi-trial search samples the whole space of " +
                   std::to_string(space_size(benchmark.space())));
  }
}

double accuracy_field(const bench::InfoDict& info, const char* key, int index,
                      const std::string& dataset) {
  const bench::Field* field = bench::find_field(info, key);
  if (field == nullptr || !std::holds_alternative<double>(*field)) {
    throw ArgError("search: architecture " + std::to_string(index) + " has no " + key + " on " +
                   dataset);
  }
  return std::get<double>(*field);
}

}  // namespace

Algorithm parse_algorithm(std::string_view name) {
  if (name == "random") return Algorithm::Random;
  if (name == "rea") return Algorithm::Evolution;
  if (name == "reinforce") return Algorithm::Reinforce;
  if (name == "bohb") return Algorithm::Bohb;
  throw ArgError("search: algorithm '" + std::string(name) +
                 "': expected random, rea, reinforce or bohb");
}

std::string_view algorithm_name(Algorithm algorithm) {
  switch (algorithm) {
    case Algorithm::Random:
      return "random";
    case Algorithm::Evolution:
      return "rea";
    case Algorithm::Reinforce:
      return "reinforce";
    case Algorithm::Bohb:
      return "bohb";
  }
  return "";
}

double paper_time_budget(Space space, const std::string& dataset) {
  const data::SearchInfo& search = *data::searchable_dataset(dataset, "search").search;
  return space == Space::Topology ? search.tss_budget : search.sss_budget;
}

std::string full_fidelity_hp(Space space) {
  return space == Space::Topology ? "200" : "90";
}

SearchRun run_search(bench::Benchmark& benchmark, Algorithm algorithm,
                     const SearchSettings& settings, std::uint64_t seed) {
  check_settings(benchmark, settings);
  benchmark.reset_time();
  benchmark.seed_random(seed);
  switch (algorithm) {
    case Algorithm::Random:
      return random_search(benchmark, settings, seed);
    case Algorithm::Evolution:
      return regularized_evolution(benchmark, settings, seed);
    case Algorithm::Reinforce:
      return reinforce(benchmark, settings, seed);
    case Algorithm::Bohb:
      return bohb(benchmark, settings, seed);
  }
  throw ArgError("search: unknown algorithm");
}

Score reported_accuracy(bench::Benchmark& benchmark, int index, const std::string& dataset,
                        const std::string& hp) {
  const data::SearchInfo& search = *data::searchable_dataset(dataset, "search").search;
  const auto mean = bench::SeedChoice::mean();
  std::optional<bench::InfoDict> info;  // one query when both sets are of the same dataset
  std::string_view queried;
  const auto accuracy = [&](const data::SetRef& ref) {
    if (!info || queried != ref.dataset) {
      info = benchmark.get_more_info(index, std::string(ref.dataset), std::nullopt, hp, mean);
      queried = ref.dataset;
    }
    const std::string field = std::string(data::info_group_of(ref)) + "-accuracy";
    return accuracy_field(*info, field.c_str(), index, std::string(ref.dataset));
  };
  const double valid = accuracy(search.valid);
  return {valid, accuracy(search.test)};
}

Score score_at(bench::Benchmark& benchmark, const SearchRun& run, double t,
               const std::string& dataset, const std::string& hp) {
  if (run.evaluations.empty()) throw ArgError("search: a run without evaluations has no score");
  // The two evaluations nearest to t; a stable sort keeps the earlier one first on ties, as
  // Python's sorted() does.
  std::vector<std::size_t> order(run.evaluations.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return std::fabs(run.evaluations[a].total_time - t) <
           std::fabs(run.evaluations[b].total_time - t);
  });
  const Evaluation& a = run.evaluations[order[0]];
  const Score score_a = reported_accuracy(benchmark, a.best_index, dataset, hp);
  if (order.size() == 1) return score_a;
  const Evaluation& b = run.evaluations[order[1]];
  const Score score_b = reported_accuracy(benchmark, b.best_index, dataset, hp);
  const double span = b.total_time - a.total_time;
  if (span == 0) return score_a;
  const double wa = (b.total_time - t) / span, wb = (t - a.total_time) / span;
  return {wa * score_a.valid + wb * score_b.valid, wa * score_a.test + wb * score_b.test};
}

}  // namespace natsbench::search
