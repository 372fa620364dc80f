#include "cli_common.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "natsbench/data/registry.h"
#include "natsbench/util/atomic_file.h"
#include "natsbench/util/torch_home.h"

namespace natsbench::cli {

void print_json(const nlohmann::json& value) {
  std::cout << value.dump() << '\n';
}

void CandidateOptions::add_to(CLI::App& cmd) {
  cmd.add_option("--space", space, "Search space: tss or sss")->required();
  index_option = cmd.add_option("--index", index, "Official index of the candidate");
  arch_option = cmd.add_option("--arch", arch, "Exact canonical arch string (or an index)");
  index_option->excludes(arch_option);
}

ArchConfig CandidateOptions::resolve() const {
  const Space parsed = parse_space(space);
  if (index_option->count() > 0) return arch_from_index(parsed, parse_index(index, "--index"));
  if (arch_option->count() > 0) return lookup_arch(parsed, arch);
  throw ArgError("expected --index N or --arch STR");
}

std::vector<std::string> split_list(const std::string& text, const std::string& what) {
  std::vector<std::string> items;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (item.empty()) throw ArgError(what + " '" + text + "': empty item in the list");
    items.push_back(item);
  }
  if (items.empty()) throw ArgError(what + ": expected a comma-separated list");
  return items;
}

namespace {
// Creates and removes a probe file in `dir`; false when that fails.
bool can_write_in(const std::filesystem::path& dir) {
  const std::string probe = (dir / ".natsbench-write-probe").string();
  try {
    write_file_atomic(probe, "");
  } catch (const std::exception&) {
    return false;
  }
  std::error_code ec;
  std::filesystem::remove(probe, ec);
  return true;
}
}  // namespace

void require_writable(const std::string& out, const std::string& option) {
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  if (ec) {
    throw ArgError(option + " " + out + ": cannot create the directory (" + ec.message() + ")");
  }
  if (!can_write_in(out)) throw ArgError(option + " " + out + ": the directory is not writable");
}

void require_creatable_dir(const std::string& out, const std::string& option) {
  if (out.empty()) throw ArgError(option + ": expected a path");
  std::error_code ec;
  auto existing = std::filesystem::absolute(out).lexically_normal();
  while (!std::filesystem::exists(existing, ec) && existing.has_relative_path()) {
    existing = existing.parent_path();
  }
  if (!std::filesystem::is_directory(existing, ec)) {
    throw ArgError(option + " " + out + ": " + existing.string() + " is not a directory");
  }
  if (!can_write_in(existing)) {
    throw ArgError(option + " " + out + ": the directory " + existing.string() +
                   " is not writable");
  }
}

void require_writable_file(const std::string& path, const std::string& option) {
  if (path.empty()) throw ArgError(option + ": expected a path");
  const auto absolute = std::filesystem::absolute(path).lexically_normal();
  // "DIR/" names DIR: its parent is the directory written in.
  const auto target = absolute.has_filename() ? absolute : absolute.parent_path();
  const auto parent = target.parent_path();
  std::error_code ec;
  if (!std::filesystem::is_directory(parent, ec)) {
    throw ArgError(option + " " + path + ": no directory " + parent.string());
  }
  if (!can_write_in(parent)) {
    throw ArgError(option + " " + path + ": the directory " + parent.string() + " is not writable");
  }
}

std::string default_data_root() {
  return (std::filesystem::path(torch_home("--data-root")) / "cifar.python").string();
}

namespace {
// Neumaier's compensated sum.
double accurate_sum(const std::vector<double>& values) {
  double sum = 0, compensation = 0;
  for (double v : values) {
    const double t = sum + v;
    compensation += std::fabs(sum) >= std::fabs(v) ? (sum - t) + v : (v - t) + sum;
    sum = t;
  }
  return sum + compensation;
}
}  // namespace

nlohmann::ordered_json mean_and_std(const std::vector<double>& values) {
  const double n = static_cast<double>(values.size());
  const double mean = accurate_sum(values) / n;
  std::vector<double> squares;
  for (double v : values) squares.push_back((v - mean) * (v - mean));
  return {{"mean", mean}, {"std", std::sqrt(accurate_sum(squares) / n)}};
}

std::string format_duration(double seconds) {
  if (!(seconds >= 0) || seconds > 1e7) return "?";
  const long s = static_cast<long>(seconds + 0.5);
  char text[32];
  if (s >= 3600)
    std::snprintf(text, sizeof text, "%ldh%02ldm", s / 3600, (s / 60) % 60);
  else if (s >= 60)
    std::snprintf(text, sizeof text, "%ldm%02lds", s / 60, s % 60);
  else
    std::snprintf(text, sizeof text, "%lds", s);
  return text;
}

std::string all_datasets() {
  std::string list;
  for (const auto& d : data::datasets()) list += (list.empty() ? "" : ",") + std::string(d.name);
  return list;
}

std::vector<std::string> parse_datasets(const std::string& text) {
  const auto datasets = split_list(text, "--datasets");
  for (std::size_t i = 0; i < datasets.size(); ++i) {
    data::dataset(datasets[i]);  // ArgError for an unknown name
    if (std::find(datasets.begin(), datasets.begin() + i, datasets[i]) != datasets.begin() + i)
      throw ArgError("--datasets: " + datasets[i] + " appears twice");
  }
  return datasets;
}

std::vector<std::uint64_t> parse_seeds(const std::string& text) {
  std::vector<std::uint64_t> seeds;
  for (const auto& s : split_list(text, "--seeds")) {
    if (s.find_first_not_of("0123456789") != std::string::npos || s.size() > 18)
      throw ArgError("--seeds: '" + s + "' is not a non-negative integer");
    const std::uint64_t seed = std::stoull(s);
    if (std::find(seeds.begin(), seeds.end(), seed) != seeds.end())
      throw ArgError("--seeds: " + std::to_string(seed) + " appears twice");
    seeds.push_back(seed);
  }
  return seeds;
}

void check_concurrent(int concurrent) {
  if (concurrent < 1 || concurrent > 32)
    throw ArgError("--concurrent " + std::to_string(concurrent) + ": expected 1 to 32");
}

DataLocation resolve_data(const std::string& data_root, const std::string& splits) {
  namespace fs = std::filesystem;
  DataLocation where{data_root.empty() ? default_data_root() : data_root, splits};
  if (!fs::is_directory(where.root))
    throw ArgError("--data-root " + where.root + ": no such directory");
  if (where.splits.empty() && fs::is_directory(fs::path(where.root) / "splits"))
    where.splits = (fs::path(where.root) / "splits").string();
  return where;
}

std::string version_string() {
  return std::string("natsbench ") + NATSBENCH_VERSION + " (" + NATSBENCH_GIT_COMMIT + ")";
}

void BenchmarkOptions::add_to(CLI::App& cmd) {
  cmd.add_option("--benchmark", path,
                 "A benchmark file or an archive directory (default: the official names under "
                 "$TORCH_HOME, or $HOME/.torch)");
  cmd.add_flag("--fast-mode", fast_mode,
               "Archive directory, files read on first use (implied by a directory path)");
}

bench::Benchmark BenchmarkOptions::open(Space space) const {
  const bool directory = !path.empty() && std::filesystem::is_directory(path);
  return bench::Benchmark::create(path, space, fast_mode || directory);
}

}  // namespace natsbench::cli
