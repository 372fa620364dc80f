#include "natsbench/train/hyper_params.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "natsbench/util/atomic_file.h"
#include "natsbench/util/error.h"

namespace natsbench::train {

// Generated at configure time from configs/hyper-opts/*.yaml (CMakeLists.txt).
std::string_view embedded_hyper_params(std::string_view name);

namespace {

constexpr double kPi = 3.14159265358979323846;

class Reader {
 public:
  explicit Reader(std::string_view source) : source_(source) {}

  void only_keys(const YAML::Node& node, const std::string& where,
                 const std::set<std::string>& allowed) const {
    if (!node.IsMap()) fail(where.empty() ? "the document" : where, "expected a mapping");
    std::set<std::string> seen;
    for (const auto& item : node) {
      const std::string key = item.first.as<std::string>();
      // YAML leaves duplicate keys undefined; the first one would silently win.
      if (!seen.insert(key).second) fail(join(where, key), "given twice");
      if (!allowed.count(key)) {
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        fail(join(where, key), "unknown field (expected one of: " + list + ")");
      }
    }
  }

  YAML::Node child(const YAML::Node& node, const std::string& where, const std::string& key) const {
    const YAML::Node value = node[key];
    if (!value) fail(join(where, key), "missing");
    return value;
  }

  template <typename T>
  T scalar(const YAML::Node& node, const std::string& where, const std::string& key,
           const char* expected) const {
    const YAML::Node value = child(node, where, key);
    try {
      if (!value.IsScalar()) throw YAML::Exception(YAML::Mark::null_mark(), "");
      return value.as<T>();
    } catch (const YAML::Exception&) {
      fail(join(where, key), std::string("expected ") + expected);
    }
  }

  [[noreturn]] void fail(const std::string& field, const std::string& what) const {
    throw ArgError(std::string(source_) + ": " + field + ": " + what);
  }

 private:
  static std::string join(const std::string& where, const std::string& key) {
    return where.empty() ? key : where + "." + key;
  }
  std::string_view source_;
};

std::string canonical_benchmark_name(std::string_view text) {
  std::string s(text);
  if (!s.empty() && (s.back() == 'E' || s.back() == 'e')) s.pop_back();
  if (s.empty() || s.size() > 3 || s.find_first_not_of("0123456789") != std::string::npos)
    return "";
  const int epochs = std::stoi(s);
  for (const auto& name : benchmark_hyper_param_names())
    if (std::stoi(name) == epochs) return name;
  return "";
}

}  // namespace

bool HyperParams::operator==(const HyperParams& o) const {
  return name == o.name && epochs == o.epochs && batch_size == o.batch_size && lr == o.lr &&
         momentum == o.momentum && nesterov == o.nesterov && weight_decay == o.weight_decay &&
         eta_min == o.eta_min && warmup == o.warmup;
}

std::vector<std::string> benchmark_hyper_param_names() {
  return {"01", "12", "90", "200"};
}

HyperParams parse_hyper_params(std::string_view yaml_text, std::string_view source,
                               std::string name) {
  const Reader r(source);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    throw ArgError(std::string(source) + ": not valid YAML (" + e.msg + " at line " +
                   std::to_string(e.mark.line + 1) + ")");
  }
  r.only_keys(root, "", {"epochs", "batch_size", "optimizer", "scheduler", "criterion"});
  HyperParams hp;
  hp.name = std::move(name);
  hp.epochs = r.scalar<int>(root, "", "epochs", "an integer");
  if (hp.epochs < 1) r.fail("epochs", "expected an integer >= 1");
  hp.batch_size = r.scalar<std::int64_t>(root, "", "batch_size", "an integer");
  if (hp.batch_size < 1) r.fail("batch_size", "expected an integer >= 1");
  if (r.scalar<std::string>(root, "", "criterion", "a name") != "Softmax")
    r.fail("criterion", "expected Softmax (plain cross-entropy, the only one the benchmark used)");

