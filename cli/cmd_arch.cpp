// natsbench arch --space tss|sss (--index N | --arch STR | --list)
#include <iostream>
#include <memory>

#include "cli_common.h"
#include "natsbench/space/arch.h"
#include "natsbench/space/size.h"
#include "natsbench/space/topology.h"

namespace natsbench::cli {

Action add_arch_command(CLI::App& app) {
  struct Options {
    std::string space, index, arch;
    bool list = false;
  };
  auto options = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("arch", "Map an index to its arch string and back, or list all");
  cmd->add_option("--space", options->space, "Search space: tss or sss")->required();
  auto* index = cmd->add_option("--index", options->index, "Official index");
  auto* arch = cmd->add_option("--arch", options->arch, "Exact canonical arch string");
  auto* list = cmd->add_flag("--list", options->list, "Print every arch string in index order");
  index->excludes(arch)->excludes(list);
  arch->excludes(list);
  return [options, index, arch, list]() {
    const Space space = parse_space(options->space);
    if (list->count() > 0) {
      std::string text;
      for (int i = 0; i < space_size(space); ++i) {
        text += space == Space::Topology ? TopologySpace::get().arch(i) : SizeSpace::get().arch(i);
        text += '\n';
      }
      std::cout << text;
      return 0;
    }
    if (index->count() == 0 && arch->count() == 0) {
      throw ArgError("arch: expected one of --index N, --arch STR or --list");
    }
    const ArchConfig config = index->count() > 0
                                  ? arch_from_index(space, parse_index(options->index, "--index"))
                                  : lookup_arch(space, options->arch);
    print_json({{"index", config.index}, {"arch", config.arch_str}});
    return 0;
  };
}

}  // namespace natsbench::cli
