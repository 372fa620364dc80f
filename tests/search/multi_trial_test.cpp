// Multi-trial search (docs/nas-algorithms.md §6, §8.1) on in-memory benchmarks whose accuracy
// is a known function of the architecture, so that what the algorithms find can be judged.
// Equality with Python runs on the official API is checked in tests/cli/search_test.sh.
#include <catch2/catch.hpp>
#include <cmath>
#include <memory>
#include <numeric>
#include <set>

#include "natsbench/bench/benchmark.h"
#include "natsbench/search/algorithm.h"
#include "natsbench/search/multi_trial.h"
#include "natsbench/space/arch.h"
#include "natsbench/util/error.h"

using namespace natsbench;
using namespace natsbench::search;
using bench::ArchInfo;
using bench::ArchResult;
using bench::Benchmark;
using bench::Record;

namespace {

// tss: the sum of per-edge op values; sss: the sum of the widths / 8. Higher is better, and the
// optimum is unique (all nor_conv_3x3 / all 64).
double landscape(Space space, const std::string& arch) {
  if (space == Space::Size) {
    double sum = 0;
    for (int width : arch_from_index(space, lookup_arch(space, arch).index).channels) sum += width;
    return sum / 8;
  }
  double sum = 0;
  const std::pair<const char*, double> values[] = {
      {"skip_connect", 1}, {"nor_conv_1x1", 2}, {"nor_conv_3x3", 4}, {"avg_pool_3x3", 0.5}};
  for (const auto& [op, value] : values) {
    for (std::size_t at = arch.find(op); at != std::string::npos; at = arch.find(op, at + 1)) {
      sum += value;
    }
  }
  return sum;
}

// One run of `epochs` epochs: validation accuracy `accuracy` at the last epoch (lower before),
// `train_time` seconds per epoch, 0.5 s per evaluation pass.
Record make_record(const std::string& dataset, int seed, int epochs, double accuracy,
                   double train_time) {
  Record r;
  r.name = dataset;
  r.seed = std::to_string(seed);
  while (r.seed.size() < 4) r.seed.insert(r.seed.begin(), '0');
  r.epochs = epochs;
  r.train_times.emplace();
  r.latency = std::vector<double>{0.01};
  if (dataset == "cifar10-valid") {
    r.eval_names = {"x-valid", "ori-test"};
  } else if (dataset == "cifar10") {
    r.eval_names = {"ori-test"};
  } else {
    r.eval_names = {"x-valid", "x-test", "ori-test"};
  }
  for (int e = 0; e < epochs; ++e) {
    const double at_epoch = accuracy - (epochs - 1 - e);
    r.train_acc1es.push(e, at_epoch);
    r.train_losses.push(e, 1.0 / (1 + e));
    r.train_times->push(e, train_time);
    for (const auto& set : r.eval_names) {
      // x-test a little below x-valid, so that a mix-up of the two shows.
      const double value = set == "x-test" ? at_epoch - 0.25 : at_epoch;
      r.eval_acc1es.push(set, e, value);
      r.eval_losses.push(set, e, 1.0);
      r.eval_times.push(set, e, 0.5);
    }
  }
  return r;
}

// Every architecture of the space at one hp: cifar10-valid with seeds 777 and 888 (accuracies
// 0.5 apart, so the seed simulate_train_eval draws matters), cifar10 and cifar100 with seed 777.
std::unique_ptr<Benchmark> make_landscape(Space space, const std::string& hp = "12",
                                          int epochs = 12) {
  std::vector<std::string> archs;
  for (int i = 0; i < space_size(space); ++i) archs.push_back(arch_from_index(space, i).arch_str);
  auto benchmark = std::make_unique<Benchmark>(space, archs);
  for (int i = 0; i < space_size(space); ++i) {
    const double value = landscape(space, archs[static_cast<std::size_t>(i)]);
    ArchResult result;
    result.arch_index = i;
    result.arch_str = archs[static_cast<std::size_t>(i)];
    const double train_time = 1 + value / 8;  // better candidates cost more, as in the benchmark
    result.all_results[{"cifar10-valid", 777}] =
        make_record("cifar10-valid", 777, epochs, 50 + value, train_time);
    result.all_results[{"cifar10-valid", 888}] =
        make_record("cifar10-valid", 888, epochs, 50.5 + value, train_time);
    result.all_results[{"cifar10", 777}] =
        make_record("cifar10", 777, epochs, 51 + value, train_time);
    result.all_results[{"cifar100", 777}] =
        make_record("cifar100", 777, epochs, 20 + value, train_time);
    result.dataset_seed = {{"cifar10-valid", {777, 888}}, {"cifar10", {777}}, {"cifar100", {777}}};
    ArchInfo info;
    info.emplace_back(hp, std::move(result));
    benchmark->set_arch_info(i, std::move(info));
  }
  return benchmark;
}

Benchmark& tss() {
  static const auto benchmark = make_landscape(Space::Topology);
  return *benchmark;
}

SearchSettings settings(const std::string& dataset, double budget) {
  SearchSettings s;
  s.dataset = dataset;
  s.time_budget = budget;
  return s;
}

double mean_best_landscape(Benchmark& api, std::string_view algorithm, const SearchSettings& s,
                           int runs) {
  double sum = 0;
  for (int seed = 0; seed < runs; ++seed) {
    const auto run = run_search(api, algorithm, s, static_cast<std::uint64_t>(seed));
    sum += landscape(api.space(), api.arch(run.best_index));
  }
  return sum / runs;
}

int positions_differing(Space space, int a, int b) {
  const auto x = arch_from_index(space, a), y = arch_from_index(space, b);
  if (space == Space::Size) {
    int n = 0;
    for (std::size_t i = 0; i < x.channels.size(); ++i) n += x.channels[i] != y.channels[i];
    return n;
  }
  int n = 0;
  for (std::size_t node = 0; node < x.genotype.nodes.size(); ++node) {
    for (std::size_t edge = 0; edge < x.genotype.nodes[node].size(); ++edge) {
      n += !(x.genotype.nodes[node][edge] == y.genotype.nodes[node][edge]);
    }
  }
  return n;
}

}  // namespace

