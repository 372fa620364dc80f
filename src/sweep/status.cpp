#include "natsbench/sweep/status.h"

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <set>

#include "natsbench/sweep/plan_file.h"
#include "natsbench/sweep/run_lock.h"
#include "natsbench/util/atomic_file.h"
#include "natsbench/util/error.h"

namespace natsbench::sweep {

namespace fs = std::filesystem;

std::string lock_path(const train::RunPaths& paths) {
  return paths.record.substr(0, paths.record.size() - 5) + ".lock";
}

namespace {

std::time_t parse_utc(const std::string& text) {
  std::tm tm{};
  if (strptime(text.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm) == nullptr) return 0;
  return timegm(&tm);
}

}  // namespace

nlohmann::json sweep_status(const std::string& out, double stale_after_seconds) {
  if (!fs::is_directory(out)) throw ArgError("--out " + out + ": no such directory");
  // Planned runs, as record paths relative to OUT.
  std::set<std::string> planned;
  for (const PlanFile& plan : read_plan_files(out)) {
    for (const PlannedRun& r : plan.runs) {
      train::RunSpec spec;
      spec.arch.space = plan.space;
      spec.arch.index = r.arch_index;
      spec.hp = plan.hp;
      spec.seed = r.seed;
      spec.dataset = r.dataset;
      planned.insert(fs::relative(train::run_paths(out, spec).record, out).string());
    }
  }
  std::size_t complete = 0, failed = 0, running = 0, stale = 0, paused = 0;
  double wall = 0;
  std::size_t timed = 0;
  std::set<std::string> finished;
  for (const char* space : {"tss", "sss"}) {
    const fs::path root = fs::path(out) / space;
    if (!fs::is_directory(root)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
      if (!entry.is_regular_file()) continue;
      const fs::path& p = entry.path();
      const std::string ext = p.extension().string();
      if (ext == ".json") {
        const auto j = nlohmann::json::parse(read_file(p.string()), nullptr, false);
        if (j.is_discarded() || !j.is_object()) continue;
        const std::string status = j.value("status", "");
        if (status == "complete") ++complete;
        if (status == "failed") ++failed;
        finished.insert(fs::relative(p, out).string());
        const std::time_t a = parse_utc(j.value("started", "")),
                          b = parse_utc(j.value("finished", ""));
        if (status == "complete" && a > 0 && b >= a &&
            j.value("resumes", nlohmann::json::array()).empty()) {
          wall += static_cast<double>(b - a);
          ++timed;
        }
      } else if (ext == ".lock") {
        const double age = RunLock::age_seconds(p.string());
        if (RunLock::owner_gone(RunLock::read(p.string()), age, stale_after_seconds))
          ++stale;
        else
          ++running;
      } else if (ext == ".ckpt") {
        fs::path lock = p;
        lock.replace_extension(".lock");
        if (!fs::exists(lock)) ++paused;
      }
    }
  }
  std::size_t remaining = 0;
  for (const auto& rel : planned)
    if (!finished.count(rel)) ++remaining;
  nlohmann::json eta = nullptr;
  if (timed > 0 && !planned.empty()) {
    const double per_run = wall / static_cast<double>(timed);
    eta = per_run * static_cast<double>(remaining) /
          static_cast<double>(std::max<std::size_t>(1, running));
  }
  return {{"out", out},
          {"planned", planned.size()},
          {"complete", complete},
          {"failed", failed},
          {"running", running},
          {"stale_locks", stale},
          {"paused", paused},
          {"remaining", planned.empty() ? nlohmann::json(nullptr) : nlohmann::json(remaining)},
          {"mean_run_seconds",
           timed > 0 ? nlohmann::json(wall / static_cast<double>(timed)) : nlohmann::json(nullptr)},
          {"eta_seconds", eta}};
}

}  // namespace natsbench::sweep