  const YAML::Node opt = r.child(root, "", "optimizer");
  r.only_keys(opt, "optimizer", {"name", "lr", "momentum", "nesterov", "weight_decay"});
  if (r.scalar<std::string>(opt, "optimizer", "name", "a name") != "SGD")
    r.fail("optimizer.name", "expected SGD (the only optimizer the benchmark used)");
  hp.lr = r.scalar<double>(opt, "optimizer", "lr", "a number");
  if (!(hp.lr > 0) || !std::isfinite(hp.lr)) r.fail("optimizer.lr", "expected a number > 0");
  hp.momentum = r.scalar<double>(opt, "optimizer", "momentum", "a number");
  if (!(hp.momentum >= 0 && hp.momentum < 1))
    r.fail("optimizer.momentum", "expected a number in [0, 1)");
  hp.nesterov = r.scalar<bool>(opt, "optimizer", "nesterov", "true or false");
  if (hp.nesterov && hp.momentum == 0)
    r.fail("optimizer.nesterov", "Nesterov needs a momentum > 0");
  hp.weight_decay = r.scalar<double>(opt, "optimizer", "weight_decay", "a number");
  if (!(hp.weight_decay >= 0) || !std::isfinite(hp.weight_decay))
    r.fail("optimizer.weight_decay", "expected a number >= 0");

  const YAML::Node sched = r.child(root, "", "scheduler");
  r.only_keys(sched, "scheduler", {"name", "eta_min", "warmup"});
  if (r.scalar<std::string>(sched, "scheduler", "name", "a name") != "cos")
    r.fail("scheduler.name", "expected cos (the only schedule the benchmark used)");
  hp.eta_min = r.scalar<double>(sched, "scheduler", "eta_min", "a number");
  if (!(hp.eta_min >= 0 && hp.eta_min <= hp.lr))
    r.fail("scheduler.eta_min", "expected a number in [0, optimizer.lr]");
  hp.warmup = r.scalar<int>(sched, "scheduler", "warmup", "an integer");
  if (hp.warmup < 0) r.fail("scheduler.warmup", "expected an integer >= 0");
  return hp;
}

HyperParams load_hyper_params(std::string_view name_or_path) {
  const std::string benchmark = canonical_benchmark_name(name_or_path);
  if (!benchmark.empty()) {
    return parse_hyper_params(embedded_hyper_params(benchmark),
                              "configs/hyper-opts/" + benchmark + "E.yaml", benchmark);
  }
  const std::filesystem::path path(name_or_path);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw ArgError("--hp " + std::string(name_or_path) +
                   ": expected 01, 12, 90, 200 or the path of a YAML file (no such file)");
  }
  return parse_hyper_params(read_file(path.string()), path.string(), path.stem().string());
}

double learning_rate(const HyperParams& hp, int epoch, std::int64_t iter, std::int64_t iters) {
  // The reference's CosineAnnealingLR(warmup W, max_epochs E, T_max E): epochs [W, E) follow the
  // cosine of (e - W) / E, epochs >= E stay at eta_min, and warm-up epochs ramp per iteration.
  const int w = hp.warmup, e_max = hp.epochs;
  if (epoch >= w && epoch < e_max)
    return hp.eta_min + (hp.lr - hp.eta_min) * (1 + std::cos(kPi * (epoch - w) / e_max)) / 2;
  if (epoch >= e_max) return hp.eta_min;
  return (static_cast<double>(epoch) / w +
          static_cast<double>(iter) / static_cast<double>(iters) / w) *
         hp.lr;
}

nlohmann::json to_json(const HyperParams& hp) {
  return {{"name", hp.name},
          {"epochs", hp.epochs},
          {"batch_size", hp.batch_size},
          {"optimizer",
           {{"name", "SGD"},
            {"lr", hp.lr},
            {"momentum", hp.momentum},
            {"nesterov", hp.nesterov},
            {"weight_decay", hp.weight_decay}}},
          {"scheduler", {{"name", "cos"}, {"eta_min", hp.eta_min}, {"warmup", hp.warmup}}},
          {"criterion", "Softmax"}};
}

HyperParams hyper_params_from_json(const nlohmann::json& j) {
  try {
    HyperParams hp;
    hp.name = j.at("name").get<std::string>();
    hp.epochs = j.at("epochs").get<int>();
    hp.batch_size = j.at("batch_size").get<std::int64_t>();
    const auto& opt = j.at("optimizer");
    hp.lr = opt.at("lr").get<double>();
    hp.momentum = opt.at("momentum").get<double>();
    hp.nesterov = opt.at("nesterov").get<bool>();
    hp.weight_decay = opt.at("weight_decay").get<double>();
    const auto& sched = j.at("scheduler");
    hp.eta_min = sched.at("eta_min").get<double>();
    hp.warmup = sched.at("warmup").get<int>();
    return hp;
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("hyper-parameters in a record or checkpoint: ") + e.what());
  }
}

}  // namespace natsbench::train
