// natsbench sweep --space tss|sss --range 00000-15624 --hp 200 [--seeds 777,888,999]
//                 [--datasets LIST] --data-root DIR --out DIR [--shard K/N] [--mode new|cover]
//                 [--device cpu|cuda[:N]] [--concurrent M] [--no-graph] [--max-batches N]
//                 [--threads N] [--lock-timeout S]
// natsbench sweep --status --out DIR
// natsbench collect --space tss|sss --runs DIR[,DIR...] --out DIR [--hp 12,200] [--check]
#include <ATen/Parallel.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <iostream>

#include "cli_common.h"
#include "natsbench/data/benchmark_data.h"
#include "natsbench/model/device.h"
#include "natsbench/sweep/collect.h"
#include "natsbench/sweep/sweep.h"
#include "natsbench/train/environment.h"
#include "natsbench/train/interrupt.h"

namespace natsbench::cli {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string run_label(const train::RunSpec& spec) {
  return std::string(space_name(spec.arch.space)) + " " + std::to_string(spec.arch.index) + " hp " +
         spec.hp.name + " seed " + std::to_string(spec.seed) + " " + spec.dataset;
}

}  // namespace

Action add_sweep_command(CLI::App& app) {
  struct Options {
    std::string space, range, hp = "12", seeds,
                              datasets = "cifar10-valid,cifar10,cifar100,ImageNet16-120", data_root,
                              splits, out, shard = "0/1", mode = "new", device = "cpu";
    std::int64_t max_batches = 0;
    int threads = 0, concurrent = 1;
    double lock_timeout = 1800;
    bool status = false, fast = false, save_weights = false, no_graph = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "sweep", "Train a range of candidates x seeds x datasets; resumable, shardable, shareable");
  cmd->add_option("--space", o->space, "Search space: tss or sss");
  cmd->add_option("--range", o->range, "Architecture indexes: 00000-02000, 7, 0-4,9 (inclusive)");
  cmd->add_option("--hp", o->hp, "Hyper-parameter set: 01, 12, 90, 200 or a YAML file")
      ->capture_default_str();
  cmd->add_option("--seeds", o->seeds,
                  "Comma-separated seeds (default: the released benchmark's seeds for the hp)");
  cmd->add_option("--datasets", o->datasets, "Comma-separated benchmark datasets")
      ->capture_default_str();
  cmd->add_option("--data-root", o->data_root, "Dataset root (default $TORCH_HOME/cifar.python)");
  cmd->add_option("--splits", o->splits, "Directory of the split files (default DATA_ROOT/splits)");
  cmd->add_option("--out", o->out, "Output directory, shared by all workers")->required();
  cmd->add_option("--shard", o->shard, "This worker's part K/N of the plan (K = 0..N-1)")
      ->capture_default_str();
  cmd->add_option("--mode", o->mode, "new: skip finished runs; cover: redo them")
      ->capture_default_str();
  cmd->add_option("--device", o->device, "cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--concurrent", o->concurrent,
                  "Runs trained at once on the device, each on its own CUDA stream (for GPUs)")
      ->capture_default_str();
  cmd->add_flag("--no-graph", o->no_graph,
                "Run every CUDA step eagerly instead of as a CUDA graph");
  cmd->add_option("--max-batches", o->max_batches,
                  "Cap on the batches of every epoch (smoke runs)");
  cmd->add_option("--threads", o->threads, "CPU threads (default: OMP_NUM_THREADS, else all CPUs)");
  cmd->add_option("--lock-timeout", o->lock_timeout,
                  "Seconds without a sign of life after which another worker's run is taken over")
      ->capture_default_str();
  cmd->add_flag("--fast", o->fast, "cuDNN autotuning instead of deterministic kernels");
  cmd->add_flag("--save-weights", o->save_weights, "Store the final weights beside each record");
  cmd->add_flag("--status", o->status, "Print the progress of the sweep in --out as JSON and exit");
  return [o]() {
    if (o->status) {
      print_json(sweep::sweep_status(o->out, o->lock_timeout));
      return 0;
    }
    if (o->space.empty()) throw ArgError("--space: required (tss or sss)");
    if (o->range.empty()) throw ArgError("--range: required (e.g. 00000-15624)");
    const Space space = parse_space(o->space);
    const auto archs = sweep::parse_range(o->range, space_size(space));
    const train::HyperParams hp = train::load_hyper_params(o->hp);
    const auto datasets = parse_datasets(o->datasets);
    const auto seeds = o->seeds.empty() ? std::vector<std::uint64_t>{} : parse_seeds(o->seeds);
    const auto [k, n] = sweep::parse_shard(o->shard);
    if (o->mode != "new" && o->mode != "cover")
      throw ArgError("--mode " + o->mode + ": expected new or cover");
    if (o->max_batches < 0) throw ArgError("--max-batches: expected >= 0 (0 = no cap)");
    if (!(o->lock_timeout > 0)) throw ArgError("--lock-timeout: expected seconds > 0");
    check_concurrent(o->concurrent);
    const c10::Device device = model::parse_device(o->device);
    const auto [root, splits] = resolve_data(o->data_root, o->splits);
    require_writable(o->out);
    set_threads(o->threads);

    const auto plan = sweep::make_plan(space, archs, hp.name, seeds, datasets);
    sweep::write_plan_file(o->out, space, hp, plan);
    sweep::SweepOptions options;
    options.space = space;
    options.runs = sweep::shard(plan, k, n);
    options.hp = hp;
    options.out = o->out;
    options.data_root = root;
    options.splits = splits;
    options.max_batches = o->max_batches;
    options.deterministic = !o->fast;
    options.cover = o->mode == "cover";
    options.stale_after_seconds = o->lock_timeout;
    options.save_weights = o->save_weights;
    options.concurrent = o->concurrent;
    options.cuda_graphs = !o->no_graph;

    train::install_stop_handlers();
    train::set_deterministic(!o->fast);
    spdlog::info(
        "natsbench {} sweep on {} ({} threads, {} run(s) at once): {} hp {}, {} archs, {} runs in "
        "the plan, shard {}/{} has {}",
        train::natsbench_version(), device.str(), at::get_num_threads(), options.concurrent,
        space_name(space), hp.name, archs.size(), plan.size(), k, n, options.runs.size());
    if (options.concurrent > 1 && !device.is_cuda())
      spdlog::warn(
          "--concurrent {} on {}: the runs share the CPU threads; concurrency is meant "
          "for GPUs",
          options.concurrent, device.str());
    sweep::SweepCallbacks cb;
    cb.environment = train::run_environment(device);
    double trained_seconds = 0;
    std::size_t trained_runs = 0;
    cb.on_start = [&](const train::RunSpec& spec, std::size_t position, std::size_t total) {
      std::string eta;
      // Runs that trained side by side each took longer: divide by how many ran at once. With
      // one at a time the remaining runs bound it; with several, runs in flight are not counted.
      if (trained_runs > 0)
        eta = std::string(options.concurrent == 1 ? ", shard ETA <= " : ", shard ETA ~ ") +
              format_duration(trained_seconds / static_cast<double>(trained_runs) *
                              static_cast<double>(total - position + 1) /
                              static_cast<double>(options.concurrent));
      spdlog::info("[{}/{}] {}: training{}", position, total, run_label(spec), eta);
    };
    cb.on_end = [&](const train::RunSpec& spec, const train::RunResult& r, double seconds) {
      const char* what = r.outcome == train::RunOutcome::Complete      ? "complete"
                         : r.outcome == train::RunOutcome::Failed      ? "FAILED"
                         : r.outcome == train::RunOutcome::Interrupted ? "interrupted"
                                                                       : "already done";
      if (r.outcome == train::RunOutcome::Complete && r.resumed_from == 0) {
        trained_seconds += seconds;
        ++trained_runs;
      }
      std::string last;
      if (!r.record.epochs.empty()) {
        for (const auto& [name, m] : r.record.epochs.back().eval)
          last += " " + name + " " + std::to_string(m.top1).substr(0, 5) + "%";
      }
      spdlog::info("    {}: {} in {}{}{}", run_label(spec), what, format_duration(seconds), last,
                   r.outcome == train::RunOutcome::Failed ? " (" + r.record.failure + ")" : "");
    };
    cb.on_warning = [](const std::string& w) { spdlog::warn("{}", w); };
    const sweep::SweepSummary s = sweep::run_sweep(options, device, cb);
    print_json({{"shard", o->shard},
                {"runs_in_shard", options.runs.size()},
                {"trained", s.trained},
                {"failed", s.failed},
                {"already_done", s.already_done},
                {"held_by_other_workers", s.held_elsewhere},
                {"took_over", s.took_over},
                {"interrupted", s.interrupted}});
    if (s.interrupted) {
      spdlog::warn("stopped by signal {}: checkpoint saved; run the same command again to resume",
                   train::stop_signal());
      return train::kInterruptedExitCode;
    }
    return 0;
  };
}

