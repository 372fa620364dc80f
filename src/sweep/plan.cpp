#include "natsbench/sweep/plan.h"

#include <algorithm>
#include <set>

#include "natsbench/data/registry.h"
#include "natsbench/util/error.h"

namespace natsbench::sweep {

namespace {

std::string trimmed(std::string_view text) {
  std::string out;
  for (char c : text)
    if (c != ' ' && c != '\t' && c != '\n') out += c;
  return out;
}

int parse_bound(const std::string& text, const std::string& item, int space_size) {
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos)
    throw ArgError("--range item '" + item + "': expected N or A-B with decimal indexes");
  const int value = std::stoi(text);
  if (value >= space_size)
    throw ArgError("--range item '" + item + "': index " + text + " is outside 0.." +
                   std::to_string(space_size - 1));
  return value;
}

}  // namespace

std::vector<int> parse_range(std::string_view text, int space_size) {
  const std::string all = trimmed(text);
  if (all.empty()) throw ArgError("--range: empty (expected e.g. 00000-02000 or 0-4,7)");
  std::set<int> indexes;
  std::size_t start = 0;
  while (start <= all.size()) {
    const std::size_t comma = std::min(all.find(',', start), all.size());
    const std::string item = all.substr(start, comma - start);
    if (item.empty()) throw ArgError("--range '" + std::string(text) + "': empty item");
    const std::size_t dash = item.find('-');
    const int a = parse_bound(item.substr(0, dash), item, space_size);
    const int b =
        dash == std::string::npos ? a : parse_bound(item.substr(dash + 1), item, space_size);
    if (b < a) throw ArgError("--range item '" + item + "': the end is before the start");
    for (int i = a; i <= b; ++i) indexes.insert(i);
    start = comma + 1;
  }
  return {indexes.begin(), indexes.end()};
}

std::vector<PlannedRun> make_plan(Space space, const std::vector<int>& archs, std::string_view hp,
                                  const std::vector<std::uint64_t>& seeds,
                                  const std::vector<std::string>& datasets) {
  // The seeds of every dataset, in ascending order; a run exists when its dataset uses that seed.
  std::set<std::uint64_t> all_seeds;
  std::vector<std::set<std::uint64_t>> per_dataset;
  for (const auto& d : datasets) {
    const auto s = seeds.empty() ? data::preset_seeds(space, hp, d) : seeds;
    per_dataset.emplace_back(s.begin(), s.end());
    all_seeds.insert(s.begin(), s.end());
  }
  std::vector<PlannedRun> plan;
  for (int arch : archs)
    for (std::uint64_t seed : all_seeds)
      for (std::size_t k = 0; k < datasets.size(); ++k)
        if (per_dataset[k].count(seed)) plan.push_back({arch, seed, datasets[k]});
  return plan;
}

std::vector<PlannedRun> shard(const std::vector<PlannedRun>& plan, int k, int n) {
  if (n < 1 || k < 0 || k >= n)
    throw ArgError("shard " + std::to_string(k) + "/" + std::to_string(n) +
                   ": expected 0 <= K < N");
  std::vector<PlannedRun> out;
  std::int64_t unit = -1;
  for (std::size_t i = 0; i < plan.size(); ++i) {
    if (i == 0 || plan[i].arch_index != plan[i - 1].arch_index || plan[i].seed != plan[i - 1].seed)
      ++unit;
    if (unit % n == k) out.push_back(plan[i]);
  }
  return out;
}

std::pair<int, int> parse_shard(std::string_view text) {
  const std::string t(text);
  const std::size_t slash = t.find('/');
  const auto number = [&](const std::string& s) {
    if (s.empty() || s.size() > 6 || s.find_first_not_of("0123456789") != std::string::npos)
      throw ArgError("--shard " + t + ": expected K/N with 0 <= K < N (e.g. 0/4)");
    return std::stoi(s);
  };
  if (slash == std::string::npos)
    throw ArgError("--shard " + t + ": expected K/N with 0 <= K < N (e.g. 0/4)");
  const int k = number(t.substr(0, slash)), n = number(t.substr(slash + 1));
  if (n < 1 || k >= n) throw ArgError("--shard " + t + ": expected 0 <= K < N");
  return {k, n};
}

}  // namespace natsbench::sweep
