// natsbench query --space S [--benchmark PATH] [--fast-mode] <more|cost|simulate|find-best|
//                  statistics|config> ...
// Answers as the official nats_bench API does; JSON keys are its dict keys.
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>

#include "cli_common.h"
#include "natsbench/bench/benchmark.h"
#include "natsbench/data/registry.h"

namespace natsbench::cli {

namespace {

nlohmann::ordered_json to_json(const bench::InfoDict& info) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& [key, value] : info) {
    if (std::holds_alternative<double>(value)) {
      out[key] = std::get<double>(value);
    } else if (std::holds_alternative<std::string>(value)) {
      out[key] = std::get<std::string>(value);
    } else {
      out[key] = nullptr;
    }
  }
  return out;
}

nlohmann::ordered_json optional_number(const std::optional<double>& value) {
  return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json(nullptr);
}

}  // namespace

Action add_query_command(CLI::App& app) {
  struct Options {
    std::string space;
    BenchmarkOptions benchmark;
    std::string index, arch, dataset, hp = "12", metric;
    int iepoch = -1, seed = -1;
    std::int64_t rng_seed = -1;
    double flop_max = -1, param_max = -1;
  };
  auto o = std::make_shared<Options>();
  auto* query = app.add_subcommand("query", "Query a benchmark file or archive directory");
  query->require_subcommand(1);
  query->fallthrough();
  query->add_option("--space", o->space, "Search space: tss or sss")->required();
  o->benchmark.add_to(*query);

  const auto add_candidate = [&](CLI::App* cmd) {
    auto* index = cmd->add_option("--index", o->index, "Architecture index");
    auto* arch = cmd->add_option("--arch", o->arch, "Exact canonical arch string");
    index->excludes(arch);
  };
  const auto add_dataset = [&](CLI::App* cmd) {
    cmd->add_option("--dataset", o->dataset, data::dataset_names())->required();
  };
  const auto add_hp = [&](CLI::App* cmd) {
    cmd->add_option("--hp", o->hp, "Training epochs tag: tss 12|200, sss 01|12|90")
        ->capture_default_str();
  };
  auto* more = query->add_subcommand("more", "get_more_info: train/valid/test metrics at an epoch");
  add_candidate(more);
  add_dataset(more);
  add_hp(more);
  auto* more_epoch = more->add_option("--iepoch", o->iepoch, "Epoch (default: the last)");
  auto* more_seed = more->add_option("--seed", o->seed, "One seed (default: mean over seeds)");
  auto* cost = query->add_subcommand("cost", "get_cost_info: flops, params, latency, times");
  add_candidate(cost);
  add_dataset(cost);
  add_hp(cost);
  auto* simulate = query->add_subcommand(
      "simulate", "simulate_train_eval: validation accuracy of a random seed, latency, time cost");
  add_candidate(simulate);
  add_dataset(simulate);
  add_hp(simulate);
  auto* simulate_epoch = simulate->add_option("--iepoch", o->iepoch, "Epoch (default: the last)");
  auto* rng_seed = simulate->add_option(
      "--rng-seed", o->rng_seed,
      "Seed of the emulated Python random module (replays random.seed(K)); default: random");
  auto* best = query->add_subcommand("find-best", "find_best: the most accurate architecture");
  add_dataset(best);
  add_hp(best);
  best->add_option("--metric", o->metric, "train, valid, test, x-valid, x-test, ori-test")
      ->required();
  auto* flop_max = best->add_option("--flop-max", o->flop_max, "Skip archs above this MFLOPs");
  auto* param_max = best->add_option("--param-max", o->param_max, "Skip archs above M params");
  auto* statistics = query->add_subcommand("statistics", "Architectures per number of seeds");
  add_dataset(statistics);
  add_hp(statistics);
  auto* config = query->add_subcommand("config", "get_net_config: the network configuration");
  add_candidate(config);
  add_dataset(config);

  return [=]() {
    const Space space = parse_space(o->space);
    auto api = o->benchmark.open(space);
    const auto candidate = [&]() -> int {
      if (!o->index.empty()) {
        const int index = parse_index(o->index, "--index");
        api.arch(index);
        return index;
      }
      if (!o->arch.empty()) return api.resolve_index(o->arch);
      throw ArgError("expected --index N or --arch STR");
    };
    const auto epoch = [&](CLI::Option* option) {
      return option->count() > 0 ? std::optional<int>(o->iepoch) : std::nullopt;
    };
    data::dataset(o->dataset.empty() ? "cifar10" : o->dataset);  // validate the name early
    nlohmann::ordered_json out;
    if (more->parsed()) {
      const int index = candidate();
      const auto seeds =
          more_seed->count() > 0 ? bench::SeedChoice::of(o->seed) : bench::SeedChoice::mean();
      out = to_json(api.get_more_info(index, o->dataset, epoch(more_epoch), o->hp, seeds));
    } else if (cost->parsed()) {
      out = to_json(api.get_cost_info(candidate(), o->dataset, o->hp));
    } else if (simulate->parsed()) {
      const int index = candidate();
      if (rng_seed->count() > 0) {
        if (o->rng_seed < 0) throw ArgError("--rng-seed: expected a non-negative integer");
        api.seed_random(static_cast<std::uint64_t>(o->rng_seed));
      }
      const auto r = api.simulate_train_eval(index, o->dataset, epoch(simulate_epoch), o->hp);
      out = {{"accuracy", r.accuracy},
             {"latency", optional_number(r.latency)},
             {"time_cost", r.time_cost},
             {"used_time", r.used_time}};
    } else if (best->parsed()) {
      const auto limit = [](CLI::Option* option, double value) {
        return option->count() > 0 ? std::optional<double>(value) : std::nullopt;
      };
      const auto [index, accuracy] =
          api.find_best(o->dataset, o->metric, limit(flop_max, o->flop_max),
                        limit(param_max, o->param_max), o->hp);
      out = {{"index", index}, {"accuracy", optional_number(accuracy)}};
      if (index >= 0) out["arch"] = api.arch(index);
    } else if (statistics->parsed()) {
      // The official API counts only the architectures a fast-mode session has touched; a
      // command-line process has touched none, so it counts every file of the archive.
      api.load_all_available();
      out = nlohmann::ordered_json::object();
      for (const auto& [seeds, count] : api.statistics(o->dataset, o->hp)) {
        out[std::to_string(seeds)] = count;
      }
    } else if (config->parsed()) {
      out = nlohmann::ordered_json::object();
      for (const auto& [key, value] : api.get_net_config(candidate(), o->dataset)) {
        if (std::holds_alternative<std::int64_t>(value)) {
          out[key] = std::get<std::int64_t>(value);
        } else {
          out[key] = std::get<std::string>(value);
        }
      }
    }
    std::cout << out.dump() << '\n';
    return 0;
  };
}

}  // namespace natsbench::cli
