// The weight-sharing runs of `natsbench search` (cli/search_supernet.h): one run per seed, each
// resumable from its checkpoint, its result in OUT/<algo>-<dataset>-seed<S>.json; then the
// summary over seeds in the paper's form (§8.2: mean and population std of the benchmark
// accuracies of genotypes[E-1]).
#include <ATen/Parallel.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "natsbench/bench/benchmark.h"
#include "natsbench/model/device.h"
#include "natsbench/search/multi_trial.h"
#include "natsbench/search/supernet_run.h"
#include "natsbench/space/topology.h"
#include "natsbench/train/trainer.h"
#include "natsbench/util/atomic_file.h"
#include "natsbench/util/interrupt.h"
#include "search_supernet.h"

namespace natsbench::cli {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string run_name(const SupernetSearchArgs& a, std::uint64_t seed) {
  return a.algorithm + "-" + a.dataset + "-seed" + std::to_string(seed);
}

// The benchmark's answer for a genotype (§9.2, hp 200), added to the result.
nlohmann::ordered_json benchmark_answer(bench::Benchmark& api, const std::string& dataset,
                                        const std::string& genotype) {
  const int index = TopologySpace::get().require_index(genotype);
  const auto score = search::reported_accuracy(api, index, dataset, "200");
  return {{"index", index}, {"valid", score.valid}, {"test", score.test}};
}

}  // namespace

