#include "natsbench/bench/benchmark.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>

#include "natsbench/bench/archive.h"
#include "natsbench/bench/errors.h"
#include "natsbench/data/registry.h"
#include "natsbench/util/torch_home.h"

namespace natsbench::bench {

namespace fs = std::filesystem;

namespace {

std::string single_quoted(std::string_view text) {
  return "'" + std::string(text) + "'";
}

// Python's sum() of floats under CPython <= 3.11: left to right from 0.
double sum_of(const std::vector<double>& values) {
  double total = 0;
  for (double v : values) total += v;
  return total;
}
double mean_of(const std::vector<double>& values) {
  return sum_of(values) / static_cast<double>(values.size());
}

// The file of architecture `index` in an archive directory (6-digit name, or the unpadded one),
// whatever its type, so that a FIFO or a broken file is reported rather than taken as missing.
std::optional<std::string> arch_file_path(const std::string& root, int index) {
  for (const auto& name : {arch_file_name(index), std::to_string(index) + ".pickle.pbz2"}) {
    const auto path = fs::path(root) / name;
    std::error_code ec;
    if (fs::exists(fs::symlink_status(path, ec))) return path.string();
  }
  return std::nullopt;
}

std::string list_text(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items) text += (text.empty() ? "" : ", ") + item;
  return "[" + text + "]";
}

template <typename T>
std::string list_text(const std::vector<T>& items) {
  std::vector<std::string> texts;
  for (const auto& item : items) texts.push_back(std::to_string(item));
  return list_text(texts);
}

// The requested epoch (default: the last), which must lie in [0, epochs).
int checked_epoch(const Record& record, std::optional<int> iepoch) {
  const int epoch = iepoch.value_or(record.epochs - 1);
  if (epoch < 0 || epoch >= record.epochs) {
    throw BadEpochError("iepoch " + std::to_string(epoch) + " is out of range: record " +
                        record.name + " seed " + record.seed + " has epochs 0.." +
                        std::to_string(record.epochs - 1));
  }
  return epoch;
}

Metrics train_metrics(const Record& record, std::optional<int> iepoch) {
  const int epoch = checked_epoch(record, iepoch);
  Metrics m;
  m.iepoch = epoch;
  const auto loss = record.train_losses.find(epoch);
  const auto accuracy = record.train_acc1es.find(epoch);
  if (!loss || !accuracy) {
    throw MissingMetricError("record " + record.name + " seed " + record.seed +
                             " has no training metrics for epoch " + std::to_string(epoch));
  }
  m.loss = loss;
  m.accuracy = accuracy;
  if (record.train_times) {
    m.cur_time = record.train_times->find(epoch);
    double total = 0;
    for (int i = 0; i <= epoch; ++i) {
      const auto t = record.train_times->find(i);
      if (!t) {
        throw MissingMetricError("record " + record.name + " seed " + record.seed +
                                 " has no train time for epoch " + std::to_string(i));
      }
      total += *t;
    }
    m.all_time = total;
  }
  return m;
}

Metrics eval_metrics(const Record& record, const std::string& requested,
                     std::optional<int> iepoch) {
  const std::string set = requested == "valid" ? "x-valid" : requested;
  const int epoch = checked_epoch(record, iepoch);
  const auto missing = [&](const char* what, int at) {
    return MissingMetricError("record " + record.name + " seed " + record.seed + " has no " + what +
                              " for " + set + "@" + std::to_string(at));
  };
  Metrics m;
  m.iepoch = epoch;
  if (!record.eval_times.empty()) {
    const auto current = record.eval_times.find(set, epoch);
    if (!current) throw missing("eval time", epoch);
    m.cur_time = current;
    double total = 0;
    for (int i = 0; i <= epoch; ++i) {
      const auto t = record.eval_times.find(set, i);
      if (!t) throw missing("eval time", i);
      total += *t;
    }
    m.all_time = total;
  }
  m.loss = record.eval_losses.find(set, epoch);
  if (!m.loss) throw missing("eval loss", epoch);
  m.accuracy = record.eval_acc1es.find(set, epoch);
  if (!m.accuracy) throw missing("eval accuracy", epoch);
  return m;
}

// ResultsCount.get_times(): T-train@epoch/total, then T-<name>@epoch/total per eval name.
std::vector<std::pair<std::string, std::optional<double>>> record_times(const Record& record) {
  std::vector<std::pair<std::string, std::optional<double>>> out;
  if (record.train_times) {
    std::vector<double> xs;
    for (std::size_t i = 0; i < record.train_times->size(); ++i) {
      xs.push_back(record.train_times->value_at(i));
    }
    out.emplace_back("T-train@epoch", mean_of(xs));
    out.emplace_back("T-train@total", sum_of(xs));
  } else {
    out.emplace_back("T-train@epoch", std::nullopt);
    out.emplace_back("T-train@total", std::nullopt);
  }
  for (const auto& name : record.eval_names) {
    std::vector<double> xs;
    bool complete = true;
    for (int i = 0; i < record.epochs && complete; ++i) {
      const auto t = record.eval_times.find(name, i);
      if (t) {
        xs.push_back(*t);
      } else {
        complete = false;
      }
    }
    out.emplace_back("T-" + name + "@epoch",
                     complete ? std::optional<double>(mean_of(xs)) : std::nullopt);
    out.emplace_back("T-" + name + "@total",
                     complete ? std::optional<double>(sum_of(xs)) : std::nullopt);
  }
  return out;
}

Field as_field(const std::optional<double>& value) {
  return value ? Field(*value) : Field(std::monostate{});
}

// How get_more_info groups the eval sets of a dataset the registry does not know (a re-created
// benchmark may hold one): as for cifar100 and ImageNet16-120, every group optional.
const std::vector<data::InfoGroup> kOtherDatasetGroups = {
    {"valid", "x-valid", false}, {"test", "x-test", false}, {"valtest", "ori-test", false}};

std::string comment_for(std::string_view pattern, const std::string& hp) {
  std::string text(pattern);
  const auto at = text.find("{hp}");
  if (at != std::string::npos) text.replace(at, 4, hp);
  return text;
}

const std::vector<int>& seeds_of(const ArchResult& result, const std::string& dataset) {
  if (const auto* seeds = result.seeds_of(dataset)) return *seeds;
  std::vector<std::string> names;
  for (const auto& entry : result.dataset_seed) names.push_back(entry.first);
  throw UnknownDatasetError("architecture " + std::to_string(result.arch_index) +
                            " has no dataset " + single_quoted(dataset) + " (it has " +
                            list_text(names) + ")");
}

std::uint64_t random_seed() {
  std::random_device device;
  return (static_cast<std::uint64_t>(device()) << 32) | device();
}

}  // namespace

