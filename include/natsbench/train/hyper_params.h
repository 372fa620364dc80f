#pragma once
// Hyper-parameter sets (docs/training.md §5.1, §5.5, §5.6): the four benchmark sets 01, 12, 90 and
// 200 ship as configs/hyper-opts/<name>E.yaml and are also compiled in, so `--hp 12` works from
// any directory; a user's own YAML file is read from its path.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace natsbench::train {

struct HyperParams {
  std::string name;  // "12" for the benchmark sets, the file stem for a user's file
  int epochs = 0;
  std::int64_t batch_size = 256;
  double lr = 0.1;
  double momentum = 0.9;
  bool nesterov = true;
  double weight_decay = 5e-4;
  double eta_min = 0.0;
  int warmup = 0;

  // Epochs actually run: the reference trains epochs + warmup (docs/training.md §5.6).
  int total_epochs() const { return epochs + warmup; }
  bool operator==(const HyperParams& other) const;
  bool operator!=(const HyperParams& other) const { return !(*this == other); }
};

// Parses and validates YAML text; `source` names the file in errors. Throws ArgError naming the
// source and the field for unknown or missing fields and out-of-range values.
HyperParams parse_hyper_params(std::string_view yaml_text, std::string_view source,
                               std::string name);
// "01", "1", "01E", "12", "12E", "90", "200" (the benchmark sets) or a path to a YAML file.
HyperParams load_hyper_params(std::string_view name_or_path);
// The benchmark set names in order: "01", "12", "90", "200".
std::vector<std::string> benchmark_hyper_param_names();

// The learning rate the reference applies at iteration `iter` of `iters` of epoch `epoch`
// (docs/training.md §5.6): cosine per epoch after a linear warm-up that moves per iteration. With
// warmup = 0 it is constant within an epoch: 0.05 * (1 + cos(pi * e / E)) for the benchmark sets.
double learning_rate(const HyperParams& hp, int epoch, std::int64_t iter = 0,
                     std::int64_t iters = 1);

nlohmann::json to_json(const HyperParams& hp);
HyperParams hyper_params_from_json(const nlohmann::json& j);  // throws Error

}  // namespace natsbench::train
