#include "candidates.h"

#include "natsbench/bench/errors.h"
#include "natsbench/space/size.h"
#include "natsbench/space/topology.h"
#include "natsbench/util/error.h"

namespace natsbench::search {

namespace {

constexpr int kCellNodes = 3;  // tss: node g has the edges from nodes 0..g-1 (6 in all)

}  // namespace

int choices_per_position(Space space) {
  return space == Space::Topology ? kNumOps : SizeSpace::kNumCandidates;
}

int positions(Space space) {
  return space == Space::Topology ? kCellNodes * (kCellNodes + 1) / 2 : SizeSpace::kNumLayers;
}

std::string arch_string(Space space, const Choices& choices) {
  std::size_t position = 0;
  if (space == Space::Topology) {
    Genotype genotype;
    for (int node = 1; node <= kCellNodes; ++node) {
      auto& edges = genotype.nodes.emplace_back();
      for (int from = 0; from < node; ++from)
        edges.push_back({static_cast<Op>(choices[position++]), from});
    }
    return format_topology(genotype);
  }
  std::vector<int> widths;
  for (; position < choices.size(); ++position)
    widths.push_back((choices[position] + 1) * SizeSpace::kChannelStep);
  return format_channels(widths);
}

Choices random_candidate(bench::Benchmark& benchmark) {
  const Space space = benchmark.space();
  Choices choices(static_cast<std::size_t>(positions(space)));
  for (int& c : choices) {
    c = static_cast<int>(
        benchmark.random_below(static_cast<std::uint32_t>(choices_per_position(space))));
  }
  return choices;
}

Choices mutate(bench::Benchmark& benchmark, Choices child) {
  if (benchmark.space() == Space::Topology) {
    // randint over the 3 nodes, then over the node's incoming edges, then random.choice of an
    // op redrawn until it differs from the current one.
    const int node = 1 + static_cast<int>(benchmark.random_below(3));
    const int from = static_cast<int>(benchmark.random_below(static_cast<std::uint32_t>(node)));
    int& op = child[static_cast<std::size_t>(node * (node - 1) / 2 + from)];
    int next = op;
    while (next == op) next = static_cast<int>(benchmark.random_below(kNumOps));
    op = next;
  } else {
    // randint over the layers, then random.choice over all widths (the same one possibly).
    const auto layer = benchmark.random_below(SizeSpace::kNumLayers);
    child[layer] = static_cast<int>(benchmark.random_below(SizeSpace::kNumCandidates));
  }
  return child;
}

int hp_epochs(const std::string& hp) {
  int epochs = 0;
  for (char c : hp) {
    if (c < '0' || c > '9' || epochs > 1000) {
      throw ArgError("search: hp '" + hp + "': expected a number of epochs, e.g. 12");
    }
    epochs = epochs * 10 + (c - '0');
  }
  if (hp.empty() || epochs == 0)
    throw ArgError("search: hp '" + hp + "': expected a number of epochs, e.g. 12");
  return epochs;
}

Trajectory::Trajectory(bench::Benchmark& benchmark, const SearchSettings& settings,
                       std::uint64_t seed)
    : benchmark_(benchmark), settings_(settings) {
  run_.seed = seed;
}

double Trajectory::evaluate(const Choices& choices, std::optional<int> epochs) {
  const std::string arch = arch_string(benchmark_.space(), choices);
  const int index = benchmark_.query_index_by_arch(arch);
  if (index < 0) {
    throw ArgError("search: the benchmark has no architecture " + arch +
                   " in its list; multi-trial search needs the official list of the space");
  }
  bench::SimulateResult result{};
  try {
    const auto iepoch = epochs ? std::optional<int>(*epochs - 1) : std::nullopt;
    result = benchmark_.simulate_train_eval(index, settings_.dataset, iepoch, settings_.hp);
  } catch (const bench::UnknownIndexError& e) {
    throw ArgError(std::string("search: ") + e.what() +
                   " (multi-trial search samples the whole space: every architecture needs "
                   "results at hp " +
                   settings_.hp + ")");
  } catch (const bench::UnknownHpError& e) {
    throw ArgError(std::string("search: ") + e.what());
  }
  if (run_.evaluations.empty() || result.accuracy > run_.best_accuracy) {
    run_.best_index = index;
    run_.best_accuracy = result.accuracy;
  }
  run_.evaluations.push_back({index, epochs.value_or(hp_epochs(settings_.hp)), result.accuracy,
                              result.time_cost, result.used_time, run_.best_index});
  return result.accuracy;
}

bool Trajectory::within_budget() const {
  return run_.evaluations.empty() || run_.evaluations.back().total_time < settings_.time_budget;
}

}  // namespace natsbench::search