const Field* find_field(const InfoDict& info, std::string_view key) {
  for (const auto& [name, value] : info) {
    if (name == key) return &value;
  }
  return nullptr;
}

std::string base_name(Space space) {
  return space == Space::Topology ? "NATS-tss-v1_0-3ffb9" : "NATS-sss-v1_0-50262";
}

const std::vector<std::string>& official_hps(Space space) {
  static const std::vector<std::string> tss = {"12", "200"}, sss = {"01", "12", "90"};
  return space == Space::Topology ? tss : sss;
}

std::string default_benchmark_path(Space space, bool fast_mode) {
  return torch_home("--benchmark") + "/" + base_name(space) +
         (fast_mode ? "-simple" : ".pickle.pbz2");
}

Benchmark::Benchmark(Space space, std::vector<std::string> meta_archs)
    : space_(space), meta_archs_(std::move(meta_archs)), rng_(random_seed()) {
  index_of_arch_.reserve(meta_archs_.size());
  for (std::size_t i = 0; i < meta_archs_.size(); ++i) {
    if (!index_of_arch_.emplace(meta_archs_[i], static_cast<int>(i)).second) {
      throw CorruptFileError("meta list: duplicate architecture string " +
                             single_quoted(meta_archs_[i]));
    }
  }
}

Benchmark Benchmark::create(const std::string& requested, Space space, bool fast_mode) {
  const std::string path = requested.empty() ? default_benchmark_path(space, fast_mode) : requested;
  std::error_code ec;
  const bool is_dir = fs::is_directory(path, ec), is_file = fs::is_regular_file(path, ec);
  if (!is_dir && !is_file) {
    throw ArgError("benchmark path " + single_quoted(path) + " is neither a file nor a directory");
  }
  if (fast_mode) {
    if (!is_dir) {
      throw ArgError("benchmark path " + single_quoted(path) +
                     ": fast mode needs an archive directory (meta.pickle.pbz2 + one file per "
                     "architecture)");
    }
    const std::string meta_path = (fs::path(path) / "meta.pickle.pbz2").string();
    Benchmark benchmark = with_checked_meta(space, read_meta_file(meta_path), meta_path);
    benchmark.fast_mode_ = true;
    benchmark.archive_dir_ = path;
    return benchmark;
  }
  if (!is_file) {
    throw ArgError("benchmark path " + single_quoted(path) +
                   ": expected a single benchmark file (use fast mode for an archive directory)");
  }
  auto contents = read_benchmark_file(path);
  Benchmark benchmark = with_checked_meta(space, std::move(contents.meta_archs), path);
  for (auto& [index, info] : contents.arch2infos) {
    benchmark.check_arch_info(index, info,
                              single_quoted(path) + " architecture " + std::to_string(index));
    benchmark.arch2infos_[index] = std::move(info);
  }
  return benchmark;
}

