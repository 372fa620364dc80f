#pragma once
// The command table: every subcommand of natsbench, once. Both binaries are driven by it: the
// LibTorch-free `natsbench` registers the rows that do not need LibTorch and hands the others over
// to `natsbench-torch` (same argv, same pid), which registers them all.
//
// Adding a command = its cli/cmd_<name>.cpp (cli/torch/ when it needs LibTorch) with a factory,
// plus its row in commands.cpp.
#include <string_view>
#include <vector>

#include "cli_common.h"

namespace natsbench::cli {

// Adds one subcommand to `parent` (the app, or the group of a "group sub" row) and returns its
// action.
using Factory = Action (*)(CLI::App& parent);

struct Command {
  std::string_view name;  // "query", or "bench load" for a subcommand of the group "bench"
  Factory factory;        // nullptr in the LibTorch-free binary when needs_torch
  bool needs_torch;
};

const std::vector<Command>& commands();
// The row named `name`, or nullptr.
const Command* find_command(std::string_view name);

// Thrown by an action of the LibTorch-free binary whose work needs LibTorch after all (`sweep`
// without --status): main hands the command line over to natsbench-torch.
struct NeedsTorch {};

}  // namespace natsbench::cli
