#include "natsbench/sweep/plan_file.h"

#include <algorithm>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "natsbench/util/atomic_file.h"
#include "natsbench/util/error.h"
#include "natsbench/util/md5.h"

namespace natsbench::sweep {

namespace fs = std::filesystem;

void write_plan_file(const std::string& out, Space space, const train::HyperParams& hp,
                     const std::vector<PlannedRun>& plan) {
  nlohmann::json runs = nlohmann::json::array();
  for (const auto& r : plan) runs.push_back({r.arch_index, r.seed, r.dataset});
  const nlohmann::json j = {
      {"space", std::string(space_name(space))}, {"hp", train::to_json(hp)}, {"runs", runs}};
  const std::string text = j.dump() + "\n";
  const fs::path dir = fs::path(out) / "plans";
  fs::create_directories(dir);
  const fs::path path = dir / (std::string(space_name(space)) + "-hp-" + hp.name + "-" +
                               md5_hex(text).substr(0, 12) + ".json");
  if (!fs::exists(path)) write_file_atomic(path.string(), text);
}

std::vector<PlanFile> read_plan_files(const std::string& out) {
  const fs::path dir = fs::path(out) / "plans";
  std::vector<fs::path> paths;
  if (fs::is_directory(dir)) {
    for (const auto& entry : fs::directory_iterator(dir))
      if (entry.path().extension() == ".json") paths.push_back(entry.path());
  }
  std::sort(paths.begin(), paths.end());
  std::vector<PlanFile> plans;
  for (const auto& path : paths) {
    PlanFile plan;
    plan.path = path.string();
    try {
      const auto j = nlohmann::json::parse(read_file(plan.path));
      plan.space = parse_space(j.at("space").get<std::string>());
      plan.hp = train::hyper_params_from_json(j.at("hp"));
      for (const auto& r : j.at("runs")) {
        plan.runs.push_back(
            {r.at(0).get<int>(), r.at(1).get<std::uint64_t>(), r.at(2).get<std::string>()});
      }
    } catch (const std::exception& e) {
      throw Error(plan.path + ": not a natsbench plan file (" + e.what() + ")");
    }
    plans.push_back(std::move(plan));
  }
  return plans;
}

}  // namespace natsbench::sweep