namespace {
// The space whose arch string syntax `arch` has (docs/archive-format.md §1.5), by its first
// character: "|op~0|+|..." is a cell (tss), "8:16:..." a width list (sss).
std::optional<Space> space_of_arch_string(std::string_view arch) {
  if (arch.size() > 1 && arch.front() == '|' && arch.back() == '|') return Space::Topology;
  if (!arch.empty() && arch.find_first_not_of("0123456789:") == std::string_view::npos) {
    return Space::Size;
  }
  return std::nullopt;
}
}  // namespace

Benchmark Benchmark::with_checked_meta(Space space, std::vector<std::string> meta_archs,
                                       const std::string& path) {
  const std::string where = single_quoted(path);
  const std::string asked(space_name(space));
  if (meta_archs.empty()) {
    throw CorruptFileError(where + ": meta_archs is empty, expected the " +
                           std::to_string(space_size(space)) + " architecture strings of " + asked);
  }
  const auto found = space_of_arch_string(meta_archs.front());
  if (found && *found != space) {
    throw ArgError(where + " holds the " + std::string(space_name(*found)) + " benchmark (" +
                   std::to_string(meta_archs.size()) + " architectures such as " +
                   single_quoted(meta_archs.front()) + "), not " + asked + " as requested");
  }
  for (std::size_t i = 0; i < meta_archs.size(); ++i) {
    if (space_of_arch_string(meta_archs[i]) != space) {
      throw CorruptFileError(where + ": meta_archs[" + std::to_string(i) +
                             "] = " + single_quoted(meta_archs[i].substr(0, 80)) + " is not a " +
                             asked + " architecture string");
    }
  }
  if (static_cast<int>(meta_archs.size()) != space_size(space)) {
    throw CorruptFileError(where + ": meta_archs holds " + std::to_string(meta_archs.size()) +
                           " architectures, expected " + std::to_string(space_size(space)) +
                           " for " + asked);
  }
  try {
    return Benchmark(space, std::move(meta_archs));
  } catch (const CorruptFileError& error) {
    throw CorruptFileError(where + ": " + error.what());
  }
}

const std::string& Benchmark::arch(int index) const {
  if (index < 0 || index >= size()) {
    throw UnknownIndexError("invalid index " + std::to_string(index) + ": expected 0.." +
                            std::to_string(size() - 1));
  }
  return meta_archs_[index];
}

