// natsbench search --space S --algo random|rea|reinforce|bohb --dataset D [--benchmark PATH]
//                  [--time-budget SEC] [--runs N] [--seed K] [--trajectories FILE] ...
// Multi-trial NAS on a benchmark file (docs/nas-algorithms.md §6): N independent runs with seeds
// K, K+1, ..., each scored as the paper does (§8.1), and their mean and population std.
//
// natsbench search --space tss --algo darts-v1|darts-v2|gdas|setn|rsps|enas --dataset D --out DIR
//                  [--data-root DIR] [--seeds 777,888,999] [--epochs 100] [--benchmark PATH] ...
// Weight-sharing NAS: supernets trained on the images (§2-§4), run by natsbench-torch
// (search_supernet.h).
#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <memory>
#include <variant>

#include "cli_common.h"
#include "commands.h"
#include "natsbench/bench/benchmark.h"
#include "natsbench/data/registry.h"
#include "natsbench/search/algorithm.h"
#include "natsbench/search/multi_trial.h"
#include "natsbench/util/atomic_file.h"
#include "search_supernet.h"
#ifndef NATSBENCH_CORE_ONLY
#include "natsbench/search/supernet_search.h"
#endif

namespace natsbench::cli {

namespace {

nlohmann::ordered_json trajectory_json(const bench::Benchmark& api, const search::SearchRun& run) {
  nlohmann::ordered_json evaluations = nlohmann::ordered_json::array();
  for (const auto& e : run.evaluations) {
    evaluations.push_back({{"index", e.index},
                           {"epochs", e.epochs},
                           {"accuracy", e.accuracy},
                           {"time_cost", e.time_cost},
                           {"total_time", e.total_time},
                           {"best_index", e.best_index}});
  }
  return {{"seed", run.seed},
          {"best_index", run.best_index},
          {"best_arch", api.arch(run.best_index)},
          {"evaluations", std::move(evaluations)}};
}

}  // namespace

#ifdef NATSBENCH_CORE_ONLY
// The registry lives in the Torch library; this binary only needs to know the names to hand the
// command over (tests/cli/search_supernet_test.sh checks both lists agree).
std::string supernet_algorithm_list() {
  return "darts-v1, darts-v2, gdas, setn, rsps or enas";
}
bool is_supernet_algorithm(const std::string& name) {
  for (const char* known : {"darts-v1", "darts-v2", "gdas", "setn", "rsps", "enas"}) {
    if (name == known) return true;
  }
  return false;
}
#else
std::string supernet_algorithm_list() {
  return search::supernet_algorithm_names();
}
bool is_supernet_algorithm(const std::string& name) {
  return search::find_supernet_algorithm(name) != nullptr;
}
#endif

Action add_search_command(CLI::App& app) {
  struct Options {
    std::string space, algorithm, dataset, trajectories;
    BenchmarkOptions benchmark;
    double time_budget = 0;
    int runs = 1;
    std::int64_t seed = 0;
    search::SearchSettings settings;
    // One instance of every registered algorithm, whose knobs the options write into.
    std::vector<std::pair<std::string_view, std::unique_ptr<search::Algorithm>>> algorithms;
    std::vector<std::pair<CLI::Option*, std::string_view>> knobs;  // option, its algorithm
    SupernetSearchArgs supernet;
    std::vector<CLI::Option*> multi_trial_only, supernet_only;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "search",
      "NAS: multi-trial (random, REA, REINFORCE, BOHB) on a benchmark's simulated training, or "
      "weight-sharing (DARTS, GDAS, SETN, RSPS) on the images");
  cmd->add_option("--space", o->space, "Search space: tss or sss")->required();
  cmd->add_option("--algo", o->algorithm,
                  "Multi-trial: " + search::algorithm_names() +
                      "; weight-sharing (tss, trains a supernet): " + supernet_algorithm_list() +
                      " (rsps is the reference's 'random')")
      ->required();
  cmd->add_option("--dataset", o->dataset, data::dataset_names(true))->required();
  o->benchmark.add_to(*cmd);
  auto& m = o->multi_trial_only;
  auto& w = o->supernet_only;
  auto* budget =
      cmd->add_option("--time-budget", o->time_budget,
                      "Simulated seconds per run (default: the paper's, 20000 on cifar10, 40000 on "
                      "cifar100, 120000 tss / 60000 sss on ImageNet16-120)");
  m.push_back(budget);
  m.push_back(cmd->add_option("--runs", o->runs, "Independent runs (the paper: 500)")
                  ->capture_default_str());
  m.push_back(cmd->add_option("--seed", o->seed, "Seed of the first run; run k uses seed + k")
                  ->capture_default_str());
  m.push_back(cmd->add_option("--hp", o->settings.hp, "Fidelity of the simulated evaluations")
                  ->capture_default_str());
  for (const auto& info : search::algorithms()) {
    auto& [name, algorithm] = o->algorithms.emplace_back(info.name, info.make());
    for (const auto& knob : algorithm->knobs()) {
      CLI::Option* option = std::visit(
          [&](auto* value) {
            return cmd->add_option(std::string(knob.flag), *value, std::string(knob.help))
                ->capture_default_str();
          },
          knob.value);
      o->knobs.emplace_back(option, name);
    }
  }
  m.push_back(
      cmd->add_option("--trajectories", o->trajectories,
                      "Write every run's evaluations to this file (JSON lines, one run a line)"));
  auto& a = o->supernet;
  w.push_back(cmd->add_option("--out", a.out,
                              "Weight-sharing: directory of the run results and checkpoints"));
  w.push_back(cmd->add_option("--data-root", a.data_root,
                              "Weight-sharing: dataset root (default $TORCH_HOME/cifar.python)"));
  w.push_back(cmd->add_option("--splits", a.splits,
                              "Weight-sharing: directory of the split files (default "
                              "DATA_ROOT/splits)"));
  w.push_back(cmd->add_option("--seeds", a.seeds, "Weight-sharing: comma-separated seeds")
                  ->capture_default_str());
  w.push_back(cmd->add_option("--epochs", a.epochs, "Weight-sharing: epochs (the paper's E)")
                  ->capture_default_str());
  w.push_back(cmd->add_option("--device", a.device, "Weight-sharing: cpu, cuda or cuda:N")
                  ->capture_default_str());
  w.push_back(cmd->add_option("--max-batches", a.max_batches,
                              "Weight-sharing: cap on the training steps of every epoch (smoke "
                              "runs; recorded)"));
  w.push_back(cmd->add_option("--candidates", a.candidates,
                              "Weight-sharing: architectures SETN and RSPS score per derivation "
                              "(the reference's eval_candidate_num)")
                  ->capture_default_str());
  w.push_back(cmd->add_option("--threads", a.threads, "Weight-sharing: CPU threads"));
  w.push_back(cmd->add_flag("--json", a.json,
                            "Weight-sharing: print the summary as JSON instead of a table"));

  return [o, budget]() {
    if (is_supernet_algorithm(o->algorithm)) {
      for (const auto& [option, owner] : o->knobs) {
        if (option->count() > 0) {
          throw ArgError(option->get_name() + ": a setting of " + std::string(owner) + ", not of " +
                         o->algorithm);
        }
      }
      for (const auto* option : o->multi_trial_only) {
        if (option->count() > 0) {
          throw ArgError(option->get_name() + ": an option of the multi-trial algorithms, not of " +
                         o->algorithm);
        }
      }
      if (parse_space(o->space) != Space::Topology) {
        throw ArgError("--space " + o->space + ": " + o->algorithm +
                       " searches the topology space (tss)");
      }
      if (o->supernet.out.empty()) throw ArgError("--out: required by " + o->algorithm);
#ifdef NATSBENCH_CORE_ONLY
      throw NeedsTorch{};
#else
      o->supernet.algorithm = o->algorithm;
      o->supernet.dataset = o->dataset;
      o->supernet.benchmark = o->benchmark;
      o->supernet.with_benchmark = !o->benchmark.path.empty();
      return run_supernet_searches(o->supernet);
#endif
    }
    for (const auto* option : o->supernet_only) {
      if (option->count() > 0) {
        throw ArgError(option->get_name() + ": an option of the weight-sharing algorithms (" +
                       supernet_algorithm_list() + "), not of " + o->algorithm);
      }
    }
    const Space space = parse_space(o->space);
    search::Algorithm* algorithm = nullptr;
    for (auto& [name, instance] : o->algorithms)
      if (name == o->algorithm) algorithm = instance.get();
    if (algorithm == nullptr) {
      throw ArgError("--algo " + o->algorithm + ": expected " + search::algorithm_names() +
                     " (multi-trial) or " + supernet_algorithm_list() + " (weight-sharing)");
    }
    for (const auto& [option, owner] : o->knobs) {
      if (option->count() > 0 && owner != o->algorithm) {
        throw ArgError(option->get_name() + ": a setting of " + std::string(owner) + ", not of " +
                       o->algorithm);
      }
    }
    o->settings.dataset = o->dataset;
    if (budget->count() > 0 && !(o->time_budget > 0 && std::isfinite(o->time_budget))) {
      throw ArgError("--time-budget: expected a positive number of seconds");
    }
    o->settings.time_budget =
        budget->count() > 0 ? o->time_budget : search::paper_time_budget(space, o->dataset);
    if (o->runs < 1) throw ArgError("--runs: expected at least 1");
    // Python's random.seed(-k) seeds as random.seed(k): negative seeds would not replay it.
    if (o->seed < 0) throw ArgError("--seed: expected a non-negative integer");
    if (o->seed > std::numeric_limits<std::int64_t>::max() - o->runs) {
      throw ArgError("--seed: too large for --runs " + std::to_string(o->runs));
    }
    if (!o->trajectories.empty()) {
      // Checked before the runs, so that a typo does not cost a long search.
      require_writable_file(o->trajectories, "--trajectories");
      if (std::filesystem::is_directory(o->trajectories)) {
        throw ArgError("--trajectories " + o->trajectories + ": is a directory, expected a file");
      }
    }

    auto api = o->benchmark.open(space);
    const std::string report_hp = search::full_fidelity_hp(space);

    std::vector<double> valid, test, evaluations, best_accuracy;
    nlohmann::ordered_json per_run = nlohmann::ordered_json::array();
    std::string trajectory_lines;
    const auto start = std::chrono::steady_clock::now();
    auto last_log = start;
    for (int k = 0; k < o->runs; ++k) {
      const auto run =
          search::run_search(api, *algorithm, o->settings, static_cast<std::uint64_t>(o->seed + k));
      const auto score = search::score_at(api, run, o->settings.time_budget, o->dataset, report_hp);
      valid.push_back(score.valid);
      test.push_back(score.test);
      evaluations.push_back(static_cast<double>(run.evaluations.size()));
      best_accuracy.push_back(run.best_accuracy);
      per_run.push_back({{"seed", run.seed},
                         {"best_index", run.best_index},
                         {"best_arch", api.arch(run.best_index)},
                         {"best_accuracy", run.best_accuracy},
                         {"evaluations", run.evaluations.size()},
                         {"total_time", run.evaluations.back().total_time},
                         {"valid", score.valid},
                         {"test", score.test}});
      if (!o->trajectories.empty()) trajectory_lines += trajectory_json(api, run).dump() + '\n';
      const auto now = std::chrono::steady_clock::now();
      if (now - last_log > std::chrono::seconds(5) && k + 1 < o->runs) {
        last_log = now;
        const double elapsed = std::chrono::duration<double>(now - start).count();
        spdlog::info("search: {}/{} runs, ETA {}", k + 1, o->runs,
                     format_duration(elapsed / (k + 1) * (o->runs - k - 1)));
      }
    }
    if (!o->trajectories.empty()) write_file_atomic(o->trajectories, trajectory_lines);

    nlohmann::ordered_json out = {{"algorithm", o->algorithm},
                                  {"space", space_name(space)},
                                  {"dataset", o->dataset},
                                  {"hp", o->settings.hp},
                                  {"report_hp", report_hp},
                                  {"time_budget", o->settings.time_budget},
                                  {"runs", o->runs},
                                  {"valid", mean_and_std(valid)},
                                  {"test", mean_and_std(test)},
                                  {"evaluations", mean_and_std(evaluations)},
                                  {"best_accuracy", mean_and_std(best_accuracy)},
                                  {"per_run", std::move(per_run)}};
    print_json(out);
    return 0;
  };
}

}  // namespace natsbench::cli
