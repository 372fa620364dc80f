#include "natsbench/sweep/collect.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

#include "natsbench/bench/archive.h"
#include "natsbench/data/registry.h"
#include "natsbench/sweep/collect_steps.h"
#include "natsbench/sweep/plan.h"
#include "natsbench/sweep/plan_file.h"
#include "natsbench/util/atomic_file.h"
#include "natsbench/util/error.h"
#include "natsbench/util/interrupt.h"
#include "natsbench/util/md5.h"
#include "natsbench/util/sha256.h"

namespace natsbench::sweep {

namespace fs = std::filesystem;

namespace {

// Whether any process that trained the run had other runs on the device (--concurrent > 1).
bool shared_device(const train::RunRecord& r) {
  const auto concurrent = [](const nlohmann::json& j) {
    return j.is_object() && j.value("concurrent_runs", 1) > 1;
  };
  if (concurrent(r.environment)) return true;
  for (const auto& resume : r.resumes)
    if (concurrent(resume)) return true;
  return false;
}

// The eval-name order of the official files' new-layout records.
const std::vector<std::string> kEvalOrder = {"x-valid", "x-test", "ori-test"};

// The dataset order of the official files: the registry's.
int dataset_rank(const std::string& d) {
  const auto& rows = data::datasets();
  const auto it = std::find_if(rows.begin(), rows.end(),
                               [&](const data::DatasetInfo& r) { return r.name == d; });
  return static_cast<int>(it - rows.begin());
}

bool hp_less(const std::string& a, const std::string& b) {
  const bool na = a.find_first_not_of("0123456789") == std::string::npos;
  const bool nb = b.find_first_not_of("0123456789") == std::string::npos;
  if (na && nb) return std::stoi(a) < std::stoi(b);
  if (na != nb) return na;
  return a < b;
}

std::string seed_text(std::uint64_t seed) {
  char text[32];
  std::snprintf(text, sizeof text, "%04llu", static_cast<unsigned long long>(seed));
  return text;
}

std::shared_ptr<const bench::ArchConfigDict> arch_config_of(const train::RunRecord& r) {
  using bench::ConfigValue;
  const auto integer = [](std::int64_t v) {
    ConfigValue c;
    c.kind = ConfigValue::Kind::Int;
    c.int_value = v;
    return c;
  };
  const auto text = [](std::string v) {
    ConfigValue c;
    c.kind = ConfigValue::Kind::Str;
    c.str_value = std::move(v);
    return c;
  };
  const int classes = data::dataset(r.spec.dataset).num_classes;
  auto dict = std::make_shared<bench::ArchConfigDict>();
  if (r.spec.arch.space == Space::Topology) {
    *dict = {{"channel", integer(16)},
             {"num_cells", integer(5)},
             {"arch_str", text(r.spec.arch.arch_str)},
             {"class_num", integer(classes)}};
  } else {
    *dict = {{"name", text("infer.shape.tiny")},
             {"channels", text(r.spec.arch.arch_str)},
             {"arch_str", text(r.spec.arch.arch_str)},
             {"genotype", text(std::string(kSizeSpaceGenotype))},
             {"class_num", integer(classes)}};
  }
  return dict;
}

}  // namespace

bench::Record to_bench_record(const train::RunRecord& r) {
  bench::Record b;
  b.name = r.spec.dataset;
  b.train_acc5es.emplace();
  b.train_times.emplace();
  for (std::size_t e = 0; e < r.epochs.size(); ++e) {
    const int epoch = static_cast<int>(e);
    b.train_acc1es.push(epoch, r.epochs[e].train.top1);
    b.train_acc5es->push(epoch, r.epochs[e].train.top5);
    b.train_losses.push(epoch, r.epochs[e].train.loss);
    b.train_times->push(epoch, r.epochs[e].train.seconds);
  }
  b.arch_config = arch_config_of(r);
  b.params = r.param;
  b.flop = r.flop;
  b.seed = seed_text(r.spec.seed);
  b.epochs = r.spec.hp.total_epochs();
  if (r.latency) b.latency = std::vector<double>{*r.latency};
  for (const std::string& name : kEvalOrder) {
    const bool present = std::any_of(r.eval_images.begin(), r.eval_images.end(),
                                     [&](const auto& s) { return s.first == name; });
    if (!present) continue;
    b.eval_names.push_back(name);
    for (std::size_t e = 0; e < r.epochs.size(); ++e) {
      for (const auto& [set, m] : r.epochs[e].eval) {
        if (set != name) continue;
        b.eval_acc1es.push(name, static_cast<int>(e), m.top1);
        b.eval_times.push(name, static_cast<int>(e), m.seconds);
        b.eval_losses.push(name, static_cast<int>(e), m.loss);
      }
    }
  }
  b.train_times->compact();
  return b;
}

std::vector<std::pair<std::string, std::string>> find_record_files(
    const std::string& dir, Space space, const std::vector<std::string>& hps) {
  std::vector<std::pair<std::string, std::string>> out;
  const fs::path root = fs::path(dir) / std::string(space_name(space));
  if (!fs::is_directory(root)) return out;
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(root))
    if (entry.is_regular_file() && entry.path().extension() == ".json")
      files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  for (const auto& path : files) {
    // OUT/<space>/hp-<hp>/arch-<index>/<run>.json
    const std::string hp_dir = path.parent_path().parent_path().filename().string();
    if (hp_dir.rfind("hp-", 0) != 0) continue;
    const std::string hp = hp_dir.substr(3);
    if (!hps.empty() && std::find(hps.begin(), hps.end(), hp) == hps.end()) continue;
    out.emplace_back(path.string(), hp);
  }
  return out;
}

