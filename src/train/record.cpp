#include "natsbench/train/record.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>

#include "natsbench/data/registry.h"
#include "natsbench/util/error.h"
#include "natsbench/util/md5.h"

namespace natsbench::train {

namespace {

std::string channels_string(const std::vector<int>& channels) {
  std::string s;
  for (int c : channels) s += (s.empty() ? "" : ":") + std::to_string(c);
  return s;
}

}  // namespace

nlohmann::json net_config(const ArchConfig& arch, int num_classes) {
  if (arch.space == Space::Topology) {
    return {{"name", "infer.tiny"},
            {"C", 16},
            {"N", 5},
            {"genotype", format_topology(arch.genotype)},
            {"num_classes", num_classes}};
  }
  return {{"name", "infer.shape.tiny"},
          {"channels", channels_string(arch.channels)},
          {"genotype", std::string(kSizeSpaceGenotype)},
          {"num_classes", num_classes}};
}

nlohmann::json spec_json(const RunSpec& spec) {
  return {{"space", std::string(space_name(spec.arch.space))},
          {"arch_index", spec.arch.index},
          {"arch", spec.arch.arch_str},
          {"hp", to_json(spec.hp)},
          {"seed", spec.seed},
          {"dataset", spec.dataset},
          {"max_batches", spec.max_batches},
          {"deterministic", spec.deterministic}};
}

nlohmann::json to_json(const RunRecord& r) {
  nlohmann::json j = spec_json(r.spec);
  j["schema"] = kRecordSchema;
  j["status"] = r.status;
  if (r.status == "failed") j["failure"] = {{"epoch", r.failed_epoch}, {"reason", r.failure}};
  j["device"] = r.device;
  const data::DatasetInfo& info = data::dataset(r.spec.dataset);
  j["arch_config"] = net_config(r.spec.arch, info.num_classes);
  j["xshape"] = {1, 3, info.side, info.side};
  j["train_images"] = r.train_images;
  j["train_batches"] = r.train_batches;
  nlohmann::json eval_images = nlohmann::json::object();
  nlohmann::json eval_order = nlohmann::json::array();
  for (const auto& [name, n] : r.eval_images) {
    eval_images[name] = n;
    eval_order.push_back(name);
  }
  j["eval_images"] = eval_images;
  j["eval_order"] = eval_order;
  j["flop"] = r.flop;
  j["param"] = r.param;
  j["latency"] = r.latency ? nlohmann::json(*r.latency) : nlohmann::json(nullptr);
  j["total_epoch"] = r.spec.hp.total_epochs();
  j["epochs_done"] = r.epochs.size();
  nlohmann::json lr = nlohmann::json::array(), loss = nlohmann::json::array(),
                 acc1 = nlohmann::json::array(), acc5 = nlohmann::json::array(),
                 times = nlohmann::json::array();
  nlohmann::json vloss = nlohmann::json::object(), vacc1 = nlohmann::json::object(),
                 vacc5 = nlohmann::json::object(), vtimes = nlohmann::json::object();
  nlohmann::json per_epoch = nlohmann::json::array();
  for (std::size_t e = 0; e < r.epochs.size(); ++e) {
    const EpochRecord& ep = r.epochs[e];
    lr.push_back(ep.lr);
    loss.push_back(ep.train.loss);
    acc1.push_back(ep.train.top1);
    acc5.push_back(ep.train.top5);
    times.push_back(ep.train.seconds);
    for (const auto& [name, m] : ep.eval) {
      const std::string key = name + "@" + std::to_string(e);
      vloss[key] = m.loss;
      vacc1[key] = m.top1;
      vacc5[key] = m.top5;
      vtimes[key] = m.seconds;
    }
  }
  j["learning_rates"] = lr;
  j["train_losses"] = loss;
  j["train_acc1es"] = acc1;
  j["train_acc5es"] = acc5;
  j["train_times"] = times;
  j["valid_losses"] = vloss;
  j["valid_acc1es"] = vacc1;
  j["valid_acc5es"] = vacc5;
  j["valid_times"] = vtimes;
  j["environment"] = r.environment;
  j["resumes"] = r.resumes;
  j["started"] = r.started;
  j["finished"] = r.finished;
  return j;
}

RunRecord record_from_json(const nlohmann::json& j, const std::string& source) {
  try {
    RunRecord r;
    if (j.at("schema").get<int>() != kRecordSchema) {
      throw Error(source + ": record schema " + j.at("schema").dump() + ", expected " +
                  std::to_string(kRecordSchema));
    }
    r.status = j.at("status").get<std::string>();
    if (r.status == "failed") {
      r.failed_epoch = j.at("failure").at("epoch").get<int>();
      r.failure = j.at("failure").at("reason").get<std::string>();
    }
    const Space space = parse_space(j.at("space").get<std::string>());
    r.spec.arch = parse_arch(space, j.at("arch").get<std::string>());
    r.spec.hp = hyper_params_from_json(j.at("hp"));
    r.spec.seed = j.at("seed").get<std::uint64_t>();
    r.spec.dataset = j.at("dataset").get<std::string>();
    r.spec.max_batches = j.at("max_batches").get<std::int64_t>();
    r.spec.deterministic = j.at("deterministic").get<bool>();
    r.device = j.at("device").get<std::string>();
    r.train_images = j.at("train_images").get<std::int64_t>();
    r.train_batches = j.at("train_batches").get<std::int64_t>();
    for (const auto& name : j.at("eval_order"))
      r.eval_images.emplace_back(
          name.get<std::string>(),
          j.at("eval_images").at(name.get<std::string>()).get<std::int64_t>());
    r.flop = j.at("flop").get<double>();
    r.param = j.at("param").get<double>();
    if (!j.at("latency").is_null()) r.latency = j.at("latency").get<double>();
    const auto& stored_index = j.at("arch_index");
    if (!stored_index.is_number_integer() ||
        stored_index.get<std::int64_t>() != r.spec.arch.index) {
      throw Error(source + ": arch_index " + stored_index.dump() + " is not the index of arch " +
                  r.spec.arch.arch_str + " (" + std::to_string(r.spec.arch.index) + ")");
    }
    const std::size_t epochs = j.at("epochs_done").get<std::size_t>();
    // Every per-epoch series holds exactly epochs_done entries: more would be dropped unseen.
    for (const char* series :
         {"learning_rates", "train_losses", "train_acc1es", "train_acc5es", "train_times"}) {
      if (j.at(series).size() != epochs) {
        throw Error(source + ": " + series + " holds " + std::to_string(j.at(series).size()) +
                    " entries, expected epochs_done = " + std::to_string(epochs));
      }
    }
    for (const char* series : {"valid_losses", "valid_acc1es", "valid_acc5es", "valid_times"}) {
      if (j.at(series).size() != epochs * r.eval_images.size()) {
        throw Error(source + ": " + series + " holds " + std::to_string(j.at(series).size()) +
                    " entries, expected " + std::to_string(epochs * r.eval_images.size()) +
                    " (epochs_done x eval sets)");
      }
    }
    for (std::size_t e = 0; e < epochs; ++e) {
      EpochRecord ep;
      ep.lr = j.at("learning_rates").at(e).get<double>();
      ep.train.loss = j.at("train_losses").at(e).get<double>();
      ep.train.top1 = j.at("train_acc1es").at(e).get<double>();
      ep.train.top5 = j.at("train_acc5es").at(e).get<double>();
      ep.train.seconds = j.at("train_times").at(e).get<double>();
      ep.train.images = r.train_images;
      for (const auto& [name, n] : r.eval_images) {
        const std::string key = name + "@" + std::to_string(e);
        EpochMetrics m;
        m.loss = j.at("valid_losses").at(key).get<double>();
        m.top1 = j.at("valid_acc1es").at(key).get<double>();
        m.top5 = j.at("valid_acc5es").at(key).get<double>();
        m.seconds = j.at("valid_times").at(key).get<double>();
        m.images = n;
        ep.eval.emplace_back(name, m);
      }
      r.epochs.push_back(std::move(ep));
    }
    r.environment = j.at("environment");
    r.resumes = j.at("resumes");
    r.started = j.at("started").get<std::string>();
    r.finished = j.at("finished").get<std::string>();
    return r;
  } catch (const nlohmann::json::exception& e) {
    throw Error(source + ": not a natsbench run record (" + e.what() + ")");
  } catch (const ArgError& e) {
    throw Error(source + ": " + e.what());
  }
}

RunPaths run_paths(const std::string& out_dir, const RunSpec& spec) {
  char arch[32];
  if (spec.arch.index >= 0) {
    std::snprintf(arch, sizeof arch, "arch-%06d", spec.arch.index);
  } else {
    std::snprintf(arch, sizeof arch, "arch-x%.10s", md5_hex(spec.arch.arch_str).c_str());
  }
  char run[96];
  std::snprintf(run, sizeof run, "seed-%04llu-%s", static_cast<unsigned long long>(spec.seed),
                spec.dataset.c_str());
  const std::filesystem::path base = std::filesystem::path(out_dir) /
                                     std::string(space_name(spec.arch.space)) /
                                     ("hp-" + spec.hp.name) / arch / run;
  return {base.string() + ".json", base.string() + ".ckpt", base.string() + ".pt"};
}

std::string utc_now_iso8601() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

}  // namespace natsbench::train