int Benchmark::query_index_by_arch(std::string_view arch) const {
  const auto it = index_of_arch_.find(arch);
  return it == index_of_arch_.end() ? -1 : it->second;
}

int Benchmark::resolve_index(std::string_view text) const {
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos) {
    const int index = parse_index(text, "architecture index");
    arch(index);  // range check
    return index;
  }
  const int index = query_index_by_arch(text);
  if (index < 0) {
    throw UnknownIndexError("architecture " + single_quoted(text) + " is not in the " +
                            std::string(space_name(space_)) +
                            " benchmark (lookup is by exact canonical string or index)");
  }
  return index;
}

std::vector<int> Benchmark::evaluated_indexes() const {
  std::vector<int> out;
  for (const auto& [index, info] : arch2infos_) out.push_back(index);
  return out;
}

std::vector<std::string> Benchmark::available_hps() const {
  std::set<std::string> hps;
  for (const auto& [index, info] : arch2infos_) {
    for (const auto& [hp, result] : info) hps.insert(hp);
  }
  return {hps.begin(), hps.end()};
}

void Benchmark::set_arch_info(int index, ArchInfo info) {
  arch(index);
  check_arch_info(index, info, "architecture " + std::to_string(index));
  arch2infos_[index] = std::move(info);
}

void Benchmark::check_arch_info(int index, const ArchInfo& info, const std::string& where) const {
  // A stored index or string that disagrees with the place the results were found under: a
  // renamed or edited file would otherwise answer for another architecture. (-1 / empty: the
  // key was absent, docs/archive-format.md §3.3.)
  // Test fixtures that link one sample file under many indexes opt out (docs/robustness.md).
  static const bool cloned_ok = std::getenv("NATSBENCH_ALLOW_CLONED_ARCH_FILES") != nullptr;
  if (cloned_ok) return;
  for (const auto& [hp, result] : info) {
    const bool index_differs = result.arch_index != -1 && result.arch_index != index;
    const bool string_differs = !result.arch_str.empty() && result.arch_str != "-1" &&
                                result.arch_str != meta_archs_[index];
    if (index_differs || string_differs) {
      throw CorruptFileError(where + ": hp " + hp + " holds architecture " +
                             std::to_string(result.arch_index) + " " +
                             single_quoted(result.arch_str) + ", expected " +
                             std::to_string(index) + " " + single_quoted(meta_archs_[index]));
    }
  }
}

const ArchInfo& Benchmark::prepare(int index) {
  arch(index);
  const auto it = arch2infos_.find(index);
  if (it != arch2infos_.end()) return it->second;
  if (!fast_mode_) {
    throw UnknownIndexError("architecture " + std::to_string(index) +
                            " has no results in this benchmark");
  }
  reload(archive_dir_, index);
  return arch2infos_.at(index);
}

void Benchmark::reload(const std::string& archive_root, std::optional<int> index) {
  if (!fs::is_directory(archive_root)) {
    throw ArgError("archive root " + single_quoted(archive_root) + " is not a directory");
  }
  const auto load_one = [&](int i) {
    arch(i);
    const auto path = arch_file_path(archive_root, i);
    if (!path) {
      throw UnknownIndexError("architecture " + std::to_string(i) + " has no results: " +
                              single_quoted((fs::path(archive_root) / arch_file_name(i)).string()) +
                              " does not exist");
    }
    ArchInfo info = read_arch_file(*path);  // refuses a FIFO or device, naming it
    check_arch_info(i, info, single_quoted(*path));
    arch2infos_[i] = std::move(info);
  };
  if (index) {
    load_one(*index);
  } else {
    for (int i = 0; i < size(); ++i) load_one(i);
  }
}

int Benchmark::load_all_available() {
  if (fast_mode_) {
    for (int i = 0; i < size(); ++i) {
      if (arch2infos_.count(i) == 0 && arch_file_path(archive_dir_, i)) reload(archive_dir_, i);
    }
  }
  return static_cast<int>(arch2infos_.size());
}

