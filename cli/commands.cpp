#include "commands.h"

namespace natsbench::cli {

// The LibTorch-free binary does not link the factories of the commands that need LibTorch.
#ifdef NATSBENCH_CORE_ONLY
#define NATSBENCH_TORCH_FACTORY(factory) nullptr
#else
#define NATSBENCH_TORCH_FACTORY(factory) factory
#endif

// The factories, each in its cli/cmd_*.cpp (cli/torch/ for those that need LibTorch).
Action add_arch_command(CLI::App& app);
Action add_cost_command(CLI::App& app);
Action add_weights_command(CLI::App& app);
Action add_query_command(CLI::App& app);
Action add_convert_command(CLI::App& app);
Action add_search_command(CLI::App& app);
Action add_bench_group(CLI::App& app);
Action add_bench_load_command(CLI::App& bench);
Action add_bench_synth_command(CLI::App& bench);
Action add_bench_data_command(CLI::App& bench);
Action add_bench_train_command(CLI::App& bench);
Action add_bench_search_command(CLI::App& bench);
Action add_dataset_command(CLI::App& app);
Action add_make_fake_data_command(CLI::App& app);
Action add_train_command(CLI::App& app);
Action add_sweep_command(CLI::App& app);
Action add_collect_command(CLI::App& app);

const std::vector<Command>& commands() {
  // In the order of `natsbench --help`; a group's row comes before its subcommands' rows.
  static const std::vector<Command> table = {
      {"arch", add_arch_command, false},
      {"cost", NATSBENCH_TORCH_FACTORY(add_cost_command), true},
      {"weights", NATSBENCH_TORCH_FACTORY(add_weights_command), true},
      {"query", add_query_command, false},
      {"convert", add_convert_command, false},
      {"search", add_search_command, false},
      {"bench", add_bench_group, false},
      {"bench load", add_bench_load_command, false},
      {"bench synth", add_bench_synth_command, false},
      {"bench data", NATSBENCH_TORCH_FACTORY(add_bench_data_command), true},
      {"bench train", NATSBENCH_TORCH_FACTORY(add_bench_train_command), true},
      {"bench search", NATSBENCH_TORCH_FACTORY(add_bench_search_command), true},
      {"dataset", NATSBENCH_TORCH_FACTORY(add_dataset_command), true},
      {"make-fake-data", NATSBENCH_TORCH_FACTORY(add_make_fake_data_command), true},
      {"train", NATSBENCH_TORCH_FACTORY(add_train_command), true},
      {"sweep", add_sweep_command, false},  // training hands over (NeedsTorch); --status does not
      {"collect", add_collect_command, false},
  };
  return table;
}

const Command* find_command(std::string_view name) {
  for (const Command& c : commands())
    if (c.name == name) return &c;
  return nullptr;
}

}  // namespace natsbench::cli
