// natsbench train --space tss|sss --arch N|STR --data-root DIR --out DIR [--datasets LIST]
//                 [--hp 01|12|90|200|FILE] [--seeds LIST] [--device cpu|cuda[:N]]
//                 [--max-batches N] [--save-weights] [--fast] [--no-graph] [--concurrent M]
//                 [--threads N] [--json]
// natsbench bench train --space tss --arch 11 [--dataset cifar10] [--device cpu|cuda] [--steps K]
//                       [--warmup W] [--concurrent M] [--step plain|graph-safe]
//                       [--graph|--no-graph]
//                       [--channels-last] [--fast] [--threads N]
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <sched.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include "cli_common.h"
#include "natsbench/data/benchmark_data.h"
#include "natsbench/model/cost.h"
#include "natsbench/model/device.h"
#include "natsbench/sweep/job_size.h"
#include "natsbench/train/environment.h"
#include "natsbench/train/run_queue.h"
#include "natsbench/train/throughput.h"
#include "natsbench/train/trainer.h"
#include "natsbench/util/atomic_file.h"
#include "natsbench/util/interrupt.h"

namespace natsbench::cli {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// A benchmark index, or any architecture string the network builder accepts.
ArchConfig resolve_arch(Space space, const std::string& text) {
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos)
    return arch_from_index(space, parse_index(text, "--arch"));
  return parse_arch(space, text);
}

std::string label_of(const train::RunSpec& spec) {
  return std::string(space_name(spec.arch.space)) + " " +
         (spec.arch.index >= 0 ? std::to_string(spec.arch.index) : spec.arch.arch_str) + " hp " +
         spec.hp.name + " seed " + std::to_string(spec.seed) + " " + spec.dataset;
}

std::string last_eval_summary(const train::EpochRecord& ep) {
  std::string text;
  char item[96];
  for (const auto& [name, m] : ep.eval) {
    std::snprintf(item, sizeof item, " | %s %.2f%%", name.c_str(), m.top1);
    text += item;
  }
  return text;
}

// A one-line progress bar with ETA on a terminal; a log line per epoch otherwise (and always).
class ProgressDisplay {
 public:
  // `bar`: draw a progress bar when stderr is a terminal (one run at a time).
  explicit ProgressDisplay(bool bar) : tty_(bar && isatty(STDERR_FILENO) != 0) {}

  void start_run(const std::string& label, int run, int runs) {
    label_ = "[" + std::to_string(run) + "/" + std::to_string(runs) + " " + label + "]";
    first_seconds_ = -1;
    batches_seen_ = 0;
  }

  void batch(const train::Progress& p) {
    if (first_seconds_ < 0) first_seconds_ = p.seconds;
    ++batches_seen_;
    remaining_ = (p.epochs - p.epoch - 1) * p.batches + (p.batches - p.batch);
    if (!tty_) return;
    const auto now = Clock::now();
    if (p.batch != p.batches && now - last_draw_ < std::chrono::milliseconds(200)) return;
    last_draw_ = now;
    const int width = 24;
    const int filled = static_cast<int>(width * p.batch / std::max<std::int64_t>(1, p.batches));
    std::fprintf(stderr, "\r\033[K%s epoch %d/%d [%s%s] %lld/%lld  ETA %s", label_.c_str(),
                 p.epoch + 1, p.epochs, std::string(filled, '#').c_str(),
                 std::string(width - filled, '.').c_str(), static_cast<long long>(p.batch),
                 static_cast<long long>(p.batches), format_duration(eta(p.seconds)).c_str());
    std::fflush(stderr);
  }

  void epoch(const train::RunRecord& record, int epoch, double seconds) {
    clear_line();
    const train::EpochRecord& ep = record.epochs.back();
    spdlog::info(
        "{} epoch {}/{} lr {:.6g} train loss {:.4f} top1 {:.2f}%{} ({:.1f} s train, ETA {})",
        label_, epoch + 1, record.spec.hp.total_epochs(), ep.lr, ep.train.loss, ep.train.top1,
        last_eval_summary(ep), ep.train.seconds, format_duration(eta(seconds)));
  }

  void clear_line() {
    if (tty_) std::fprintf(stderr, "\r\033[K");
  }

 private:
  double eta(double seconds) const {
    if (batches_seen_ == 0) return -1;
    return (seconds - first_seconds_) / static_cast<double>(batches_seen_) *
           static_cast<double>(remaining_);
  }

  bool tty_;
  std::string label_;
  double first_seconds_ = -1;
  std::int64_t batches_seen_ = 0, remaining_ = 0;
  Clock::time_point last_draw_{};
};