ParsedRecord parse_record(const std::string& file, const std::string& dir, const std::string& hp,
                          Space space) {
  ParsedRecord out;
  const auto text = nlohmann::json::parse(read_file(file), nullptr, false);
  if (text.is_discarded()) {
    out.problem = "not valid JSON (a damaged record?)";
    return out;
  }
  try {
    out.record = train::record_from_json(text, file);
  } catch (const std::exception& e) {
    out.problem = e.what();
    return out;
  }
  const train::RunRecord& r = *out.record;
  if (r.spec.arch.space != space) {
    out.problem = "a record of the " + std::string(space_name(r.spec.arch.space)) +
                  " space, collecting " + std::string(space_name(space));
  } else if (r.spec.hp.name != hp || train::run_paths(dir, r.spec).record != file) {
    out.problem = "the record does not belong at this path";
  }
  return out;
}

std::string ConsistencyCheck::admit(const train::RunRecord& r, const std::string& file) {
  const std::string& hp = r.spec.hp.name;
  const nlohmann::json params = train::to_json(r.spec.hp);
  auto [it, fresh] = params_.emplace(hp, std::make_pair(params, file));
  if (!fresh && it->second.first != params)
    return "hyper-parameters differ from those of " + it->second.second + " under hp " + hp;
  // One dataset, one set of images.
  const nlohmann::json sizes = {r.train_images, r.eval_images, r.train_batches};
  auto [sz, first] = sizes_.emplace(hp + "/" + r.spec.dataset, std::make_pair(sizes, file));
  if (!first && sz->second.first != sizes) {
    return "set sizes " + sizes.dump() + " differ from those of " + sz->second.second + " (" +
           sz->second.first.dump() + ")";
  }
  return "";
}