TEST_CASE("random search: best so far, time accounting and the budget check", "[search]") {
  Benchmark& api = tss();
  const auto run = run_search(api, "random", settings("cifar10", 2000), 3);
  REQUIRE(run.evaluations.size() > 20);
  double total = 0;
  double best = -1;
  int best_index = -1;
  for (std::size_t i = 0; i < run.evaluations.size(); ++i) {
    const auto& e = run.evaluations[i];
    // Cost of a 12-epoch evaluation = 12 epochs of training + one validation pass (§9.1).
    const double train_time = 1 + landscape(api.space(), api.arch(e.index)) / 8;
    CHECK(e.time_cost == 12 * train_time + 0.5);
    total += e.time_cost;
    CHECK(e.total_time == total);
    // The simulated accuracy is one of the two seeds' x-valid accuracies.
    const double value = landscape(api.space(), api.arch(e.index));
    CHECK((e.accuracy == 50 + value || e.accuracy == 50.5 + value));
    if (e.accuracy > best) {  // strict: the earliest of equals stays
      best = e.accuracy;
      best_index = e.index;
    }
    CHECK(e.best_index == best_index);
    // The budget is checked after each evaluation: only the last one reaches it.
    CHECK((e.total_time >= 2000) == (i + 1 == run.evaluations.size()));
  }
  CHECK(run.best_index == best_index);
  CHECK(run.best_accuracy == best);
  CHECK(api.used_time() == total);
}

TEST_CASE("searches are reproducible from their seed and differ between seeds", "[search]") {
  Benchmark& api = tss();
  for (std::string_view name : {"random", "rea", "reinforce", "bohb"}) {
    INFO(name);
    const auto indexes = [&](std::uint64_t seed) {
      std::vector<int> out;
      const auto s = settings("cifar100", 1500);
      auto algorithm = make_algorithm(name);
      if (name == "bohb") set_knob(*algorithm, "--iterations", 6);
      for (const auto& e : run_search(api, *algorithm, s, seed).evaluations) {
        out.push_back(e.index);
      }
      return out;
    };
    const auto first = indexes(5);
    CHECK(indexes(5) == first);
    CHECK(indexes(6) != first);
  }
}