const ArchResult& Benchmark::arch_result(int index, const std::string& hp) {
  const ArchInfo& info = prepare(index);
  std::vector<std::string> hps;
  for (const auto& [name, result] : info) {
    if (name == hp) return result;
    hps.push_back(name);
  }
  throw UnknownHpError("architecture " + std::to_string(index) + " has hyper-parameters " +
                       list_text(hps) + ", not " + single_quoted(hp));
}

Metrics Benchmark::metrics(const ArchResult& result, const std::string& dataset,
                           const std::string& set, std::optional<int> iepoch, SeedChoice seeds) {
  const auto* seed_list = &seeds_of(result, dataset);
  std::vector<Metrics> all;
  for (int seed : *seed_list) {
    const auto it = result.all_results.find({dataset, seed});
    if (it == result.all_results.end()) {
      throw CorruptFileError("architecture " + std::to_string(result.arch_index) + " lists seed " +
                             std::to_string(seed) + " for " + dataset + " but holds no record");
    }
    all.push_back(set == "train" ? train_metrics(it->second, iepoch)
                                 : eval_metrics(it->second, set, iepoch));
  }
  switch (seeds.kind) {
    case SeedChoice::Kind::Random:
      return all[rng_.randbelow(static_cast<std::uint32_t>(all.size()))];
    case SeedChoice::Kind::Seed:
      for (std::size_t i = 0; i < seed_list->size(); ++i) {
        if ((*seed_list)[i] == seeds.seed) return all[i];
      }
      throw UnknownSeedError("seed " + std::to_string(seeds.seed) + " is not among the seeds " +
                             list_text(*seed_list) + " of " + dataset);
    case SeedChoice::Kind::Mean:
      break;
  }
  Metrics mean;
  const auto average = [&](std::optional<double> Metrics::*field) -> std::optional<double> {
    if (!(all.front().*field)) return std::nullopt;
    std::vector<double> values;
    for (const auto& m : all) {
      if (!(m.*field)) {
        throw CorruptFileError("architecture " + std::to_string(result.arch_index) + ": seeds of " +
                               dataset + " disagree on which metrics exist");
      }
      values.push_back(*(m.*field));
    }
    return mean_of(values);
  };
  mean.iepoch = average(&Metrics::iepoch);
  mean.loss = average(&Metrics::loss);
  mean.accuracy = average(&Metrics::accuracy);
  mean.cur_time = average(&Metrics::cur_time);
  mean.all_time = average(&Metrics::all_time);
  return mean;
}

InfoDict Benchmark::get_more_info(int index, const std::string& dataset, std::optional<int> iepoch,
                                  const std::string& hp, SeedChoice seeds) {
  const ArchResult& result = arch_result(index, hp);
  if (seeds.kind == SeedChoice::Kind::Random) {
    const auto& seed_list = seeds_of(result, dataset);
    seeds = SeedChoice::of(seed_list[rng_.randbelow(static_cast<std::uint32_t>(seed_list.size()))]);
  }
  const Metrics train = metrics(result, dataset, "train", iepoch, seeds);
  const double total = *train.iepoch + 1;
  const auto per_time = [&](const Metrics& m) {
    return m.all_time ? Field(*m.all_time / total) : Field(std::monostate{});
  };
  InfoDict info = {{"train-loss", as_field(train.loss)},
                   {"train-accuracy", as_field(train.accuracy)},
                   {"train-per-time", per_time(train)},
                   {"train-all-time", as_field(train.all_time)}};
  const auto optional_metrics = [&](const std::string& set) -> std::optional<Metrics> {
    try {
      return metrics(result, dataset, set, iepoch, seeds);
    } catch (const Error&) {
      return std::nullopt;  // the official API drops a group on any error
    }
  };
  const data::DatasetInfo* row = data::find_dataset(dataset);
  std::vector<std::pair<std::string, Metrics>> groups;
  for (const data::InfoGroup& g : row != nullptr ? row->info_groups : kOtherDatasetGroups) {
    const std::string set(g.eval_set);
    std::optional<Metrics> m;
    if (g.required) {
      m = metrics(result, dataset, set, iepoch, seeds);
    } else {
      m = optional_metrics(set);
    }
    if (m) groups.emplace_back(std::string(g.group), *std::move(m));
  }
  if (row != nullptr && !row->info_comment.empty()) {
    info.emplace_back("comment", comment_for(row->info_comment, hp));
  }
  for (const auto& [g, m] : groups) {
    info.emplace_back(g + "-loss", as_field(m.loss));
    info.emplace_back(g + "-accuracy", as_field(m.accuracy));
    info.emplace_back(g + "-per-time", per_time(m));
    info.emplace_back(g + "-all-time", as_field(m.all_time));
  }
  return info;
}

