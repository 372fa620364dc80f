// natsbench cost --space S (--index N | --arch STR) --dataset D [--latency] [--device DEV]
#include <memory>

#include "cli_common.h"
#include "natsbench/data/registry.h"
#include "natsbench/model/cost.h"
#include "natsbench/model/device.h"

namespace natsbench::cli {

Action add_cost_command(CLI::App& app) {
  struct Options {
    CandidateOptions candidate;
    std::string dataset, device = "cpu";
    bool latency = false;
  };
  auto options = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "cost", "FLOPs and params (millions) counted on the built network; optional latency");
  options->candidate.add_to(*cmd);
  cmd->add_option("--dataset", options->dataset, data::dataset_names())->required();
  cmd->add_flag("--latency", options->latency,
                "Also measure seconds per forward pass of batch 256 (median, eval, no grad)");
  cmd->add_option("--device", options->device, "Device for --latency: cpu, cuda or cuda:N")
      ->capture_default_str();
  return [options]() {
    const ArchConfig arch = options->candidate.resolve();
    const data::DatasetInfo& dataset = data::dataset(options->dataset);
    const c10::Device device = model::parse_device(options->device);
    auto network = model::make_network(arch, dataset.num_classes);
    const model::Cost cost = model::count_cost(network, dataset.side);
    nlohmann::json out = {{"index", arch.index},
                          {"arch", arch.arch_str},
                          {"dataset", dataset.name},
                          {"flops", cost.flops()},
                          {"params", cost.params()}};
    if (options->latency) {
      out["latency"] = model::measure_latency(network, dataset.side, device);
      out["device"] = device.str();
    }
    print_json(out);
    return 0;
  };
}

}  // namespace natsbench::cli