TEST_CASE(
    "REA: the first population is random search's start, then one-edge mutations of "
    "living members",
    "[search]") {
  for (Space space : {Space::Topology, Space::Size}) {
    INFO(space_name(space));
    static const auto sss = make_landscape(Space::Size);
    Benchmark& api = space == Space::Topology ? tss() : *sss;
    const auto rea = run_search(api, "rea", settings("cifar10", 3000), 11);
    const auto random = run_search(api, "random", settings("cifar10", 3000), 11);
    REQUIRE(rea.evaluations.size() > 30);
    // Both draw the population's candidates and simulate_train_eval's seeds from one stream.
    for (std::size_t i = 0; i < 10; ++i) {
      CHECK(rea.evaluations[i].index == random.evaluations[i].index);
      CHECK(rea.evaluations[i].accuracy == random.evaluations[i].accuracy);
    }
    for (std::size_t i = 10; i < rea.evaluations.size(); ++i) {
      // The parent is one of the 10 members alive (the last 10 evaluated): a topology child
      // differs from it in exactly one edge, a size child in at most one layer.
      bool from_a_member = false;
      for (std::size_t j = i - 10; j < i; ++j) {
        const int d =
            positions_differing(space, rea.evaluations[i].index, rea.evaluations[j].index);
        from_a_member = from_a_member || (space == Space::Topology ? d == 1 : d <= 1);
      }
      CHECK(from_a_member);
    }
  }
}

TEST_CASE("REA's population is not budget-checked, random search evaluates at least once",
          "[search]") {
  Benchmark& api = tss();
  CHECK(run_search(api, "rea", settings("cifar10", 1), 0).evaluations.size() == 10);
  auto rea = make_algorithm("rea");
  set_knob(*rea, "--population", 4);
  CHECK(run_search(api, *rea, settings("cifar10", 1), 0).evaluations.size() == 4);
  CHECK_THROWS_WITH(set_knob(*rea, "--iterations", 4), Catch::Contains("not a setting"));
  CHECK_THROWS_WITH(set_knob(*rea, "--population", 2.5), Catch::Contains("integer"));
  set_knob(*rea, "--population", 0);
  CHECK_THROWS_WITH(run_search(api, *rea, settings("cifar10", 1), 0),
                    Catch::Contains("population must be at least 1"));
  CHECK(run_search(api, "random", settings("cifar10", 1), 0).evaluations.size() == 1);
  CHECK(run_search(api, "reinforce", settings("cifar10", 1), 0).evaluations.size() == 1);
}

TEST_CASE("REA and REINFORCE find better architectures than random search", "[search]") {
  Benchmark& api = tss();
  // ~150 evaluations per run; the landscape's optimum is 24, a random candidate's mean 7.5.
  const auto s = settings("cifar10", 3000);
  const double random = mean_best_landscape(api, "random", s, 20);
  const double rea = mean_best_landscape(api, "rea", s, 20);
  INFO("random " << random << ", REA " << rea);
  CHECK(rea > random + 1);

  // REINFORCE learns: with a long budget, its late candidates beat its early ones.
  const auto run = run_search(api, "reinforce", settings("cifar10", 60000), 1);
  REQUIRE(run.evaluations.size() > 1000);
  const auto mean_value = [&](std::size_t from, std::size_t to) {
    double sum = 0;
    for (std::size_t i = from; i < to; ++i) {
      sum += landscape(api.space(), api.arch(run.evaluations[i].index));
    }
    return sum / static_cast<double>(to - from);
  };
  const std::size_t n = run.evaluations.size();
  INFO("first 200: " << mean_value(0, 200) << ", last 200: " << mean_value(n - 200, n));
  CHECK(mean_value(n - 200, n) > mean_value(0, 200) + 2);
}

