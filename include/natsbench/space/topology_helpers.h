#pragma once
// The official API's topology helpers (docs/archive-format.md §4.14, docs/networks.md §1.5-1.6).
#include <array>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "natsbench/space/topology.h"

namespace natsbench {

enum class ZeroHandling { Consider, AsOp, Ignore };  // consider_zero = True / False / None

// to_unique_str: the isomorphism key (6466 distinct values over the benchmark with Consider).
std::string unique_string(const Genotype& genotype, ZeroHandling zero = ZeroHandling::Consider);
// check_valid: whether the output node is reachable through non-`none` edges.
bool is_connected(const Genotype& genotype);
// str2matrix: M[node][source] = op index (4 x 4; `none` and "no edge" are both 0).
std::vector<std::vector<double>> adjacency_matrix(const Genotype& genotype);
// str2fullstructure: fills `default_op~j` for missing j in 0..g-2 (the reference never fills
// source g-1) and sorts each node's edges by (source, op name).
Genotype full_structure(const Genotype& genotype, Op default_op = Op::None);
// tolist(remove_str): per node, edges sorted by (source, op name) minus `removed`; nullopt when
// a node is left without edges.
std::optional<std::vector<std::vector<Edge>>> to_list(const Genotype& genotype, Op removed);

}  // namespace natsbench