std::string record_sanity(const train::RunRecord& r) {
  if (r.status == "failed") return "";
  if (r.status != "complete") return "status '" + r.status + "'";
  if (static_cast<int>(r.epochs.size()) != r.spec.hp.total_epochs())
    return std::to_string(r.epochs.size()) + " of " + std::to_string(r.spec.hp.total_epochs()) +
           " epochs";
  const data::DatasetInfo& info = data::dataset(r.spec.dataset);
  if (r.eval_images.size() != info.eval_sets.size()) return "eval sets differ from the dataset's";
  for (std::size_t k = 0; k < r.eval_images.size(); ++k)
    if (r.eval_images[k].first != info.eval_sets[k].name)
      return "eval sets differ from the dataset's";
  const auto bad = [](double acc) { return !(acc >= 0 && acc <= 100); };
  const auto bad_time = [](double seconds) { return !(seconds >= 0 && std::isfinite(seconds)); };
  for (std::size_t e = 0; e < r.epochs.size(); ++e) {
    const auto& ep = r.epochs[e];
    const std::string at = " in epoch " + std::to_string(e);
    if (bad(ep.train.top1) || bad(ep.train.top5)) return "training accuracy outside [0, 100]" + at;
    if (!std::isfinite(ep.train.loss)) return "non-finite training loss" + at;
    if (bad_time(ep.train.seconds)) return "training time negative or not finite" + at;
    for (const auto& [name, m] : ep.eval) {
      if (bad(m.top1) || bad(m.top5)) return name + " accuracy outside [0, 100]" + at;
      if (!std::isfinite(m.loss)) return name + " loss not finite" + at;
      if (bad_time(m.seconds)) return name + " time negative or not finite" + at;
    }
  }
  if (r.latency && bad_time(*r.latency)) return "latency negative or not finite";
  if (!(r.flop > 0) || !(r.param > 0)) return "flop/param not positive";
  return "";
}

bool same_run(const train::RunRecord& a, const train::RunRecord& b) {
  const auto strip = [](nlohmann::json j) {
    for (const char* k : {"environment", "started", "finished", "resumes", "train_times",
                          "valid_times", "latency", "device"})
      j.erase(k);
    return j;
  };
  return strip(train::to_json(a)) == strip(train::to_json(b));
}

std::vector<RunKey> missing_runs(const std::set<RunKey>& planned, bool have_plans,
                                 const std::set<RunKey>& finished) {
  std::set<RunKey> expected = planned;
  if (!have_plans) {
    std::map<std::string, std::set<int>> archs;
    std::map<std::pair<std::string, std::string>, std::set<std::uint64_t>> seeds;
    for (const auto& key : finished) {
      archs[std::get<0>(key)].insert(std::get<1>(key));
      seeds[{std::get<0>(key), std::get<3>(key)}].insert(std::get<2>(key));
    }
    for (const auto& [hp_dataset, s] : seeds)
      for (int arch : archs[hp_dataset.first])
        for (auto seed : s) expected.insert({hp_dataset.first, arch, seed, hp_dataset.second});
  }
  std::vector<RunKey> missing;
  for (const auto& key : expected)
    if (!finished.count(key)) missing.push_back(key);
  return missing;
}

