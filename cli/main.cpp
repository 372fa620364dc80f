// natsbench: the command-line front end. Each subcommand parses its arguments, calls one stage
// of the library and prints JSON. Built twice (CMakeLists.txt): `natsbench` without LibTorch
// (NATSBENCH_CORE_ONLY) runs the file commands and execs `natsbench-torch` for the others.
// Errors become one line on stderr:
//   exit 2  bad argument or input (ArgError, unparsable command line)
//   exit 1  any other failure (I/O, runtime)
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <map>
#include <string>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "cli_common.h"
#include "natsbench/util/error.h"

#ifdef NATSBENCH_CORE_ONLY
namespace {

// The commands this binary runs itself: the ones that only read and write benchmark files.
bool runs_here(int argc, char** argv) {
  if (argc < 2) return false;  // the full help
  const std::string command = argv[1];
  if (command == "--version") return true;
  if (command == "arch" || command == "query" || command == "convert" ||
      command == "search")
    return true;
  if (command != "bench") return false;
  const std::string what = argc > 2 ? argv[2] : "";
  return what == "load" || what == "synth";
}

// Replaces this process with natsbench-torch (same pid, so signals from a scheduler reach it),
// which has every command; returns only when that fails.
int hand_over(char** argv) {
  std::string self(4096, '\0');
  const ssize_t n = ::readlink("/proc/self/exe", self.data(), self.size() - 1);
  std::string torch_binary = "natsbench-torch";
  if (n > 0) {
    self.resize(static_cast<std::size_t>(n));
    torch_binary = self.substr(0, self.rfind('/') + 1) + "natsbench-torch";
  }
  ::execv(torch_binary.c_str(), argv);
  std::cerr << "natsbench: error: '" << (argv[1] ? argv[1] : "--help")
            << "' needs LibTorch, in natsbench-torch next to this binary, and " << torch_binary
            << " cannot be run: " << std::strerror(errno) << '\n';
  return 1;
}

}  // namespace
#endif

int main(int argc, char** argv) {
#ifdef NATSBENCH_CORE_ONLY
  if (!runs_here(argc, argv)) return hand_over(argv);
#endif
  // Logs and progress go to stderr; stdout carries only the results (JSON or tables).
  spdlog::set_default_logger(spdlog::stderr_color_mt("natsbench"));
  spdlog::set_pattern("[%H:%M:%S] %^%l%$ %v");
  CLI::App app{"natsbench: the NATS-Bench search spaces, networks and benchmark files in C++",
               "natsbench"};
  app.require_subcommand(1);
  app.set_version_flag("--version", natsbench::cli::version_string());

  std::map<CLI::App*, natsbench::cli::Action> actions;
  const auto add = [&](natsbench::cli::Action (*factory)(CLI::App&)) {
    const auto before = app.get_subcommands({}).size();
    auto action = factory(app);
    actions.emplace(app.get_subcommands({}).at(before), std::move(action));
  };
  add(natsbench::cli::add_arch_command);
#ifndef NATSBENCH_CORE_ONLY
  add(natsbench::cli::add_cost_command);
  add(natsbench::cli::add_weights_command);
#endif
  add(natsbench::cli::add_query_command);
  add(natsbench::cli::add_convert_command);
  add(natsbench::cli::add_search_command);
  add(natsbench::cli::add_bench_command);
#ifndef NATSBENCH_CORE_ONLY
  add(natsbench::cli::add_dataset_command);
  add(natsbench::cli::add_make_fake_data_command);
  add(natsbench::cli::add_train_command);
  add(natsbench::cli::add_sweep_command);
  add(natsbench::cli::add_collect_command);
#endif

  if (argc > 1 && argv[1][0] != '-') {
    std::string known;
    bool found = false;
    for (auto* sub : app.get_subcommands({})) {
      known += (known.empty() ? "" : ", ") + sub->get_name();
      found = found || sub->get_name() == argv[1];
    }
    if (!found) {
      std::cerr << "natsbench: error: unknown command '" << argv[1] << "': expected one of "
                << known << '\n';
      return 2;
    }
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "natsbench: error: " << e.what() << " (see natsbench --help)\n";
    return 2;
  }

  try {
    for (auto* sub : app.get_subcommands()) return actions.at(sub)();
    return 2;
  } catch (const natsbench::ArgError& e) {
    std::cerr << "natsbench: error: " << e.what() << '\n';
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "natsbench: error: " << e.what() << '\n';
    return 1;
  }
}
