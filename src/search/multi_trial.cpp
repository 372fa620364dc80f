#include "natsbench/search/multi_trial.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <deque>
#include <optional>
#include <variant>

#include "natsbench/bench/benchmark.h"
#include "natsbench/bench/errors.h"
#include "natsbench/data/registry.h"
#include "natsbench/util/error.h"

namespace natsbench::search {

namespace {

double accuracy_field(const bench::InfoDict& info, const char* key, int index,
                      const std::string& dataset) {
  const bench::Field* field = bench::find_field(info, key);
  if (field == nullptr || !std::holds_alternative<double>(*field)) {
    throw ArgError("search: architecture " + std::to_string(index) + " has no " + key + " on " +
                   dataset);
  }
  return std::get<double>(*field);
}

}  // namespace

double paper_time_budget(Space space, const std::string& dataset) {
  const data::SearchInfo& search = *data::searchable_dataset(dataset, "search").search;
  return space == Space::Topology ? search.tss_budget : search.sss_budget;
}

std::string full_fidelity_hp(Space space) {
  return space == Space::Topology ? "200" : "90";
}

Score reported_accuracy(bench::Benchmark& benchmark, int index, const std::string& dataset,
                        const std::string& hp) {
  const data::SearchInfo& search = *data::searchable_dataset(dataset, "search").search;
  const auto mean = bench::SeedChoice::mean();
  std::optional<bench::InfoDict> info;  // one query when both sets are of the same dataset
  std::string_view queried;
  const auto accuracy = [&](const data::SetRef& ref) {
    if (!info || queried != ref.dataset) {
      info = benchmark.get_more_info(index, std::string(ref.dataset), std::nullopt, hp, mean);
      queried = ref.dataset;
    }
    const std::string field = std::string(data::info_group_of(ref)) + "-accuracy";
    return accuracy_field(*info, field.c_str(), index, std::string(ref.dataset));
  };
  const double valid = accuracy(search.valid);
  return {valid, accuracy(search.test)};
}

Score score_at(bench::Benchmark& benchmark, const SearchRun& run, double t,
               const std::string& dataset, const std::string& hp) {
  if (run.evaluations.empty()) throw ArgError("search: a run without evaluations has no score");
  // The two evaluations nearest to t; a stable sort keeps the earlier one first on ties, as
  // Python's sorted() does.
  std::vector<std::size_t> order(run.evaluations.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return std::fabs(run.evaluations[a].total_time - t) <
           std::fabs(run.evaluations[b].total_time - t);
  });
  const Evaluation& a = run.evaluations[order[0]];
  const Score score_a = reported_accuracy(benchmark, a.best_index, dataset, hp);
  if (order.size() == 1) return score_a;
  const Evaluation& b = run.evaluations[order[1]];
  const Score score_b = reported_accuracy(benchmark, b.best_index, dataset, hp);
  const double span = b.total_time - a.total_time;
  if (span == 0) return score_a;
  const double wa = (b.total_time - t) / span, wb = (t - a.total_time) / span;
  return {wa * score_a.valid + wb * score_b.valid, wa * score_a.test + wb * score_b.test};
}

}  // namespace natsbench::search