Gathered gather(const CollectOptions& o) {
  Gathered g;
  std::map<RunKey, std::pair<train::RunRecord, std::string>> records;  // with the file
  std::set<RunKey> finished, planned;
  bool have_plans = false;
  ConsistencyCheck consistency;
  const auto problem = [&](std::string kind, const std::string& file, std::string detail,
                           const RunKey* key = nullptr) {
    Problem p;
    p.kind = std::move(kind);
    p.file = file;
    p.detail = std::move(detail);
    if (key) std::tie(p.hp, p.arch, p.seed, p.dataset) = *key;
    g.problems.push_back(std::move(p));
  };
  const auto wanted = [&](const std::string& hp) {
    return o.hps.empty() || std::find(o.hps.begin(), o.hps.end(), hp) != o.hps.end();
  };

  for (const auto& dir : o.runs_dirs) {
    if (!fs::is_directory(dir)) throw ArgError("--runs " + dir + ": no such directory");
    for (const PlanFile& plan : read_plan_files(dir)) {
      if (plan.space != o.space || !wanted(plan.hp.name)) continue;
      have_plans = true;
      for (const PlannedRun& r : plan.runs)
        planned.insert({plan.hp.name, r.arch_index, r.seed, r.dataset});
    }
    for (const auto& [file, hp] : find_record_files(dir, o.space, o.hps)) {
      ++g.records;
      ParsedRecord parsed = parse_record(file, dir, hp, o.space);
      if (!parsed.record) {
        problem("invalid", file, parsed.problem);
        continue;
      }
      train::RunRecord& r = *parsed.record;
      const RunKey key{hp, r.spec.arch.index, r.spec.seed, r.spec.dataset};
      if (!parsed.problem.empty()) {
        problem("invalid", file, parsed.problem, &key);
        continue;
      }
      if (std::string why = consistency.admit(r, file); !why.empty()) {
        problem("inconsistent", file, std::move(why), &key);
        continue;
      }
      if (r.status == "failed") {
        finished.insert(key);
        problem("failed", file, r.failure, &key);
        continue;
      }
      if (std::string why = record_sanity(r); !why.empty()) {
        problem("invalid", file, std::move(why), &key);
        continue;
      }
      if (auto existing = records.find(key); existing != records.end()) {
        if (!same_run(existing->second.first, r))
          problem("inconsistent", file,
                  "differs from " + existing->second.second + " for the same run", &key);
        continue;
      }
      finished.insert(key);
      if (shared_device(r)) ++g.shared_device;
      records.emplace(key, std::make_pair(std::move(r), file));
    }
  }
  if (g.records == 0 && planned.empty()) {
    std::string dirs;
    for (const auto& dir : o.runs_dirs) dirs += (dirs.empty() ? "'" : ", '") + dir + "'";
    std::string hps;
    for (const auto& hp : o.hps) hps += (hps.empty() ? "" : ",") + hp;
    throw ArgError("--runs " + dirs + ": no plan and no run record of the " +
                   std::string(space_name(o.space)) + " space" +
                   (hps.empty() ? "" : " with --hp " + hps) + ": nothing to check or collect");
  }
  for (const auto& key : missing_runs(planned, have_plans, finished)) {
    Problem p;
    p.kind = "missing";
    std::tie(p.hp, p.arch, p.seed, p.dataset) = key;
    g.problems.push_back(std::move(p));
  }

  // Complete records of one (hp, arch) -> one ArchResult.
  for (auto& [key, entry] : records) {
    const auto& [hp, arch, seed, dataset] = key;
    bench::ArchInfo& info = g.archs[arch];
    auto slot =
        std::find_if(info.begin(), info.end(), [&](const auto& p) { return p.first == hp; });
    if (slot == info.end()) {
      bench::ArchResult result;
      result.arch_index = arch;
      result.arch_str = entry.first.spec.arch.arch_str;
      result.clear_net_done = true;
      info.emplace_back(hp, std::move(result));
      slot = info.end() - 1;
    }
    bench::ArchResult& result = slot->second;
    result.all_results.emplace(std::make_pair(dataset, static_cast<int>(seed)),
                               to_bench_record(entry.first));
    auto ds = std::find_if(result.dataset_seed.begin(), result.dataset_seed.end(),
                           [&](const auto& p) { return p.first == dataset; });
    if (ds == result.dataset_seed.end()) {
      result.dataset_seed.emplace_back(dataset, std::vector<int>{});
      ds = result.dataset_seed.end() - 1;
    }
    ds->second.push_back(static_cast<int>(seed));
  }
  for (auto& [arch, info] : g.archs) {
    std::sort(info.begin(), info.end(),
              [](const auto& a, const auto& b) { return hp_less(a.first, b.first); });
    for (auto& [hp, result] : info) {
      std::sort(result.dataset_seed.begin(), result.dataset_seed.end(),
                [](const auto& a, const auto& b) {
                  return dataset_rank(a.first) < dataset_rank(b.first);
                });
      for (auto& [d, s] : result.dataset_seed) std::sort(s.begin(), s.end());
    }
  }
  return g;
}