InfoDict Benchmark::compute_costs(const ArchResult& result, const std::string& dataset) {
  const auto* seed_list = &seeds_of(result, dataset);
  std::vector<const Record*> records;
  for (int seed : *seed_list) {
    const auto it = result.all_results.find({dataset, seed});
    if (it == result.all_results.end()) {
      throw CorruptFileError("architecture " + std::to_string(result.arch_index) + " lists seed " +
                             std::to_string(seed) + " for " + dataset + " but holds no record");
    }
    records.push_back(&it->second);
  }
  // Legacy fix (official v1.6): when seeds disagree at 5 decimals, use seed 888's value.
  const auto legacy_mean = [&](double Record::*field, const char* what) {
    std::vector<double> values;
    std::vector<std::string> texts;
    for (const auto* r : records) {
      values.push_back(r->*field);
      char buffer[64];
      std::snprintf(buffer, sizeof buffer, "%.5f", r->*field);
      texts.emplace_back(buffer);
    }
    bool agree = true;
    for (const auto& t : texts) agree = agree && t == texts.front();
    if (values.size() >= 2 && !agree) {
      std::size_t position = seed_list->size();
      for (std::size_t i = 0; i < seed_list->size(); ++i) {
        if ((*seed_list)[i] == 888) position = i;
      }
      if (position == seed_list->size()) {
        throw CorruptFileError("architecture " + std::to_string(result.arch_index) + ": " + what +
                               " differ across the seeds of " + dataset +
                               " and seed 888 is absent");
      }
      values = {values[position]};
    }
    return mean_of(values);
  };
  InfoDict info;
  info.emplace_back("flops", legacy_mean(&Record::flop, "flops"));
  info.emplace_back("params", legacy_mean(&Record::params, "params"));
  std::vector<double> latencies;
  for (const auto* r : records) {
    const double latency =
        r->latency && !r->latency->empty() ? sum_of(*r->latency) / r->latency->size() : -1.0;
    if (latency > 0) latencies.push_back(latency);
  }
  info.emplace_back("latency",
                    latencies.empty() ? Field(std::monostate{}) : Field(mean_of(latencies)));
  std::vector<std::pair<std::string, std::vector<std::optional<double>>>> times;
  for (const auto* r : records) {
    for (auto& [key, value] : record_times(*r)) {
      auto it = std::find_if(times.begin(), times.end(),
                             [&](const auto& entry) { return entry.first == key; });
      if (it == times.end()) it = times.insert(times.end(), {key, {}});
      it->second.push_back(value);
    }
  }
  for (const auto& [key, values] : times) {
    if (!values.front()) {
      info.emplace_back(key, std::monostate{});
      continue;
    }
    std::vector<double> xs;
    for (const auto& v : values) {
      if (!v) throw CorruptFileError(key + ": seeds of " + dataset + " disagree on times");
      xs.push_back(*v);
    }
    info.emplace_back(key, mean_of(xs));
  }
  return info;
}

InfoDict Benchmark::get_cost_info(int index, const std::string& dataset, const std::string& hp) {
  return compute_costs(arch_result(index, hp), dataset);
}