std::string outcome_name(train::RunOutcome outcome) {
  switch (outcome) {
    case train::RunOutcome::Complete:
      return "complete";
    case train::RunOutcome::Failed:
      return "failed";
    case train::RunOutcome::Interrupted:
      return "interrupted";
    case train::RunOutcome::AlreadyDone:
      return "already done";
  }
  return "?";
}

struct RunRow {
  train::RunSpec spec;
  train::RunResult result;
  std::string record_path;
  double seconds = 0;
};

nlohmann::json row_json(const RunRow& row) {
  const train::RunRecord& r = row.result.record;
  nlohmann::json final_metrics = nullptr;
  if (!r.epochs.empty()) {
    const auto& ep = r.epochs.back();
    final_metrics = {{"train", {{"loss", ep.train.loss}, {"top1", ep.train.top1}}}};
    for (const auto& [name, m] : ep.eval)
      final_metrics[name] = {{"loss", m.loss}, {"top1", m.top1}, {"top5", m.top5}};
  }
  nlohmann::json j = {{"dataset", row.spec.dataset},
                      {"seed", row.spec.seed},
                      {"outcome", outcome_name(row.result.outcome)},
                      {"status", r.status},
                      {"epochs_done", r.epochs.size()},
                      {"epochs", row.spec.hp.total_epochs()},
                      {"final", final_metrics},
                      {"seconds", row.seconds},
                      {"record", row.record_path}};
  if (r.status == "failed") j["failure"] = r.failure;
  if (row.result.resumed_from > 0) j["resumed_from_epoch"] = row.result.resumed_from;
  return j;
}

void print_table(const std::vector<RunRow>& rows) {
  std::printf("%-15s %6s %-12s %7s %9s  %-44s %9s\n", "dataset", "seed", "status", "epochs",
              "train@1", "eval top-1 (last epoch)", "time");
  for (const RunRow& row : rows) {
    const train::RunRecord& r = row.result.record;
    std::string train_top1 = "-", eval;
    if (!r.epochs.empty()) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.2f", r.epochs.back().train.top1);
      train_top1 = buf;
      for (const auto& [name, m] : r.epochs.back().eval) {
        std::snprintf(buf, sizeof buf, "%s %.2f  ", name.c_str(), m.top1);
        eval += buf;
      }
    }
    const std::string status = row.result.outcome == train::RunOutcome::AlreadyDone
                                   ? r.status + " (kept)"
                                   : outcome_name(row.result.outcome);
    const std::string epochs =
        std::to_string(r.epochs.size()) + "/" + std::to_string(row.spec.hp.total_epochs());
    std::printf("%-15s %6llu %-12s %7s %9s  %-44s %9s\n", row.spec.dataset.c_str(),
                static_cast<unsigned long long>(row.spec.seed), status.c_str(), epochs.c_str(),
                train_top1.c_str(), eval.c_str(), format_duration(row.seconds).c_str());
  }
  for (const RunRow& row : rows) {
    if (row.result.record.status == "failed")
      std::printf("failed: %s seed %llu: %s\n", row.spec.dataset.c_str(),
                  static_cast<unsigned long long>(row.spec.seed),
                  row.result.record.failure.c_str());
  }
  if (!rows.empty())
    std::printf("records under %s\n",
                fs::path(rows.front().record_path).parent_path().string().c_str());
}

// Every md5 mismatch is in the record; on the console one line says the data are not official.
void log_data_warnings(const data::BenchmarkData& d) {
  std::size_t mismatched = 0;
  for (const auto& c : d.checksums) mismatched += c.ok() ? 0 : 1;
  for (const auto& w : d.warnings)
    if (w.rfind("md5 of ", 0) != 0) spdlog::warn("{}", w);
  if (mismatched > 0)
    spdlog::warn("{} of {} files differ from the official ones (md5; listed in the records)",
                 mismatched, d.checksums.size());
}

}  // namespace