int run_supernet_searches(const SupernetSearchArgs& a) {
  const auto seeds = parse_seeds(a.seeds);
  if (a.epochs < 1) throw ArgError("--epochs: expected at least 1");
  if (a.candidates < 1) throw ArgError("--candidates: expected at least 1");
  if (a.max_batches < 0) throw ArgError("--max-batches: expected >= 0 (0 = no cap)");
  check_threads(a.threads);
  const c10::Device device = model::parse_device(a.device);
  const auto location = resolve_data(a.data_root, a.splits);
  require_writable(a.out, "--out");
  std::optional<bench::Benchmark> api;
  if (a.with_benchmark) api.emplace(a.benchmark.open(Space::Topology));
  set_threads(a.threads);

  auto options_of = [&](std::uint64_t seed) {
    search::SupernetRunOptions options;
    options.algorithm = a.algorithm;
    options.seed = seed;
    options.epochs = a.epochs;
    options.max_batches = a.max_batches;
    options.candidates = a.candidates;
    options.checkpoint = (fs::path(a.out) / (run_name(a, seed) + ".ckpt")).string();
    return options;
  };
  // Finished runs need no data; the others share one load. A result of other settings under the
  // same name is another run's: refused rather than reported as this one.
  std::vector<std::uint64_t> todo;
  for (const auto seed : seeds) {
    const fs::path path = fs::path(a.out) / (run_name(a, seed) + ".json");
    if (!fs::exists(path)) {
      todo.push_back(seed);
      continue;
    }
    nlohmann::ordered_json done;
    try {
      done = nlohmann::ordered_json::parse(read_file(path.string()));
    } catch (const std::exception& e) {
      throw Error(path.string() + ": not a search result (" + e.what() +
                  "); remove it to run the seed again");
    }
    const auto expected = search::run_settings(options_of(seed), a.dataset);
    if (!done.contains("settings") || done["settings"] != expected) {
      throw ArgError("--out " + a.out + ": " + path.filename().string() +
                     " holds a run with other settings (" +
                     (done.contains("settings") ? done["settings"].dump() : "none") +
                     "); use another --out");
    }
  }
  std::optional<data::SearchData> images;
  if (!todo.empty()) {
    data::DataOptions options;
    options.root = location.root;
    options.splits_dir = location.splits;
    images.emplace(data::load_search_data(a.dataset, options));
    for (const auto& warning : images->warnings) spdlog::warn("{}", warning);
  }
  install_stop_handlers();
  train::set_deterministic(true);
  spdlog::info(
      "search {} on {} ({} threads): {} seed(s), {} epochs{}", a.algorithm, a.dataset,
      at::get_num_threads(), seeds.size(), a.epochs,
      a.max_batches > 0 ? ", at most " + std::to_string(a.max_batches) + " steps each" : "");

  std::vector<nlohmann::ordered_json> results;
  for (std::size_t k = 0; k < seeds.size(); ++k) {
    const auto seed = seeds[k];
    const fs::path result_path = fs::path(a.out) / (run_name(a, seed) + ".json");
    if (fs::exists(result_path)) {
      results.push_back(nlohmann::ordered_json::parse(read_file(result_path.string())));
      spdlog::info("[{}] done before: {}", run_name(a, seed), result_path.string());
      continue;
    }
    const auto options = options_of(seed);
    const std::string label = "[" + std::to_string(k + 1) + "/" + std::to_string(seeds.size()) +
                              " " + run_name(a, seed) + "]";
    const auto started = Clock::now();
    int first_epoch = -1;
    auto last_note = Clock::now();
    search::SupernetProgress progress;
    progress.step = [&](int epoch, std::int64_t step, std::int64_t steps) {
      if (first_epoch < 0) first_epoch = epoch;
      const auto now = Clock::now();
      if (now - last_note < std::chrono::seconds(30)) return;
      last_note = now;
      spdlog::info("{} epoch {}/{}: step {}/{}", label, epoch + 1, a.epochs, step, steps);
    };
    progress.epoch = [&](const search::SupernetEpoch& e) {
      if (first_epoch < 0) first_epoch = e.epoch;
      const double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
      const int done = e.epoch + 1 - first_epoch, left = a.epochs - e.epoch - 1;
      std::string bench_text;
      if (api) {
        const auto answer = benchmark_answer(*api, a.dataset, e.genotype);
        char text[96];
        std::snprintf(text, sizeof text, " | benchmark test %.2f%%", answer["test"].get<double>());
        bench_text = text;
      }
      if (e.controller) {
        char text[96];
        std::snprintf(text, sizeof text, " | controller top1 %.2f%% reward %.4f baseline %.4f",
                      e.controller->top1, e.controller->reward, e.controller->baseline);
        bench_text = text + bench_text;
      }
      spdlog::info(
          "{} epoch {}/{}: weights loss {:.3f} top1 {:.2f}% | arch loss {:.3f} top1 {:.2f}% | "
          "{} (index {}, one batch {:.2f}%) | supernet valid {:.2f}%{} | {:.1f} s | ETA {}",
          label, e.epoch + 1, a.epochs, e.base.loss, e.base.top1, e.arch.loss, e.arch.top1,
          e.genotype, TopologySpace::get().index_of(e.genotype), e.genotype_top1, e.valid.top1,
          bench_text, e.search_seconds, format_duration(elapsed / done * left));
    };
    const auto result = search::run_supernet_search(
        options, *images, device, progress,
        [](const std::string& message) { spdlog::warn("{}", message); });
    if (!result.finished) {
      spdlog::warn("{} stopped by signal {}: checkpoint {} written; the same command resumes",
                   label, stop_signal(), options.checkpoint);
      return kInterruptedExitCode;
    }
    auto json = search::to_json(result);
    if (api) {
      nlohmann::ordered_json curve = nlohmann::ordered_json::object();
      for (const auto& [epoch, genotype] : json["genotypes"].items()) {
        curve[epoch] = benchmark_answer(*api, a.dataset, genotype.get<std::string>());
      }
      json["benchmark"] = {
          {"hp", "200"}, {"final", curve[std::to_string(a.epochs - 1)]}, {"per_epoch", curve}};
    }
    write_file_atomic(result_path.string(), json.dump(1) + "\n");
    fs::remove(options.checkpoint);
    spdlog::info("{} finished: {} in {:.1f} s -> {}", label, json["genotype"].get<std::string>(),
                 result.search_seconds, result_path.string());
    results.push_back(std::move(json));
  }

  nlohmann::ordered_json per_run = nlohmann::ordered_json::array();
  std::vector<double> valid, test, seconds;
  for (const auto& r : results) {
    nlohmann::ordered_json row = {
        {"seed", r["seed"]}, {"genotype", r["genotype"]}, {"search_seconds", r["search_seconds"]}};
    seconds.push_back(r["search_seconds"].get<double>());
    if (r.contains("benchmark")) {
      row["benchmark"] = r["benchmark"]["final"];
      valid.push_back(r["benchmark"]["final"]["valid"].get<double>());
      test.push_back(r["benchmark"]["final"]["test"].get<double>());
    }
    per_run.push_back(row);
  }
  nlohmann::ordered_json summary = {{"algorithm", a.algorithm}, {"space", "tss"},
                                    {"dataset", a.dataset},     {"epochs", a.epochs},
                                    {"runs", results.size()},   {"per_run", per_run}};
  summary["search_seconds"] = mean_and_std(seconds);
  if (valid.size() == results.size() && !valid.empty()) {
    summary["valid"] = mean_and_std(valid);
    summary["test"] = mean_and_std(test);
  }
  write_file_atomic((fs::path(a.out) / (a.algorithm + "-" + a.dataset + "-summary.json")).string(),
                    summary.dump(1) + "\n");
  if (a.json) {
    print_json(summary);
    return 0;
  }
  std::printf("%-6s  %-90s  %9s  %s\n", "seed", "genotype (genotypes[E-1])", "search s",
              api ? "benchmark valid / test (hp 200)" : "");
  for (const auto& row : per_run) {
    std::string bench_text;
    if (row.contains("benchmark")) {
      char text[64];
      std::snprintf(text, sizeof text, "%.2f%% / %.2f%%", row["benchmark"]["valid"].get<double>(),
                    row["benchmark"]["test"].get<double>());
      bench_text = text;
    }
    std::printf("%-6llu  %-90s  %9.1f  %s\n",
                static_cast<unsigned long long>(row["seed"].get<std::uint64_t>()),
                row["genotype"].get<std::string>().c_str(), row["search_seconds"].get<double>(),
                bench_text.c_str());
  }
  if (summary.contains("test")) {
    std::printf(
        "%s on %s, %zu runs: valid %.2f +- %.2f, test %.2f +- %.2f (mean +- population std)\n",
        a.algorithm.c_str(), a.dataset.c_str(), results.size(),
        summary["valid"]["mean"].get<double>(), summary["valid"]["std"].get<double>(),
        summary["test"]["mean"].get<double>(), summary["test"]["std"].get<double>());
  }
  return 0;
}

}  // namespace natsbench::cli