std::optional<double> Benchmark::get_latency(int index, const std::string& dataset,
                                             const std::string& hp) {
  const auto info = get_cost_info(index, dataset, hp);
  const Field* latency = find_field(info, "latency");
  if (latency != nullptr && std::holds_alternative<double>(*latency)) {
    return std::get<double>(*latency);
  }
  return std::nullopt;
}

SimulateResult Benchmark::simulate_train_eval(int index, const std::string& dataset,
                                              std::optional<int> iepoch, const std::string& hp,
                                              bool account_time) {
  const data::DatasetInfo* row = data::find_dataset(dataset);
  if (row == nullptr || !row->search) {
    throw UnknownDatasetError("simulate_train_eval: dataset " + single_quoted(dataset) +
                              ": expected " + data::dataset_names(true));
  }
  // The validation accuracy the search algorithms see (docs/nas-algorithms.md §9.2).
  const std::string source(row->search->valid.dataset);
  const InfoDict info = get_more_info(index, source, iepoch, hp, SeedChoice::random());
  const auto number = [&](const InfoDict& d, const char* key) {
    const Field* f = find_field(d, key);
    if (f == nullptr || !std::holds_alternative<double>(*f)) {
      throw MissingMetricError("architecture " + std::to_string(index) + " " + dataset + " hp " +
                               hp + ": no " + key + " to simulate with");
    }
    return std::get<double>(*f);
  };
  SimulateResult out{};
  if (find_field(info, "valid-accuracy") != nullptr) {
    out.accuracy = number(info, "valid-accuracy");
    out.time_cost = number(info, "train-all-time") + number(info, "valid-per-time");
  } else {
    // tss hp 200 before the last epoch: the official API falls back to the full test set.
    out.accuracy = number(info, "valtest-accuracy");
    const InfoDict last = get_more_info(index, dataset, std::nullopt, hp, SeedChoice::random());
    out.time_cost = number(info, "train-all-time") + number(last, "valid-per-time");
  }
  out.latency = get_latency(index, dataset, hp);
  if (account_time) used_time_ += out.time_cost;
  out.used_time = used_time_;
  return out;
}

std::pair<int, std::optional<double>> Benchmark::find_best(const std::string& requested_dataset,
                                                           const std::string& requested_metric,
                                                           std::optional<double> flop_max,
                                                           std::optional<double> param_max,
                                                           const std::string& hp,
                                                           std::optional<bool> enforce_all) {
  std::string dataset = requested_dataset, metric = requested_metric;
  // "valid" and "test" of a searchable dataset name the sets that report them (cifar10's
  // validation accuracy is cifar10-valid's x-valid).
  const data::DatasetInfo* row = data::find_dataset(dataset);
  if (row != nullptr) {
    // Checked up front: otherwise the first record's lookup reports a missing "bogus@199".
    std::vector<std::string> known{"train"};
    if (row->search) known.insert(known.end(), {"valid", "test"});
    for (const auto& set : row->eval_sets) known.emplace_back(set.name);
    if (std::find(known.begin(), known.end(), metric) == known.end()) {
      std::string names;
      for (const auto& name : known) names += (names.empty() ? "" : ", ") + name;
      throw ArgError("find_best: metric " + single_quoted(metric) + " is not one of " + names +
                     " (for " + dataset + ")");
    }
  }
  if (row != nullptr && row->search && (metric == "valid" || metric == "test")) {
    const data::SetRef& ref = metric == "valid" ? row->search->valid : row->search->test;
    dataset = std::string(ref.dataset);
    metric = std::string(ref.eval_set);
  }
  const bool scan_all = enforce_all.value_or(fast_mode_);
  if (scan_all && !fast_mode_) {
    throw ArgError("find_best: enforce_all needs fast mode (an archive directory)");
  }
  std::vector<int> indexes;
  if (scan_all) {
    // Architectures without a file are skipped: a re-created benchmark may be partial.
    load_all_available();
    indexes = evaluated_indexes();
  } else {
    indexes = evaluated_indexes();
  }
  int best_index = -1;
  std::optional<double> best_accuracy;
  for (int index : indexes) {
    const ArchResult& result = arch_result(index, hp);
    const InfoDict costs = compute_costs(result, dataset);
    if (flop_max && std::get<double>(*find_field(costs, "flops")) > *flop_max) continue;
    if (param_max && std::get<double>(*find_field(costs, "params")) > *param_max) continue;
    const auto accuracy =
        metrics(result, dataset, metric, std::nullopt, SeedChoice::mean()).accuracy;
    if (accuracy && (!best_accuracy || *accuracy > *best_accuracy)) {
      best_index = index;
      best_accuracy = accuracy;
    }
  }
  return {best_index, best_accuracy};
}

