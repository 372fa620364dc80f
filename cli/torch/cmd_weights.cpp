// natsbench weights --space S (--index N | --arch STR | --supernet ALGO) --dataset D --seed S
//                   --out FILE
#include <algorithm>
#include <memory>

#include <torch/torch.h>

#include "cli_common.h"
#include "natsbench/data/registry.h"
#include "natsbench/model/network.h"
#include "natsbench/model/state_dict.h"
#include "natsbench/model/topology_supernet.h"
#include "natsbench/search/supernet_search.h"

namespace natsbench::cli {

Action add_weights_command(CLI::App& app) {
  struct Options {
    CandidateOptions candidate;
    std::string supernet, dataset, out;
    std::int64_t seed = 0;
  };
  auto options = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "weights",
      "Write the initial weights of a candidate after torch::manual_seed(seed), as a "
      "torch.load-compatible state dict with the reference key names");
  options->candidate.add_to(*cmd);
  auto* supernet = cmd->add_option(
      "--supernet", options->supernet,
      "Instead of a candidate: the tss search supernet as the algorithm builds it (" +
          search::supernet_algorithm_names() +
          "; as the reference's set_algo: the arch parameters drawn twice, or ENAS's controller)");
  supernet->excludes(options->candidate.index_option)->excludes(options->candidate.arch_option);
  cmd->add_option("--dataset", options->dataset, data::dataset_names())->required();
  cmd->add_option("--seed", options->seed, "Seed given to torch::manual_seed")->required();
  cmd->add_option("--out", options->out, "Output file (written atomically)")->required();
  return [options]() {
    const data::DatasetInfo& dataset = data::dataset(options->dataset);
    if (options->seed < 0) {
      throw ArgError("--seed " + std::to_string(options->seed) + ": expected a non-negative seed");
    }
    if (!options->supernet.empty()) {
      if (parse_space(options->candidate.space) != Space::Topology) {
        throw ArgError("--supernet: only the tss supernet exists so far");
      }
      const auto* algorithm = search::find_supernet_algorithm(options->supernet);
      if (algorithm == nullptr) {
        throw ArgError("--supernet '" + options->supernet + "': expected " +
                       search::supernet_algorithm_names());
      }
      require_writable_file(options->out, "--out");
      torch::manual_seed(static_cast<std::uint64_t>(options->seed));
      model::TopologySupernet network(dataset.num_classes, algorithm->supernet);
      model::save_state_dict(*network, options->out);
      print_json({{"supernet", options->supernet},
                  {"dataset", dataset.name},
                  {"seed", options->seed},
                  {"entries", model::state_dict(*network).size()},
                  {"path", options->out}});
      return 0;
    }
    const ArchConfig arch = options->candidate.resolve();
    require_writable_file(options->out, "--out");
    torch::manual_seed(static_cast<std::uint64_t>(options->seed));
    auto network = model::make_network(arch, dataset.num_classes);
    model::save_state_dict(*network, options->out);
    print_json({{"index", arch.index},
                {"arch", arch.arch_str},
                {"dataset", dataset.name},
                {"seed", options->seed},
                {"entries", model::state_dict(*network).size()},
                {"path", options->out}});
    return 0;
  };
}

}  // namespace natsbench::cli
