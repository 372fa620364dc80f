#include "natsbench/space/topology_helpers.h"

#include <algorithm>

namespace natsbench {

namespace {
bool by_source_then_name(const Edge& a, const Edge& b) {
  if (a.source != b.source) return a.source < b.source;
  return op_name(a.op) < op_name(b.op);
}
}  // namespace

std::string unique_string(const Genotype& genotype, ZeroHandling zero) {
  std::vector<std::string> labels = {"0"};
  for (const auto& edges : genotype.nodes) {
    std::vector<std::string> terms;
    for (const auto& edge : edges) {
      const std::string& source = labels.at(edge.source);
      const std::string wrapped = "(" + source + ")@" + std::string(op_name(edge.op));
      switch (zero) {
        case ZeroHandling::Consider:
          if (edge.op == Op::None || source == "#") {
            terms.emplace_back("#");
          } else if (edge.op == Op::SkipConnect) {
            terms.push_back(source);
          } else {
            terms.push_back(wrapped);
          }
          break;
        case ZeroHandling::AsOp:
          terms.push_back(edge.op == Op::SkipConnect ? source : wrapped);
          break;
        case ZeroHandling::Ignore:
          terms.push_back(wrapped);
          break;
      }
    }
    std::sort(terms.begin(), terms.end());
    std::string label;
    for (const auto& term : terms) label += (label.empty() ? "" : "+") + term;
    labels.push_back(std::move(label));
  }
  return labels.back();
}

bool is_connected(const Genotype& genotype) {
  std::vector<bool> alive = {true};
  for (const auto& edges : genotype.nodes) {
    bool node_alive = false;
    for (const auto& edge : edges)
      node_alive = node_alive || (edge.op != Op::None && alive[edge.source]);
    alive.push_back(node_alive);
  }
  return alive.back();
}

std::vector<std::vector<double>> adjacency_matrix(const Genotype& genotype) {
  const std::size_t n = genotype.nodes.size() + 1;
  std::vector<std::vector<double>> matrix(n, std::vector<double>(n, 0.0));
  for (std::size_t g = 0; g < genotype.nodes.size(); ++g) {
    for (const auto& edge : genotype.nodes[g]) {
      matrix[g + 1][edge.source] = static_cast<double>(static_cast<int>(edge.op));
    }
  }
  return matrix;
}

Genotype full_structure(const Genotype& genotype, Op default_op) {
  Genotype full = genotype;
  for (std::size_t g = 0; g < full.nodes.size(); ++g) {
    auto& edges = full.nodes[g];
    const int node = static_cast<int>(g) + 1;
    for (int j = 0; j + 1 < node; ++j) {  // j in 0..node-2: the reference's off-by-one
      const bool present =
          std::any_of(edges.begin(), edges.end(), [&](const Edge& e) { return e.source == j; });
      if (!present) edges.push_back({default_op, j});
    }
    std::sort(edges.begin(), edges.end(), by_source_then_name);
  }
  return full;
}

std::optional<std::vector<std::vector<Edge>>> to_list(const Genotype& genotype, Op removed) {
  std::vector<std::vector<Edge>> nodes;
  for (const auto& edges : genotype.nodes) {
    std::vector<Edge> kept;
    for (const auto& edge : edges) {
      if (edge.op != removed) kept.push_back(edge);
    }
    std::sort(kept.begin(), kept.end(), by_source_then_name);
    if (kept.empty()) return std::nullopt;
    nodes.push_back(std::move(kept));
  }
  return nodes;
}

}  // namespace natsbench