std::map<int, int> Benchmark::statistics(const std::string& dataset, const std::string& hp) {
  data::dataset(dataset);  // one of the four benchmark datasets, else ArgError
  std::map<int, int> counts;
  for (int index : evaluated_indexes()) {
    const auto* seeds = arch_result(index, hp).seeds_of(dataset);
    ++counts[seeds == nullptr ? 0 : static_cast<int>(seeds->size())];
  }
  return counts;
}

std::vector<std::pair<std::string, std::variant<std::int64_t, std::string>>>
Benchmark::get_net_config(int index, const std::string& dataset) {
  const ArchInfo& info = prepare(index);
  if (info.empty()) throw CorruptFileError("architecture " + std::to_string(index) + " has no hp");
  const ArchResult& result = info.front().second;
  const auto* seeds = result.seeds_of(dataset);
  if (seeds == nullptr || seeds->empty()) {
    throw UnknownDatasetError("architecture " + std::to_string(index) + " has no dataset " +
                              single_quoted(dataset));
  }
  const Record& record = result.all_results.at({dataset, seeds->front()});
  if (!record.arch_config) throw CorruptFileError("record without arch_config");
  const auto get = [&](const std::string& key) -> const ConfigValue& {
    for (const auto& [name, value] : *record.arch_config) {
      if (name == key) return value;
    }
    throw CorruptFileError("architecture " + std::to_string(index) + ": arch_config has no " +
                           single_quoted(key));
  };
  const auto text = [&](const std::string& key) { return get(key).str_value; };
  const auto number = [&](const std::string& key) { return get(key).int_value; };
  bool shape = false;
  for (const auto& [name, value] : *record.arch_config) {
    shape = shape || (name == "name" && value.str_value == "infer.shape.tiny");
  }
  if (shape) {
    return {{"name", std::string("infer.shape.tiny")},
            {"channels", text("channels")},
            {"genotype", text("genotype")},
            {"num_classes", number("class_num")}};
  }
  return {{"name", std::string("infer.tiny")},
          {"C", number("channel")},
          {"N", number("num_cells")},
          {"arch_str", text("arch_str")},
          {"num_classes", number("class_num")}};
}

const ArchResult& Benchmark::query_meta_info_by_index(int index, const std::string& hp) {
  return arch_result(index, hp);
}

std::vector<std::pair<int, const Record*>> Benchmark::query_by_index(int index,
                                                                     const std::string& dataset,
                                                                     const std::string& hp) {
  const ArchResult& result = arch_result(index, hp);
  std::vector<std::pair<int, const Record*>> out;
  for (int seed : seeds_of(result, dataset))
    out.emplace_back(seed, &result.all_results.at({dataset, seed}));
  return out;
}

void Benchmark::clear_params(int index, std::optional<std::string> hp) {
  const auto it = arch2infos_.find(index);
  if (it == arch2infos_.end()) return;  // official: a warning only
  bool found = !hp;
  for (auto& [name, result] : it->second) {
    if (hp && name != *hp) continue;
    found = true;
    for (auto& [key, record] : result.all_results) record.has_weights = false;
    result.clear_net_done = true;
  }
  if (!found) arch_result(index, *hp);  // throws UnknownHpError
}

}  // namespace natsbench::bench