Action add_collect_command(CLI::App& app) {
  struct Options {
    std::string space, runs, out, hps;
    bool check = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "collect", "Write run records as benchmark files the official API loads (or --check them)");
  cmd->add_option("--space", o->space, "Search space: tss or sss")->required();
  cmd->add_option("--runs", o->runs, "Sweep output directories (comma-separated)")->required();
  cmd->add_option("--out", o->out, "Directory for the benchmark files");
  cmd->add_option("--hp", o->hps, "Hyper-parameter sets to collect (default: all found)");
  cmd->add_flag("--check", o->check,
                "Report missing, failed and invalid runs; write nothing (exit 1 if any)");
  return [o]() {
    sweep::CollectOptions options;
    options.space = parse_space(o->space);
    options.runs_dirs = split_list(o->runs, "--runs");
    if (!o->hps.empty()) options.hps = split_list(o->hps, "--hp");
    if (!o->check && o->out.empty()) throw ArgError("--out: required unless --check");
    const sweep::Gathered g = sweep::gather(options);
    std::map<std::string, std::size_t> counts;
    for (const auto& p : g.problems) ++counts[p.kind];
    std::size_t complete = 0;
    for (const auto& [arch, info] : g.archs)
      for (const auto& [hp, result] : info) complete += result.all_results.size();
    if (o->check) {
      for (const auto& p : g.problems) {
        std::string where = p.hp.empty() ? p.file
                                         : "hp " + p.hp + " arch " + std::to_string(p.arch) +
                                               " seed " + std::to_string(p.seed) + " " + p.dataset;
        spdlog::warn("{}: {}{}", p.kind, where, p.detail.empty() ? "" : ": " + p.detail);
      }
      print_json({{"space", o->space},
                  {"records_read", g.records},
                  {"complete_runs", complete},
                  {"archs_with_results", g.archs.size()},
                  {"missing", counts["missing"]},
                  {"failed", counts["failed"]},
                  {"invalid", counts["invalid"]},
                  {"inconsistent", counts["inconsistent"]},
                  {"runs_sharing_the_device", g.shared_device},
                  {"problems", sweep::problems_json(g.problems)}});
      return g.problems.empty() ? 0 : 1;
    }
    // Inputs that contradict each other are refused; gaps are reported and collected around.
    for (const auto& p : g.problems) {
      if (p.kind == "inconsistent" || p.kind == "invalid")
        throw Error((p.file.empty() ? "" : p.file + ": ") + p.kind + ": " + p.detail +
                    " (see collect --check)");
    }
    const sweep::Written w = sweep::write_benchmark(g, options.space, o->out);
    if (g.shared_device > 0)
      spdlog::warn(
          "{} runs were trained with other runs on the device at once (--concurrent): their "
          "times, which the benchmark's time costs come from, are shared wall time",
          g.shared_device);
    if (counts["missing"] + counts["failed"] > 0)
      spdlog::warn(
          "partial benchmark: {} missing and {} failed runs left out (collect --check lists "
          "them)",
          counts["missing"], counts["failed"]);
    print_json({{"space", o->space},
                {"archs", w.archs},
                {"runs", complete},
                {"missing", counts["missing"]},
                {"failed", counts["failed"]},
                {"runs_sharing_the_device", g.shared_device},
                {"benchmark_file", w.benchmark_file},
                {"archive_dir", w.archive_dir},
                {"manifest", w.manifest}});
    return 0;
  };
}

}  // namespace natsbench::cli