Action add_train_command(CLI::App& app) {
  struct Options {
    std::string space, arch, datasets = all_datasets(), hp = "12", seeds = "777", data_root, splits,
                             out, device = "cpu";
    std::int64_t max_batches = 0;
    int threads = 0, concurrent = 1;
    bool save_weights = false, fast = false, json = false, no_graph = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "train", "Train one candidate with the benchmark protocol; resumes from its checkpoints");
  cmd->add_option("--space", o->space, "Search space: tss or sss")->required();
  cmd->add_option("--arch", o->arch, "Official index or arch string")->required();
  cmd->add_option("--datasets", o->datasets, "Comma-separated benchmark datasets")
      ->capture_default_str();
  cmd->add_option("--hp", o->hp, "Hyper-parameter set: 01, 12, 90, 200 or a YAML file")
      ->capture_default_str();
  cmd->add_option("--seeds", o->seeds, "Comma-separated seeds")->capture_default_str();
  cmd->add_option("--data-root", o->data_root,
                  "Dataset root (default $TORCH_HOME/cifar.python, as the reference)");
  cmd->add_option("--splits", o->splits, "Directory of the split files (default DATA_ROOT/splits)");
  cmd->add_option("--out", o->out, "Output directory for records and checkpoints")->required();
  cmd->add_option("--device", o->device, "cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--max-batches", o->max_batches,
                  "Cap on the batches of every epoch and eval set (smoke runs; recorded)");
  cmd->add_option("--threads", o->threads,
                  "CPU threads (default: OMP_NUM_THREADS, else the CPUs this process may use)");
  cmd->add_flag("--save-weights", o->save_weights,
                "Store the final state dict beside each record (torch.load-compatible)");
  cmd->add_flag("--fast", o->fast,
                "cuDNN autotuning and TF32 instead of deterministic fp32 kernels (not "
                "bit-reproducible)");
  cmd->add_flag("--no-graph", o->no_graph,
                "Run every CUDA step eagerly instead of as a CUDA graph");
  cmd->add_option("--concurrent", o->concurrent,
                  "Runs (seeds, datasets) trained at once, each on its own CUDA stream (for GPUs)")
      ->capture_default_str();
  cmd->add_flag("--json", o->json, "Print the summary as JSON instead of a table");
  return [o]() {
    // Every argument is checked before any work starts.
    const Space space = parse_space(o->space);
    const ArchConfig arch = resolve_arch(space, o->arch);
    const auto datasets = parse_datasets(o->datasets);
    const train::HyperParams hp = train::load_hyper_params(o->hp);
    const auto seeds = parse_seeds(o->seeds);
    if (o->max_batches < 0) throw ArgError("--max-batches: expected >= 0 (0 = no cap)");
    check_threads(o->threads);
    check_concurrent(o->concurrent);
    const c10::Device device = model::parse_device(o->device);
    const auto [root, splits] = resolve_data(o->data_root, o->splits);
    require_writable(o->out);
    set_threads(o->threads);

    // The runs in plan order (per dataset, per seed). Every dataset with work left is loaded
    // before training starts, so a missing file or split is reported now, not hours into the
    // sweep; finished runs need no data.
    std::vector<train::RunSpec> plan;
    train::DatasetCache data(root, splits, device);
    for (const auto& dataset : datasets) {
      bool all_done = true;
      for (const auto seed : seeds) {
        plan.push_back({arch, hp, seed, dataset, o->max_batches, !o->fast});
        all_done =
            all_done && train::finished_record(plan.back(), train::run_paths(o->out, plan.back()));
      }
      if (!all_done) data.get(dataset);
    }

    install_stop_handlers();
    train::set_deterministic(!o->fast);
    spdlog::info(
        "natsbench {} on {} ({} threads): {} {} hp {} ({} epochs), {} dataset(s) x {} "
        "seed(s)",
        train::natsbench_version(), device.str(), at::get_num_threads(), space_name(space),
        arch.arch_str, hp.name, hp.total_epochs(), datasets.size(), seeds.size());
    if (o->concurrent > 1 && !device.is_cuda())
      spdlog::warn(
          "--concurrent {} on {}: the runs share the CPU threads; concurrency is meant "
          "for GPUs",
          o->concurrent, device.str());
    for (const auto& dataset : datasets) {
      if (!data.loaded(dataset)) continue;
      const auto& d = data.get(dataset);
      spdlog::info("loaded {} from {} in {:.1f} s (train {}, {})", dataset, root,
                   data.load_seconds(dataset), d.train.size(),
                   d.official_sizes ? "official sizes" : "not the official sizes");
      log_data_warnings(d);
    }

    // Up to --concurrent runs train at once, advanced in turn, each on its own CUDA stream. With
    // several at once there is no progress bar, only each run's epoch lines.
    std::vector<std::optional<RunRow>> rows(plan.size());
    std::vector<std::unique_ptr<ProgressDisplay>> displays(plan.size());
    train::RunQueueHooks hooks;
    hooks.admit = [&](std::size_t i, const train::RunSpec& spec, const train::RunPaths& paths) {
      RunRow& row = rows[i].emplace();
      row.spec = spec;
      row.record_path = paths.record;
      displays[i] = std::make_unique<ProgressDisplay>(o->concurrent == 1);
      displays[i]->start_run(label_of(spec), static_cast<int>(i) + 1,
                             static_cast<int>(plan.size()));
      if (auto done = train::finished_record(spec, paths)) {
        row.result = {train::RunOutcome::AlreadyDone, std::move(*done), 0};
        return false;
      }
      return true;
    };
    hooks.hooks = [&](std::size_t i, const train::RunSpec&) {
      ProgressDisplay* display = displays[i].get();
      const Clock::time_point run_start = Clock::now();
      train::TrainHooks h;
      h.on_batch = [display](const train::Progress& p) { display->batch(p); };
      h.on_epoch = [display, run_start](const train::RunRecord& r, int epoch) {
        display->epoch(r, epoch, seconds_since(run_start));
      };
      h.on_warning = [display](const std::string& w) {
        display->clear_line();
        spdlog::warn("{}", w);
      };
      return h;
    };
    hooks.ended = [&](std::size_t i, const train::RunSpec& spec, const train::RunResult& result,
                      double seconds) {
      RunRow& row = *rows[i];
      row.result = result;
      row.seconds = seconds;
      displays[i]->clear_line();
      if (result.outcome == train::RunOutcome::Failed)
        spdlog::warn("{}: failed: {}", label_of(spec), result.record.failure);
    };
    train::RunQueueOptions queue;
    queue.out = o->out;
    queue.concurrent = o->concurrent;
    queue.environment = train::run_environment(device);
    queue.save_weights = o->save_weights;
    queue.cuda_graphs = !o->no_graph;
    const bool interrupted = !train::run_queue(plan, queue, data, device, hooks);
    std::vector<RunRow> done_rows;
    for (auto& row : rows)
      if (row) done_rows.push_back(std::move(*row));
    const std::vector<RunRow>& finished = done_rows;
    if (o->json) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& row : finished) out.push_back(row_json(row));
      print_json({{"space", std::string(space_name(space))},
                  {"arch", arch.arch_str},
                  {"arch_index", arch.index},
                  {"hp", hp.name},
                  {"interrupted", interrupted},
                  {"runs", out}});
    } else {
      print_table(finished);
    }
    if (interrupted) {
      spdlog::warn("stopped by signal {}: checkpoint saved; run the same command again to resume",
                   stop_signal());
      return kInterruptedExitCode;
    }
    return 0;
  };
}

