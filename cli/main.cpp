// natsbench: the command-line front end. Each subcommand parses its arguments, calls one stage
// of the library and prints JSON. Built twice (CMakeLists.txt): `natsbench` without LibTorch
// (NATSBENCH_CORE_ONLY) runs the file commands and execs `natsbench-torch` for the others.
// Errors become one line on stderr:
//   exit 2  bad argument or input (ArgError, unparsable command line)
//   exit 1  any other failure (I/O, runtime)
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <string>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "cli_common.h"
#include "commands.h"
#include "natsbench/util/error.h"
#include "natsbench/util/interrupt.h"
#include "natsbench/util/malloc_tuning.h"

namespace {

using natsbench::cli::find_command;

// An error message as one line: control characters from user input (a pasted multi-line arch
// string, a file name with a tab) are written as escapes.
std::string one_line(std::string_view text) {
  static const char* const kHex = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (byte < 0x20 || byte == 0x7f) {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 15];
    } else {
      out += c;
    }
  }
  return out;
}

#ifdef NATSBENCH_CORE_ONLY
// Whether this binary runs the command line itself: a command (and subcommand) of the table that
// does not need LibTorch. Help without a command lists every command: natsbench-torch has them.
bool runs_here(int argc, char** argv) {
  if (argc < 2) return false;
  const std::string command = argv[1];
  if (command == "--version") return true;
  const auto* row = find_command(command);
  if (row == nullptr || row->needs_torch) return false;
  bool group = false;
  for (const auto& c : natsbench::cli::commands())
    group = group || c.name.rfind(command + " ", 0) == 0;
  if (!group) return true;
  const auto* sub = argc > 2 ? find_command(command + " " + argv[2]) : nullptr;
  return sub != nullptr && !sub->needs_torch;
}
#endif

// Replaces this process with natsbench-torch (same pid, so signals from a scheduler reach it),
// which has every command; returns only when that fails.
[[maybe_unused]] int hand_over(char** argv) {
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

namespace {
// No numeric option means anything as nan or inf (`--flop-max nan` used to act as no limit):
// refused for every option of the command line, whatever its type.
void refuse_non_finite_numbers(const CLI::App& app) {
  for (const CLI::App* parsed = &app;;) {
    for (const CLI::Option* option : parsed->get_options()) {
      for (const std::string& value : option->results()) {
        char* end = nullptr;
        const double number = std::strtod(value.c_str(), &end);
        if (!value.empty() && end == value.c_str() + value.size() && !std::isfinite(number)) {
          throw natsbench::ArgError(option->get_name() + " '" + value +
                                    "': expected a finite number");
        }
      }
    }
    const auto subcommands = parsed->get_subcommands();
    if (subcommands.empty()) break;
    parsed = subcommands.front();
  }
}
}  // namespace

int main(int argc, char** argv) {
#ifdef NATSBENCH_CORE_ONLY
  if (!runs_here(argc, argv)) return hand_over(argv);
#else
  natsbench::keep_freed_memory();
#endif
  // Logs and progress go to stderr; stdout carries only the results (JSON or tables).
  spdlog::set_default_logger(spdlog::stderr_color_mt("natsbench"));
  spdlog::set_pattern("[%H:%M:%S] %^%l%$ %v");
  CLI::App app{"natsbench: the NATS-Bench search spaces, networks and benchmark files in C++",
               "natsbench"};
  app.require_subcommand(1);
  app.set_version_flag("--version", natsbench::cli::version_string());

  std::map<CLI::App*, natsbench::cli::Action> actions;
  for (const auto& row : natsbench::cli::commands()) {
    if (row.factory == nullptr) continue;  // needs LibTorch: natsbench-torch runs it
    const auto space = row.name.find(' ');
    CLI::App* parent = &app;
    if (space != std::string_view::npos)
      parent = app.get_subcommand(std::string(row.name.substr(0, space)));
    const auto before = parent->get_subcommands({}).size();
    auto action = row.factory(*parent);
    actions.emplace(parent->get_subcommands({}).at(before), std::move(action));
  }

  if (argc > 1 && argv[1][0] != '-') {
    std::string known;
    bool found = false;
    for (auto* sub : app.get_subcommands({})) {
      known += (known.empty() ? "" : ", ") + sub->get_name();
      found = found || sub->get_name() == argv[1];
    }
    if (!found) {
      std::cerr << "natsbench: error: unknown command '" << one_line(argv[1])
                << "': expected one of " << known << '\n';
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
    std::cerr << "natsbench: error: " << one_line(e.what()) << " (see natsbench --help)\n";
    return 2;
  }

  try {
    refuse_non_finite_numbers(app);
    // The innermost parsed subcommand of the table runs ("bench load", not "bench"; "query" for
    // "query more", whose subcommands are its own).
    CLI::App* runner = nullptr;
    for (CLI::App* parsed = &app; !parsed->get_subcommands().empty();) {
      parsed = parsed->get_subcommands().front();
      if (actions.count(parsed) > 0) runner = parsed;
    }
    if (runner == nullptr) return 2;
    return actions.at(runner)();
  } catch (const natsbench::cli::NeedsTorch&) {
#ifdef NATSBENCH_CORE_ONLY
    return hand_over(argv);
#else
    std::cerr << "natsbench: error: internal: a command asked to be handed over to itself\n";
    return 1;
#endif
  } catch (const natsbench::ArgError& e) {
    std::cerr << "natsbench: error: " << one_line(e.what()) << '\n';
    return 2;
  } catch (const natsbench::Interrupted& e) {
    std::cerr << "natsbench: " << e.what() << '\n';
    return 128 + e.signal();
  } catch (const std::exception& e) {
    std::cerr << "natsbench: error: " << one_line(e.what()) << '\n';
    return 1;
  }
}
