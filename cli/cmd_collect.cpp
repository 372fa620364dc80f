// natsbench collect --space tss|sss --runs DIR[,DIR...] --out DIR [--hp 12,200] [--check]
// Torch-free: runs in the natsbench binary itself.
#include <spdlog/spdlog.h>

#include "cli_common.h"
#include "natsbench/sweep/collect.h"
#include "natsbench/util/interrupt.h"

namespace natsbench::cli {

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
    if (!o->check) require_creatable_dir(o->out, "--out");
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
    install_stop_handlers();  // Ctrl-C removes the partial output
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