Action add_bench_train_command(CLI::App& bench) {
  struct Options {
    std::string space, arch, dataset = "cifar10", device = "cpu", step;
    std::int64_t steps = 10, warmup = 5;
    int concurrent = 1, threads = 0;
    bool fast = false, graph = false, no_graph = false, channels_last = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = bench.add_subcommand(
      "train", "Training and evaluation images/s of one candidate on synthetic data (batch 256)");
  cmd->add_option("--space", o->space, "Search space: tss or sss")->required();
  cmd->add_option("--arch", o->arch, "Official index or arch string")->required();
  cmd->add_option("--dataset", o->dataset, "Shape and classes of this benchmark dataset")
      ->capture_default_str();
  cmd->add_option("--device", o->device, "cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--steps,--batches", o->steps,
                  "Timed training steps per run (and as many evaluation steps)")
      ->capture_default_str();
  cmd->add_option("--warmup", o->warmup,
                  "Untimed steps before them (with --graph: 3 eager steps, the capture, ...)")
      ->capture_default_str();
  cmd->add_option("--concurrent", o->concurrent,
                  "Independent runs (seeds 777, 888, ...) stepped round-robin, each on its own "
                  "CUDA stream; meaningful on a GPU")
      ->capture_default_str();
  cmd->add_option("--step", o->step,
                  "plain (torch::optim::SGD, eager) or graph-safe (default: graph-safe on cuda, "
                  "plain on cpu)");
  auto* graph = cmd->add_flag("--graph", o->graph,
                              "Capture the graph-safe steps as CUDA graphs (default on cuda)");
  auto* no_graph = cmd->add_flag("--no-graph", o->no_graph, "Run every step eagerly");
  graph->excludes(no_graph);
  cmd->add_flag("--channels-last", o->channels_last,
                "Network and batches in channels-last memory format");
  cmd->add_flag("--fast", o->fast,
                "cuDNN autotuning and TF32 instead of deterministic fp32 kernels");
  cmd->add_option("--threads", o->threads,
                  "CPU threads (default: OMP_NUM_THREADS, else the CPUs this process may use)");
  return [o]() {
    const Space space = parse_space(o->space);
    train::ThroughputOptions t;
    t.arch = resolve_arch(space, o->arch);
    t.dataset = o->dataset;
    check_threads(o->threads);
    t.device = model::parse_device(o->device);
    t.graph = o->graph || (t.device.is_cuda() && !o->no_graph && o->step != "plain");
    if (o->step.empty()) {
      t.path = t.device.is_cuda() || t.graph ? train::StepPath::GraphSafe : train::StepPath::Plain;
    } else if (o->step == "plain" || o->step == "graph-safe") {
      t.path = o->step == "plain" ? train::StepPath::Plain : train::StepPath::GraphSafe;
    } else {
      throw ArgError("--step '" + o->step + "': expected plain or graph-safe");
    }
    t.channels_last = o->channels_last;
    t.steps = o->steps;
    t.warmup = o->warmup;
    t.concurrent = o->concurrent;
    train::check_throughput_options(t);
    set_threads(o->threads);
    train::set_deterministic(!o->fast);

    const train::ThroughputResult r = train::measure_throughput(t);
    const double runs = t.concurrent;
    const double train_ips = r.train_images_per_second(), eval_ips = r.eval_images_per_second();
    const model::Cost cost = model::count_cost(t.arch, data::dataset(t.dataset));
    const nlohmann::json env = train::run_environment(t.device);

    nlohmann::json projected = sweep::project_sweep(space, train_ips, eval_ips);
    // One run's epoch at its share of the device.
    const double epoch = sweep::epoch_seconds(t.dataset, train_ips / runs, eval_ips / runs);
    const double epoch_train =
        static_cast<double>(data::dataset(t.dataset).official_train_size) / (train_ips / runs);
    projected["seconds_per_epoch"] = {
        {t.dataset, {{"train", epoch_train}, {"eval", epoch - epoch_train}, {"total", epoch}}}};
    projected["images_per_second"] = {{"train", train_ips}, {"eval", eval_ips}};
    projected["assumption"] =
        "every architecture and every dataset of the sweep trains and evaluates at the aggregate "
        "images/s measured here (this architecture on " +
        t.dataset + " shapes, " + std::to_string(t.concurrent) + " concurrent run(s) on " +
        t.device.str() +
        "); ImageNet16-120's 16x16 images cost about a quarter of a 32x32 CIFAR image and "
        "candidates differ several-fold in cost, so this is an order of magnitude, not a plan";

    nlohmann::json out = {
        {"space", std::string(space_name(space))},
        {"arch", t.arch.arch_str},
        {"arch_index", t.arch.index},
        {"dataset", t.dataset},
        {"device", t.device.str()},
        {"device_name", env.value("device_name", "unknown")},
        {"libtorch", env["libtorch"]},
        {"deterministic", !o->fast},
        {"tf32", o->fast && t.device.is_cuda()},
        {"step", t.path == train::StepPath::Plain ? "plain" : "graph-safe"},
        {"graph", t.graph},
        {"channels_last", t.channels_last},
        {"concurrent", t.concurrent},
        {"intra_op_threads", at::get_num_threads()},
        {"inter_op_threads", at::get_num_interop_threads()},
        {"batch_size", r.batch_size},
        {"warmup_steps", t.warmup},
        {"timed_steps", t.steps},
        {"seconds", r.train_seconds},
        {"train_images_per_second", train_ips / runs},
        {"ms_per_step", 1000.0 * r.train_seconds / static_cast<double>(t.steps)},
        {"eval_images_per_second", eval_ips / runs},
        {"eval_ms_per_step", 1000.0 * r.eval_seconds / static_cast<double>(t.steps)},
        {"losses_finite", r.finite},
        {"mflops_per_image", cost.flops()},
        {"projected", projected}};
    if (t.device.is_cuda()) {
      out["cuda_runtime"] = env["cuda_runtime"];
      out["cudnn"] = env["cudnn"];
    }
    if (t.concurrent > 1) {
      out["aggregate_images_per_second"] = train_ips;
      out["aggregate_eval_images_per_second"] = eval_ips;
      if (!t.device.is_cuda())
        out["note"] = "concurrent runs share the CPU threads; concurrency is meant for GPUs";
    }
    if (!r.profile.empty()) {
      nlohmann::json profile = nlohmann::json::object();
      for (const auto& [name, fraction] : r.profile) profile[name] = fraction;
      out["profile_fraction"] = profile;
    }
    print_json(out);
    return 0;
  };
}

}  // namespace natsbench::cli