TEST_CASE("reported accuracies and the score at a time point (§8.1, §9.2)", "[search]") {
  Benchmark& api = tss();
  // cifar10: validation from cifar10-valid's x-valid (seed mean), test from cifar10's ori-test.
  const int top = api.query_index_by_arch(
      "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_"
      "3x3~2|");
  const Score c10 = reported_accuracy(api, top, "cifar10", "12");
  CHECK(c10.valid == (74.0 + 74.5) / 2);
  CHECK(c10.test == 75.0);
  const Score c100 = reported_accuracy(api, top, "cifar100", "12");
  CHECK(c100.valid == 44.0);
  CHECK(c100.test == 43.75);  // x-test, not ori-test

  const int none =
      api.query_index_by_arch("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|");  // landscape 0
  REQUIRE(landscape(api.space(), api.arch(none)) == 0);
  SearchRun run;
  run.evaluations = {
      {none, 12, 0, 10, 10, none}, {top, 12, 0, 10, 20, top}, {top, 12, 0, 10, 30, top}};
  const Score zero = reported_accuracy(api, none, "cifar100", "12");
  // t = 15: nearest 10 and 20 (a tie, the earlier first): halfway between the two bests.
  Score s = score_at(api, run, 15, "cifar100", "12");
  CHECK(s.valid == Approx((zero.valid + c100.valid) / 2).epsilon(1e-12));
  CHECK(s.test == Approx((zero.test + c100.test) / 2).epsilon(1e-12));
  // t = 12: nearest 10 then 20, 20 % of the way.
  s = score_at(api, run, 12, "cifar100", "12");
  CHECK(s.valid == Approx(0.8 * zero.valid + 0.2 * c100.valid).epsilon(1e-12));
  // Beyond the last record both nearest lie on one side: the line through them (flat here).
  s = score_at(api, run, 45, "cifar100", "12");
  CHECK(s.valid == c100.valid);
  run.evaluations.resize(1);
  CHECK(score_at(api, run, 45, "cifar100", "12").test == zero.test);
}

TEST_CASE("search refuses bad settings and partial benchmarks with clear errors", "[search]") {
  Benchmark& api = tss();
  CHECK_THROWS_WITH(run_search(api, "random", settings("cifar10-valid", 100), 0),
                    Catch::Contains("expected cifar10, cifar100 or ImageNet16-120"));
  CHECK_THROWS_WITH(run_search(api, "random", settings("cifar10", 0), 0),
                    Catch::Contains("time budget"));
  CHECK_THROWS_WITH(make_algorithm("darts"),
                    Catch::Contains("expected random, rea, reinforce or bohb"));
  // ImageNet16-120 is not in this landscape: the error names what is missing.
  CHECK_THROWS_AS(run_search(api, "random", settings("ImageNet16-120", 100), 0), Error);

  Benchmark partial(Space::Topology, {arch_from_index(Space::Topology, 0).arch_str});
  CHECK_THROWS_WITH(run_search(partial, "random", settings("cifar10", 100), 0),
                    Catch::Contains("samples the whole space of 15625"));

  std::vector<std::string> archs;
  for (int i = 0; i < space_size(Space::Topology); ++i) {
    archs.push_back(arch_from_index(Space::Topology, i).arch_str);
  }
  Benchmark empty(Space::Topology, archs);
  CHECK_THROWS_WITH(run_search(empty, "random", settings("cifar10", 100), 0),
                    Catch::Contains("every architecture needs results at hp 12"));
  CHECK(paper_time_budget(Space::Topology, "ImageNet16-120") == 120000);
  CHECK(paper_time_budget(Space::Size, "ImageNet16-120") == 60000);
  CHECK(full_fidelity_hp(Space::Size) == "90");
}

TEST_CASE("BOHB: Hyperband brackets, promotions in sampling order, costs by epochs", "[search]") {
  Benchmark& api = tss();
  const auto s = settings("cifar10", 1);  // BOHB is not stopped by the budget
  auto bohb = make_algorithm("bohb");
  set_knob(*bohb, "--iterations", 6);
  const auto run = run_search(api, *bohb, s, 2);
  // Brackets s = 2, 1, 0: 9 x 1 epoch -> 3 x 4 -> 1 x 12; 3 x 4 -> 1 x 12; 3 x 12.
  std::vector<int> expected;
  for (int twice = 0; twice < 2; ++twice) {
    for (const auto& [count, epochs] :
         std::vector<std::pair<int, int>>{{9, 1}, {3, 4}, {1, 12}, {3, 4}, {1, 12}, {3, 12}}) {
      expected.insert(expected.end(), static_cast<std::size_t>(count), epochs);
    }
  }
  std::vector<int> epochs;
  for (const auto& e : run.evaluations) epochs.push_back(e.epochs);
  REQUIRE(epochs == expected);
  for (const auto& e : run.evaluations) {
    // e epochs of training plus one validation pass; the accuracy after e epochs of 12.
    const double value = landscape(api.space(), api.arch(e.index));
    CHECK(e.time_cost == e.epochs * (1 + value / 8) + 0.5);
    CHECK((e.accuracy == 50 + value - (12 - e.epochs) ||
           e.accuracy == 50.5 + value - (12 - e.epochs)));
  }
  for (std::size_t bracket : {std::size_t{0}, std::size_t{20}}) {
    const auto* first = &run.evaluations[bracket];
    // The 3 most accurate of the 9 first-rung candidates (the earlier on ties) are evaluated
    // again at 4 epochs, in their sampling order; the best of those at 12.
    std::vector<std::size_t> order(9);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return first[a].accuracy > first[b].accuracy;
    });
    std::vector<std::size_t> top(order.begin(), order.begin() + 3);
    std::sort(top.begin(), top.end());
    for (std::size_t k = 0; k < 3; ++k) CHECK(first[9 + k].index == first[top[k]].index);
    std::size_t winner = 9;
    for (std::size_t k = 10; k < 12; ++k) {
      if (first[k].accuracy > first[winner].accuracy) winner = k;
    }
    CHECK(first[12].index == first[winner].index);
  }
}

