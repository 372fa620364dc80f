#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <limits>

#include "natsbench/sweep/collect.h"
#include "natsbench/sweep/collect_steps.h"
#include "natsbench/sweep/plan_file.h"
#include "natsbench/train/hyper_params.h"
#include "natsbench/train/record.h"
#include "natsbench/util/atomic_file.h"

using namespace natsbench;
namespace fs = std::filesystem;

namespace {

std::string temp_dir(const std::string& name) {
  const auto dir =
      fs::temp_directory_path() / ("natsbench-collect-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

// A complete one-epoch record (hp 01) of tss `arch` on cifar10, 600 train and 200 test images.
train::RunRecord record(int arch, std::uint64_t seed, double accuracy = 50) {
  train::RunRecord r;
  r.status = "complete";
  r.spec.arch = arch_from_index(Space::Topology, arch);
  r.spec.hp = train::load_hyper_params("01");
  r.spec.seed = seed;
  r.spec.dataset = "cifar10";
  r.device = "cpu";
  r.train_images = 600;
  r.eval_images = {{"ori-test", 200}};
  r.train_batches = 3;
  r.flop = 15.6;
  r.param = 0.13;
  train::EpochRecord e;
  e.lr = 0.1;
  e.train = {2.0, accuracy, 90, 600, 1.5, true};
  e.eval = {{"ori-test", {2.1, accuracy - 1, 88, 200, 0.2, true}}};
  r.epochs = {e};
  r.started = "2026-12-03T08:00:00Z";
  r.finished = "2026-12-03T08:00:02Z";
  return r;
}

std::string write(const std::string& dir, const train::RunRecord& r) {
  const std::string path = train::run_paths(dir, r.spec).record;
  fs::create_directories(fs::path(path).parent_path());
  write_file_atomic(path, train::to_json(r).dump());
  return path;
}

}  // namespace

TEST_CASE("collect steps: record files are found per hp, sorted", "[sweep][collect]") {
  const std::string dir = temp_dir("find");
  const std::string b = write(dir, record(284, 777));
  const std::string a = write(dir, record(11, 777));
  fs::create_directories(dir + "/tss/not-an-hp/arch-000001");
  write_file_atomic(dir + "/tss/not-an-hp/arch-000001/x.json", "{}");
  const auto files = sweep::find_record_files(dir, Space::Topology, {});
  REQUIRE(files.size() == 2);
  CHECK(files[0] == std::make_pair(a, std::string("01")));
  CHECK(files[1].first == b);
  CHECK(sweep::find_record_files(dir, Space::Topology, {"12"}).empty());
  CHECK(sweep::find_record_files(dir, Space::Size, {}).empty());
}

TEST_CASE("collect steps: a record is parsed at its place or says why not", "[sweep][collect]") {
  const std::string dir = temp_dir("parse");
  const std::string good = write(dir, record(11, 777));
  const auto ok = sweep::parse_record(good, dir, "01", Space::Topology);
  REQUIRE(ok.record);
  CHECK(ok.problem.empty());
  CHECK(ok.record->spec.arch.index == 11);

  CHECK(sweep::parse_record(good, dir, "01", Space::Size).problem.find("the tss space") !=
        std::string::npos);
  CHECK(sweep::parse_record(good, dir, "12", Space::Topology).problem ==
        "the record does not belong at this path");
  const std::string moved = dir + "/tss/hp-01/arch-000012/seed-0777-cifar10.json";
  fs::create_directories(fs::path(moved).parent_path());
  fs::copy_file(good, moved);
  CHECK(sweep::parse_record(moved, dir, "01", Space::Topology).problem ==
        "the record does not belong at this path");
  write_file_atomic(dir + "/damaged.json", "{\"status\": ");
  const auto damaged = sweep::parse_record(dir + "/damaged.json", dir, "01", Space::Topology);
  CHECK_FALSE(damaged.record);
  CHECK(damaged.problem == "not valid JSON (a damaged record?)");
  write_file_atomic(dir + "/other.json", "{\"status\": \"complete\"}");
  CHECK_FALSE(sweep::parse_record(dir + "/other.json", dir, "01", Space::Topology).record);
}

TEST_CASE("collect steps: one hp, one set of hyper-parameters; one dataset, one set of sizes",
          "[sweep][collect]") {
  sweep::ConsistencyCheck check;
  CHECK(check.admit(record(11, 777), "a.json").empty());
  CHECK(check.admit(record(12, 777), "b.json").empty());
  train::RunRecord other_lr = record(13, 777);
  other_lr.spec.hp.lr = 0.2;
  CHECK(check.admit(other_lr, "c.json") ==
        "hyper-parameters differ from those of a.json under hp 01");
  train::RunRecord other_sizes = record(14, 777);
  other_sizes.eval_images = {{"ori-test", 100}};
  const std::string why = check.admit(other_sizes, "d.json");
  CHECK(why.find("set sizes") == 0);
  CHECK(why.find("differ from those of a.json") != std::string::npos);
  // Another dataset has sizes of its own.
  train::RunRecord cifar100 = record(15, 777);
  cifar100.spec.dataset = "cifar100";
  cifar100.train_images = 300;
  CHECK(check.admit(cifar100, "e.json").empty());
}

TEST_CASE("collect steps: sanity of a usable record", "[sweep][collect]") {
  CHECK(sweep::record_sanity(record(11, 777)).empty());
  train::RunRecord failed = record(11, 777);
  failed.status = "failed";
  failed.epochs.clear();
  CHECK(sweep::record_sanity(failed).empty());
  train::RunRecord running = record(11, 777);
  running.status = "running";
  CHECK(sweep::record_sanity(running) == "status 'running'");
  train::RunRecord short_run = record(11, 777);
  short_run.epochs.clear();
  CHECK(sweep::record_sanity(short_run) == "0 of 1 epochs");
  CHECK(sweep::record_sanity(record(11, 777, 101)) ==
        "training accuracy outside [0, 100] in epoch 0");
  train::RunRecord nan_loss = record(11, 777);
  nan_loss.epochs[0].eval[0].second.loss = std::numeric_limits<double>::quiet_NaN();
  CHECK(sweep::record_sanity(nan_loss) == "ori-test loss not finite in epoch 0");
  train::RunRecord other_sets = record(11, 777);
  other_sets.eval_images = {{"x-valid", 200}};
  CHECK(sweep::record_sanity(other_sets) == "eval sets differ from the dataset's");
  train::RunRecord no_cost = record(11, 777);
  no_cost.flop = 0;
  CHECK(sweep::record_sanity(no_cost) == "flop/param not positive");
  // Times and latency: finite and >= 0 (a negative time would be collected into the benchmark).
  train::RunRecord negative_time = record(11, 777);
  negative_time.epochs[0].train.seconds = -1.5;
  CHECK(sweep::record_sanity(negative_time) == "training time negative or not finite in epoch 0");
  train::RunRecord infinite_eval_time = record(11, 777);
  infinite_eval_time.epochs[0].eval[0].second.seconds = std::numeric_limits<double>::infinity();
  CHECK(sweep::record_sanity(infinite_eval_time) ==
        "ori-test time negative or not finite in epoch 0");
  train::RunRecord negative_latency = record(11, 777);
  negative_latency.latency = -0.01;
  CHECK(sweep::record_sanity(negative_latency) == "latency negative or not finite");
}

TEST_CASE("collect steps: a record's index and per-epoch lists are checked on reading",
          "[sweep][collect]") {
  const nlohmann::json good = train::to_json(record(11, 777));
  CHECK(train::record_from_json(good, "r.json").spec.arch.index == 11);
  for (const nlohmann::json& index :
       {nlohmann::json(0.5), nlohmann::json(99999), nlohmann::json(12), nlohmann::json("11")}) {
    nlohmann::json edited = good;
    edited["arch_index"] = index;
    CHECK_THROWS_WITH(
        train::record_from_json(edited, "r.json"),
        Catch::Contains("r.json: arch_index " + index.dump() + " is not the index of arch"));
  }
  // A series with more entries than epochs_done would lose the extra epochs unseen.
  nlohmann::json extra_epoch = good;
  extra_epoch["train_losses"].push_back(1.0);
  CHECK_THROWS_WITH(train::record_from_json(extra_epoch, "r.json"),
                    Catch::Contains("train_losses holds 2 entries, expected epochs_done = 1"));
  nlohmann::json extra_eval = good;
  extra_eval["valid_times"]["ori-test@1"] = 0.1;
  CHECK_THROWS_WITH(train::record_from_json(extra_eval, "r.json"),
                    Catch::Contains("valid_times holds 2 entries, expected 1"));
}

TEST_CASE("collect steps: duplicates of a run agree up to times and environment",
          "[sweep][collect]") {
  train::RunRecord again = record(11, 777);
  again.finished = "2026-12-04T00:00:00Z";
  again.epochs[0].train.seconds = 9;
  again.environment = {{"host", "other"}};
  again.device = "cuda:0";
  CHECK(sweep::same_run(record(11, 777), again));
  CHECK_FALSE(sweep::same_run(record(11, 777), record(11, 777, 51)));
}

TEST_CASE("collect steps: missing runs from the plans, or from the runs seen", "[sweep][collect]") {
  using Key = sweep::RunKey;
  const std::set<Key> finished = {{"01", 11, 777, "cifar10"}, {"01", 12, 888, "cifar10"}};
  // Without plans: seeds 777 and 888 for cifar10 on archs 11 and 12.
  CHECK(sweep::missing_runs({}, false, finished) ==
        std::vector<Key>{{"01", 11, 888, "cifar10"}, {"01", 12, 777, "cifar10"}});
  const std::set<Key> planned = {{"01", 11, 777, "cifar10"}, {"01", 13, 777, "cifar10"}};
  CHECK(sweep::missing_runs(planned, true, finished) ==
        std::vector<Key>{{"01", 13, 777, "cifar10"}});
}

TEST_CASE("collect: inconsistent and invalid records are reported, never collected",
          "[sweep][collect]") {
  const std::string dir = temp_dir("gather");
  write(dir, record(11, 777));
  train::RunRecord other_lr = record(12, 777);
  other_lr.spec.hp.lr = 0.2;
  write(dir, other_lr);
  train::RunRecord bad = record(13, 777, 150);
  write(dir, bad);
  sweep::write_plan_file(dir, Space::Topology, train::load_hyper_params("01"),
                         {{11, 777, "cifar10"}, {12, 777, "cifar10"}, {14, 777, "cifar10"}});
  sweep::CollectOptions options;
  options.space = Space::Topology;
  options.runs_dirs = {dir};
  const sweep::Gathered g = sweep::gather(options);
  CHECK(g.records == 3);
  REQUIRE(g.archs.size() == 1);
  CHECK(g.archs.count(11) == 1);
  std::map<std::string, int> kinds;
  for (const auto& p : g.problems) ++kinds[p.kind];
  CHECK(kinds["inconsistent"] == 1);
  CHECK(kinds["invalid"] == 1);
  CHECK(kinds["missing"] == 2);  // 12 (its record is inconsistent) and 14 (no record)

  // A damaged plan file is an error naming it, not a silently smaller plan.
  write_file_atomic(dir + "/plans/broken.json", "{\"space\": ");
  CHECK_THROWS_WITH(sweep::gather(options), Catch::Contains("broken.json: not a natsbench plan"));
}