nlohmann::json problems_json(const std::vector<Problem>& problems) {
  nlohmann::json out = nlohmann::json::array();
  for (const Problem& p : problems) {
    nlohmann::json j = {{"kind", p.kind}};
    if (!p.hp.empty()) {
      j["hp"] = p.hp;
      j["arch"] = p.arch;
      j["seed"] = p.seed;
      j["dataset"] = p.dataset;
    }
    if (!p.file.empty()) j["file"] = p.file;
    if (!p.detail.empty()) j["detail"] = p.detail;
    out.push_back(j);
  }
  return out;
}

namespace {

Written write_into(const Gathered& g, Space space, const std::string& out_dir, const fs::path& tmp);

}  // namespace

Written write_benchmark(const Gathered& g, Space space, const std::string& out_dir) {
  if (g.archs.empty()) throw Error("nothing to collect: no complete run record");
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) throw Error(out_dir + ": cannot create (" + ec.message() + ")");
  // Everything is written under a temporary directory first and renamed into place at the end;
  // on failure nothing of it stays behind.
  const fs::path tmp = fs::path(out_dir) / (".collect-" + std::to_string(::getpid()));
  fs::remove_all(tmp, ec);
  try {
    Written w = write_into(g, space, out_dir, tmp);
    fs::remove_all(tmp, ec);
    return w;
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
}

namespace {

Written write_into(const Gathered& g, Space space, const std::string& out_dir,
                   const fs::path& tmp) {
  std::error_code ec;
  const fs::path simple_tmp = tmp / "simple";
  fs::create_directories(simple_tmp);

  std::vector<std::string> meta_archs;
  for (int i = 0; i < space_size(space); ++i)
    meta_archs.push_back(arch_from_index(space, i).arch_str);
  bench::write_meta_file((simple_tmp / "meta.pickle.pbz2").string(), meta_archs);
  bench::BenchmarkContents contents;
  contents.meta_archs = meta_archs;
  for (const auto& [arch, info] : g.archs) {
    throw_if_stop_requested("collect into '" + out_dir + "'");
    bench::write_arch_file((simple_tmp / bench::arch_file_name(arch)).string(), info);
    contents.arch2infos.emplace(arch, info);
  }
  const fs::path single_tmp = tmp / "benchmark.pickle.pbz2";
  bench::write_benchmark_file(single_tmp.string(), contents);
  const std::string md5 = md5_file_hex(single_tmp.string());
  const std::string base =
      std::string("NATS-") + std::string(space_name(space)) + "-v1_0-" + md5.substr(md5.size() - 5);

  Written w;
  w.archs = g.archs.size();
  w.benchmark_file = (fs::path(out_dir) / (base + ".pickle.pbz2")).string();
  w.archive_dir = (fs::path(out_dir) / (base + "-simple")).string();
  w.manifest = (fs::path(out_dir) / "MANIFEST.sha256").string();
  // Manifest lines in sha256sum's format, paths relative to out_dir.
  std::string manifest = sha256_file_hex(single_tmp.string()) + "  " + base + ".pickle.pbz2\n";
  std::vector<fs::path> simple_files;
  for (const auto& entry : fs::directory_iterator(simple_tmp)) simple_files.push_back(entry.path());
  std::sort(simple_files.begin(), simple_files.end());
  for (const auto& p : simple_files)
    manifest +=
        sha256_file_hex(p.string()) + "  " + base + "-simple/" + p.filename().string() + "\n";

  fs::rename(single_tmp, w.benchmark_file);
  if (fs::exists(w.archive_dir)) {
    const fs::path old = tmp / "old-simple";
    fs::rename(w.archive_dir, old);
  }
  fs::rename(simple_tmp, w.archive_dir);
  write_file_atomic(w.manifest, manifest);
  return w;
}

}  // namespace

}  // namespace natsbench::sweep
