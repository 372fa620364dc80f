#include "natsbench/space/topology.h"

#include <charconv>

#include "natsbench/space/cpython_random.h"
#include "natsbench/util/error.h"

namespace natsbench {

namespace {
constexpr std::array<std::string_view, kNumOps> kOpNames = {"none", "skip_connect", "nor_conv_1x1",
                                                            "nor_conv_3x3", "avg_pool_3x3"};

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const auto end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

std::string quoted(std::string_view text) {
  return "'" + std::string(text) + "'";
}

// Canonical genotype of enumeration code c: e0 is the most significant base-5 digit.
Genotype genotype_of_code(int code) {
  std::array<int, 6> digits{};
  for (int k = 5; k >= 0; --k) {
    digits[k] = code % kNumOps;
    code /= kNumOps;
  }
  Genotype genotype;
  int edge = 0;
  for (int node = 1; node <= 3; ++node) {
    std::vector<Edge> edges;
    for (int source = 0; source < node; ++source) {
      edges.push_back({static_cast<Op>(digits[edge++]), source});
    }
    genotype.nodes.push_back(std::move(edges));
  }
  return genotype;
}
}  // namespace

std::string_view op_name(Op op) {
  return kOpNames.at(static_cast<std::size_t>(op));
}

std::optional<Op> op_from_name(std::string_view name) {
  for (std::size_t i = 0; i < kOpNames.size(); ++i) {
    if (kOpNames[i] == name) return static_cast<Op>(i);
  }
  return std::nullopt;
}

Genotype parse_topology(std::string_view text) {
  const auto where = [&] { return "arch string " + quoted(text) + ": "; };
  if (text.empty()) throw ArgError(where() + "expected a cell such as |nor_conv_3x3~0|+|...|");
  Genotype genotype;
  const auto groups = split(text, '+');
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const int node = static_cast<int>(g) + 1;
    std::vector<Edge> edges;
    for (const auto piece : split(groups[g], '|')) {
      if (piece.empty()) continue;
      const auto fields = split(piece, '~');
      if (fields.size() != 2) {
        throw ArgError(where() + "edge " + quoted(piece) + " is not of the form op~source");
      }
      const auto op = op_from_name(fields[0]);
      if (!op) {
        std::string known;
        for (const auto name : kOpNames) known += (known.empty() ? "" : ", ") + std::string(name);
        throw ArgError(where() + "unknown op " + quoted(fields[0]) + " (expected " + known + ")");
      }
      int source = -1;
      const auto* first = fields[1].data();
      const auto* last = first + fields[1].size();
      const auto [ptr, ec] = std::from_chars(first, last, source);
      if (fields[1].empty() || ec != std::errc() || ptr != last || source < 0 || source >= node) {
        throw ArgError(where() + "edge " + quoted(piece) + " of node " + std::to_string(node) +
                       " needs a source node in 0.." + std::to_string(node - 1));
      }
      edges.push_back({*op, source});
    }
    if (edges.empty()) {
      throw ArgError(where() + "node " + std::to_string(node) + " has no incoming edge");
    }
    genotype.nodes.push_back(std::move(edges));
  }
  return genotype;
}

std::string format_topology(const Genotype& genotype) {
  std::string text;
  for (std::size_t g = 0; g < genotype.nodes.size(); ++g) {
    if (g > 0) text += '+';
    text += '|';
    for (const auto& edge : genotype.nodes[g]) {
      text += op_name(edge.op);
      text += '~';
      text += std::to_string(edge.source);
      text += '|';
    }
  }
  return text;
}

bool is_full_cell(const Genotype& genotype) {
  if (genotype.nodes.size() != 3) return false;
  for (std::size_t g = 0; g < 3; ++g) {
    const auto& edges = genotype.nodes[g];
    if (edges.size() != g + 1) return false;
    for (std::size_t s = 0; s <= g; ++s) {
      if (edges[s].source != static_cast<int>(s)) return false;
    }
  }
  return true;
}

int count_op(const Genotype& genotype, Op op) {
  int count = 0;
  for (const auto& edges : genotype.nodes) {
    for (const auto& edge : edges) count += edge.op == op ? 1 : 0;
  }
  return count;
}

const TopologySpace& TopologySpace::get() {
  static const TopologySpace space;
  return space;
}

TopologySpace::TopologySpace() {
  code_of_index_.resize(kNumArchs);
  for (int code = 0; code < kNumArchs; ++code) code_of_index_[code] = code;
  CPythonRandom rng(88);  // random.seed(88); random.shuffle(list) in the reference
  rng.shuffle(code_of_index_);
  archs_.reserve(kNumArchs);
  for (int code : code_of_index_) archs_.push_back(format_topology(genotype_of_code(code)));
  index_of_arch_.reserve(kNumArchs);
  for (int i = 0; i < kNumArchs; ++i) index_of_arch_.emplace(archs_[i], i);
}

int TopologySpace::check(int index) const {
  if (index < 0 || index >= kNumArchs) {
    throw ArgError("tss index " + std::to_string(index) + ": expected 0.." +
                   std::to_string(kNumArchs - 1));
  }
  return index;
}

const std::string& TopologySpace::arch(int index) const {
  return archs_[check(index)];
}

int TopologySpace::index_of(std::string_view arch) const {
  const auto it = index_of_arch_.find(arch);
  return it == index_of_arch_.end() ? -1 : it->second;
}

int TopologySpace::require_index(std::string_view arch) const {
  const int index = index_of(arch);
  if (index < 0) {
    // Distinguish a malformed string from a valid but non-canonical spelling.
    const Genotype genotype = parse_topology(arch);
    throw ArgError("arch string " + quoted(arch) +
                   " is not a canonical tss architecture (benchmark lookup is exact); " +
                   (is_full_cell(genotype) ? "canonical spelling: " + format_topology(genotype)
                                           : std::string("a benchmark cell has edges i~0..i~g-1 "
                                                         "for every node g = 1..3")));
  }
  return index;
}

Genotype TopologySpace::genotype(int index) const {
  return genotype_of_code(code_of_index_[check(index)]);
}

}  // namespace natsbench
