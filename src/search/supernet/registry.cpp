#include <array>

#include "algorithms.h"

namespace natsbench::search {

const std::vector<SupernetAlgorithmInfo>& supernet_algorithms() {
  static const std::vector<SupernetAlgorithmInfo> table = {
      {"darts-v1", "darts-v1", "DARTS, first order: joint supernet, Adam on softmax(alpha)",
       model::SupernetArch::Alpha, make_darts_v1},
      {"darts-v2", "darts-v2",
       "DARTS, second order: the arch gradient through one unrolled SGD step",
       model::SupernetArch::Alpha, make_darts_v2},
      {"gdas", "gdas", "GDAS: one op per edge from a Gumbel-softmax sample, tau 10 -> 0.1",
       model::SupernetArch::Alpha, make_gdas},
      {"setn", "setn", "SETN: uniform one-shot weight steps, joint template arch steps",
       model::SupernetArch::Alpha, make_setn},
      {"rsps", "random", "random search with parameter sharing: uniform per-cell sampling",
       model::SupernetArch::Alpha, make_rsps},
      {"enas", "enas",
       "ENAS: an LSTM controller samples the weight steps' architectures, REINFORCE",
       model::SupernetArch::EnasController, make_enas},
  };
  return table;
}

const SupernetAlgorithmInfo* find_supernet_algorithm(std::string_view name) {
  for (const auto& info : supernet_algorithms()) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

std::string supernet_algorithm_names() {
  std::string names;
  const auto& table = supernet_algorithms();
  for (std::size_t i = 0; i < table.size(); ++i) {
    if (i > 0) names += i + 1 == table.size() ? " or " : ", ";
    names += table[i].name;
  }
  return names;
}

}  // namespace natsbench::search