TEST_CASE("BOHB's model-based sampling proposes better candidates than uniform sampling",
          "[search]") {
  Benchmark& api = tss();
  const auto s = settings("cifar10", 1);
  auto bohb = make_algorithm("bohb");
  set_knob(*bohb, "--iterations", 60);  // 400 evaluations
  double early = 0, late = 0;
  int runs = 4;
  for (int seed = 0; seed < runs; ++seed) {
    const auto run = run_search(api, *bohb, s, static_cast<std::uint64_t>(seed));
    // The first rungs' 1-epoch candidates: before any model, then sampled from one.
    std::vector<double> one_epoch;
    for (const auto& e : run.evaluations) {
      if (e.epochs == 1) one_epoch.push_back(landscape(api.space(), api.arch(e.index)));
    }
    REQUIRE(one_epoch.size() == 180);
    early += std::accumulate(one_epoch.begin(), one_epoch.begin() + 9, 0.0) / 9;
    late += std::accumulate(one_epoch.end() - 45, one_epoch.end(), 0.0) / 45;
  }
  INFO("first bracket " << early / runs << ", last five brackets " << late / runs);
  CHECK(late / runs > early / runs + 3);
}

namespace {

// An algorithm from outside the core library, as the weight-sharing ones will be: it evaluates
// architecture `first_` and then stops.
class OneShot : public Algorithm {
 public:
  std::vector<Knob> knobs() override { return {{"--one-shot-index", "the index", &first_}}; }
  SearchRun run(Benchmark& benchmark, const SearchSettings&, std::uint64_t seed) override {
    SearchRun run;
    run.seed = seed;
    run.best_index = first_;
    run.best_accuracy = 1;
    const auto r = benchmark.simulate_train_eval(first_, "cifar10", std::nullopt, "12");
    run.evaluations.push_back({first_, 12, r.accuracy, r.time_cost, r.used_time, first_});
    return run;
  }

 private:
  int first_ = 7;
};

std::unique_ptr<Algorithm> make_one_shot() {
  return std::make_unique<OneShot>();
}

std::unique_ptr<Algorithm> make_population_clash() {
  struct Clash : OneShot {
    int value = 0;
    std::vector<Knob> knobs() override { return {{"--population", "taken", &value}}; }
  };
  return std::make_unique<Clash>();
}

}  // namespace

TEST_CASE("the registry takes algorithms from other libraries, refusing taken names and flags",
          "[search]") {
  Benchmark& api = tss();
  const std::size_t before = algorithms().size();
  register_algorithm({"one-shot", "test algorithm", make_one_shot});
  CHECK(algorithms().size() == before + 1);
  CHECK(algorithm_names().find("one-shot") != std::string::npos);
  auto algorithm = make_algorithm("one-shot");
  set_knob(*algorithm, "--one-shot-index", 11);
  const auto run = run_search(api, *algorithm, settings("cifar10", 100), 3);
  REQUIRE(run.evaluations.size() == 1);
  CHECK(run.best_index == 11);
  CHECK(run_search(api, "one-shot", settings("cifar10", 100), 3).best_index == 7);
  CHECK_THROWS_WITH(register_algorithm({"one-shot", "again", make_one_shot}),
                    Catch::Contains("registered twice"));
  CHECK_THROWS_WITH(register_algorithm({"clash", "flag taken", make_population_clash}),
                    Catch::Contains("--population is another algorithm's"));
  CHECK(algorithms().size() == before + 1);
}
