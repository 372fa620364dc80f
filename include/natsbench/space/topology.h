#pragma once
// The topology search space (tss): 5 ops on the 6 edges of a 4-node cell, 15,625 cells,
// indexed in the official NATS-Bench / NAS-Bench-201 order (docs/networks.md §1).
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace natsbench {

// Op indexes follow the normative list NAS_BENCH_201 (docs/networks.md §1.1).
enum class Op : std::uint8_t { None = 0, SkipConnect, NorConv1x1, NorConv3x3, AvgPool3x3 };
inline constexpr int kNumOps = 5;

std::string_view op_name(Op op);
std::optional<Op> op_from_name(std::string_view name);

struct Edge {
  Op op;
  int source;  // index of the input node, 0 <= source < node
  bool operator==(const Edge& other) const { return op == other.op && source == other.source; }
};

// nodes[g - 1] holds the incoming edges of node g (node 0 is the cell input), in the order
// they were written; that order fixes layer numbering and summation order in the network.
struct Genotype {
  std::vector<std::vector<Edge>> nodes;
  bool operator==(const Genotype& other) const { return nodes == other.nodes; }
};

// Parses the general grammar the network builder accepts (docs/networks.md §1.3): groups split on
// '+', pieces split on '|' with empty pieces dropped, each piece "op~src". Rejects unknown ops,
// sources outside 0..g-1, and groups without edges. Throws ArgError.
Genotype parse_topology(std::string_view text);

// Canonical spelling: |op~0|+|op~0|op~1|+...
std::string format_topology(const Genotype& genotype);

// True for a 3-node genotype whose node g has exactly the edges from sources 0..g-1 in
// ascending order: the shape of every benchmark architecture.
bool is_full_cell(const Genotype& genotype);

// Number of edges with the given op.
int count_op(const Genotype& genotype, Op op);

class TopologySpace {
 public:
  static constexpr int kNumArchs = 15625;

  // The space, built once (enumeration + CPython seed-88 shuffle) and shared.
  static const TopologySpace& get();
  TopologySpace(const TopologySpace&) = delete;
  TopologySpace& operator=(const TopologySpace&) = delete;

  int size() const { return kNumArchs; }
  // Canonical arch string of official index i; throws ArgError when out of range.
  const std::string& arch(int index) const;
  // Official index of an exact canonical string, or -1 when the string is not in the space.
  int index_of(std::string_view arch) const;
  // Official index of a canonical string; throws ArgError naming the string otherwise.
  int require_index(std::string_view arch) const;
  Genotype genotype(int index) const;

  // The gen_all enumeration position of official index i (docs/networks.md §1.4, step 1).
  int enumeration_code(int index) const { return code_of_index_.at(check(index)); }

 private:
  TopologySpace();
  int check(int index) const;
  std::vector<std::string> archs_;
  std::vector<int> code_of_index_;
  std::unordered_map<std::string_view, int> index_of_arch_;
};

}  // namespace natsbench
