// natsbench convert --space S --from PATH --to PATH
// Re-writes a benchmark in either form: an archive directory (meta + one file per evaluated
// architecture) or a single benchmark file (when --to ends in .pickle.pbz2).
#include <filesystem>
#include <iostream>
#include <memory>

#include "cli_common.h"
#include "natsbench/bench/archive.h"
#include "natsbench/bench/benchmark.h"
#include "natsbench/util/interrupt.h"

namespace natsbench::cli {

Action add_convert_command(CLI::App& app) {
  struct Options {
    std::string space, from, to;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "convert", "Re-write a benchmark as an archive directory or a single .pickle.pbz2 file");
  cmd->add_option("--space", o->space, "Search space: tss or sss")->required();
  cmd->add_option("--from", o->from, "Benchmark file or archive directory")->required();
  cmd->add_option("--to", o->to, "Output: a directory, or a file ending in .pickle.pbz2")
      ->required();
  return [o]() {
    namespace fs = std::filesystem;
    const Space space = parse_space(o->space);
    require_writable_file(o->to, "--to");
    const bool from_dir = fs::is_directory(o->from);
    auto api = bench::Benchmark::create(o->from, space, from_dir);
    api.load_all_available();
    bench::BenchmarkContents contents{api.meta_archs(), api.loaded()};
    const std::string suffix = ".pickle.pbz2";
    const bool single = o->to.size() > suffix.size() &&
                        o->to.compare(o->to.size() - suffix.size(), suffix.size(), suffix) == 0;
    install_stop_handlers();  // Ctrl-C removes what was written so far
    if (single) {
      bench::write_benchmark_file(o->to, contents);
    } else {
      bench::write_archive_dir(o->to, contents);
    }
    print_json({{"space", std::string(space_name(space))},
                {"architectures", contents.arch2infos.size()},
                {"to", o->to},
                {"form", single ? "benchmark file" : "archive directory"}});
    return 0;
  };
}

}  // namespace natsbench::cli
