// The training part of natsbench sweep (natsbench-torch only).
#include <ATen/Parallel.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <iostream>

#include "cli_common.h"
#include "cmd_sweep.h"
#include "natsbench/model/device.h"
#include "natsbench/sweep/sweep.h"
#include "natsbench/train/environment.h"
#include "natsbench/util/interrupt.h"

namespace natsbench::cli {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string run_label(const train::RunSpec& spec) {
  return std::string(space_name(spec.arch.space)) + " " + std::to_string(spec.arch.index) + " hp " +
         spec.hp.name + " seed " + std::to_string(spec.seed) + " " + spec.dataset;
}

}  // namespace

int run_sweep_command(const SweepArgs& args) {
  if (args.space.empty()) throw ArgError("--space: required (tss or sss)");
  if (args.range.empty()) throw ArgError("--range: required (e.g. 00000-15624)");
  const Space space = parse_space(args.space);
  const auto archs = sweep::parse_range(args.range, space_size(space));
  const train::HyperParams hp = train::load_hyper_params(args.hp);
  const auto datasets = parse_datasets(args.datasets);
  const auto seeds = args.seeds.empty() ? std::vector<std::uint64_t>{} : parse_seeds(args.seeds);
  const auto [k, n] = sweep::parse_shard(args.shard);
  if (args.mode != "new" && args.mode != "cover")
    throw ArgError("--mode " + args.mode + ": expected new or cover");
  if (args.max_batches < 0) throw ArgError("--max-batches: expected >= 0 (0 = no cap)");
  if (!(args.lock_timeout > 0)) throw ArgError("--lock-timeout: expected seconds > 0");
  check_concurrent(args.concurrent);
  const c10::Device device = model::parse_device(args.device);
  const auto [root, splits] = resolve_data(args.data_root, args.splits);
  require_writable(args.out);
  set_threads(args.threads);

  const auto plan = sweep::make_plan(space, archs, hp.name, seeds, datasets);
  sweep::write_plan_file(args.out, space, hp, plan);
  sweep::SweepOptions options;
  options.space = space;
  options.runs = sweep::shard(plan, k, n);
  options.hp = hp;
  options.out = args.out;
  options.data_root = root;
  options.splits = splits;
  options.max_batches = args.max_batches;
  options.deterministic = !args.fast;
  options.cover = args.mode == "cover";
  options.stale_after_seconds = args.lock_timeout;
  options.save_weights = args.save_weights;
  options.concurrent = args.concurrent;
  options.cuda_graphs = !args.no_graph;

  install_stop_handlers();
  train::set_deterministic(!args.fast);
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
  print_json({{"shard", args.shard},
              {"runs_in_shard", options.runs.size()},
              {"trained", s.trained},
              {"failed", s.failed},
              {"already_done", s.already_done},
              {"held_by_other_workers", s.held_elsewhere},
              {"took_over", s.took_over},
              {"interrupted", s.interrupted}});
  if (s.interrupted) {
    spdlog::warn("stopped by signal {}: checkpoint saved; run the same command again to resume",
                 stop_signal());
    return kInterruptedExitCode;
  }
  return 0;
}

}  // namespace natsbench::cli
