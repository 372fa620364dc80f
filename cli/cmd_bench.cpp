// natsbench bench load --space S --benchmark PATH
// natsbench bench synth --space S --from ARCHIVE_DIR --archs N --out FILE
// Benchmarks of natsbench itself (not tests): load time and peak memory of a benchmark file,
// and a synthetic benchmark file (records cloned from an archive's architectures) to load.
#include <sys/resource.h>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>

#include "cli_common.h"
#include "natsbench/bench/archive.h"
#include "natsbench/bench/benchmark.h"
#include "natsbench/util/interrupt.h"

namespace natsbench::cli {

namespace {
double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux reports KiB
}
// Resident memory now (what the loaded benchmark keeps), from /proc/self/statm.
double current_rss_mib() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / 1048576.0;
}
}  // namespace

Action add_bench_group(CLI::App& app) {
  auto* bench = app.add_subcommand("bench", "Measure natsbench itself (speed and memory)");
  bench->require_subcommand(1);
  return [] { return 2; };  // never runs: one of its subcommands is required
}

Action add_bench_load_command(CLI::App& bench) {
  struct Options {
    std::string space, path;
  };
  auto o = std::make_shared<Options>();
  auto* load = bench.add_subcommand("load", "Time and peak memory of loading a benchmark");
  load->add_option("--space", o->space, "Search space: tss or sss")->required();
  load->add_option("--benchmark", o->path, "Benchmark file or archive directory")->required();
  return [o]() {
    const Space space = parse_space(o->space);
    const auto start = std::chrono::steady_clock::now();
    const bool is_dir = std::filesystem::is_directory(o->path);
    auto api = bench::Benchmark::create(o->path, space, is_dir);
    api.load_all_available();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    print_json({{"benchmark", o->path},
                {"architectures", api.evaluated_indexes().size()},
                {"seconds", seconds},
                {"peak_rss_mib", peak_rss_mib()},
                {"rss_after_load_mib", current_rss_mib()}});
    return 0;
  };
}

Action add_bench_synth_command(CLI::App& bench) {
  struct Options {
    std::string space, from, out;
    int archs = 1000;
  };
  auto o = std::make_shared<Options>();
  auto* synth = bench.add_subcommand(
      "synth", "Write a benchmark file of N architectures cloned from an archive's records");
  synth->add_option("--space", o->space, "Search space: tss or sss")->required();
  synth->add_option("--from", o->from, "Archive directory holding at least one architecture")
      ->required();
  synth->add_option("--archs", o->archs, "Number of architectures (indexes 0..N-1)")
      ->capture_default_str();
  synth->add_option("--out", o->out, "Output benchmark file (.pickle.pbz2)")->required();
  return [o]() {
    const Space space = parse_space(o->space);
    if (o->archs <= 0) throw ArgError("--archs " + std::to_string(o->archs) + ": expected >= 1");
    require_writable_file(o->out, "--out");
    auto source = bench::Benchmark::create(o->from, space, true);
    if (source.load_all_available() == 0) {
      throw ArgError("--from '" + o->from + "': the archive holds no architecture file");
    }
    if (o->archs > source.size()) {
      throw ArgError("--archs " + std::to_string(o->archs) + ": the space has only " +
                     std::to_string(source.size()));
    }
    std::vector<const bench::ArchInfo*> templates;
    for (const auto& [index, info] : source.loaded()) templates.push_back(&info);
    bench::BenchmarkContents contents{source.meta_archs(), {}};
    for (int i = 0; i < o->archs; ++i) {
      bench::ArchInfo info = *templates[i % templates.size()];
      for (auto& [hp, result] : info) {
        result.arch_index = i;
        result.arch_str = source.meta_archs()[i];
      }
      contents.arch2infos.emplace(i, std::move(info));
    }
    install_stop_handlers();  // Ctrl-C removes the partial file
    bench::write_benchmark_file(o->out, contents);
    print_json({{"out", o->out}, {"architectures", o->archs}});
    return 0;
  };
}

}  // namespace natsbench::cli
