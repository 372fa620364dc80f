// Sweep plans (docs/training.md §6.2), shards, run locks, and the manifest's SHA-256.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "natsbench/data/registry.h"
#include "natsbench/sweep/plan.h"
#include "natsbench/sweep/run_lock.h"
#include "natsbench/util/error.h"
#include "natsbench/util/sha256.h"

namespace sweep = natsbench::sweep;
namespace data = natsbench::data;
using natsbench::ArgError;
using natsbench::Space;

namespace {

std::string temp_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("natsbench-sweep-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

}  // namespace

TEST_CASE("ranges in the reference's syntax", "[sweep]") {
  CHECK(sweep::parse_range("00000-00003", 15625) == std::vector<int>{0, 1, 2, 3});
  CHECK(sweep::parse_range(" 7 ", 15625) == std::vector<int>{7});
  CHECK(sweep::parse_range("9-10, 0-1,10", 15625) == std::vector<int>{0, 1, 9, 10});
  CHECK(sweep::parse_range("00000-15624", 15625).size() == 15625);
  CHECK(sweep::parse_range("32767", 32768) == std::vector<int>{32767});
  CHECK_THROWS_WITH(sweep::parse_range("15625", 15625), Catch::Contains("outside 0..15624"));
  CHECK_THROWS_WITH(sweep::parse_range("5-3", 15625), Catch::Contains("end is before the start"));
  CHECK_THROWS_WITH(sweep::parse_range("1,,2", 15625), Catch::Contains("empty item"));
  CHECK_THROWS_WITH(sweep::parse_range("a-b", 15625), Catch::Contains("'a-b'"));
  CHECK_THROWS_AS(sweep::parse_range("", 15625), ArgError);
}

TEST_CASE("plans: the released benchmark's seeds per hp, reference run order", "[sweep]") {
  using Seeds = std::vector<std::uint64_t>;
  CHECK(data::preset_seeds(Space::Topology, "200", "cifar100") == Seeds{777, 888, 999});
  CHECK(data::preset_seeds(Space::Topology, "12", "cifar10-valid") == Seeds{111, 777});
  CHECK(data::preset_seeds(Space::Topology, "12", "ImageNet16-120") == Seeds{111});
  CHECK(data::preset_seeds(Space::Size, "01", "cifar10") == Seeds{777});
  CHECK(data::preset_seeds(Space::Size, "12", "cifar10") == Seeds{777, 888, 999});
  CHECK(data::preset_seeds(Space::Size, "90", "cifar100") == Seeds{777});

  const std::vector<std::string> all = {"cifar10-valid", "cifar10", "cifar100", "ImageNet16-120"};
  const auto tss12 = sweep::make_plan(Space::Topology, {5, 9}, "12", {}, all);
  REQUIRE(tss12.size() == 2 * 5);  // seed 111 x 4 datasets + seed 777 x cifar10-valid, per arch
  CHECK(tss12[0] == sweep::PlannedRun{5, 111, "cifar10-valid"});
  CHECK(tss12[3] == sweep::PlannedRun{5, 111, "ImageNet16-120"});
  CHECK(tss12[4] == sweep::PlannedRun{5, 777, "cifar10-valid"});
  CHECK(tss12[5] == sweep::PlannedRun{9, 111, "cifar10-valid"});
  const auto given = sweep::make_plan(Space::Size, {0}, "12", {1, 2}, {"cifar10"});
  CHECK(given == std::vector<sweep::PlannedRun>{{0, 1, "cifar10"}, {0, 2, "cifar10"}});
}

TEST_CASE("shards cover every run exactly once, whole (arch, seed) units, for any N", "[sweep]") {
  const std::vector<std::string> all = {"cifar10-valid", "cifar10", "cifar100", "ImageNet16-120"};
  const auto plan =
      sweep::make_plan(Space::Topology, sweep::parse_range("0-40", 15625), "200", {}, all);
  REQUIRE(plan.size() == 41 * 3 * 4);
  for (int n = 1; n <= 9; ++n) {
    std::multiset<std::tuple<int, std::uint64_t, std::string>> seen;
    std::size_t smallest = plan.size(), largest = 0;
    for (int k = 0; k < n; ++k) {
      const auto part = sweep::shard(plan, k, n);
      smallest = std::min(smallest, part.size());
      largest = std::max(largest, part.size());
      for (const auto& r : part) seen.insert({r.arch_index, r.seed, r.dataset});
      for (std::size_t i = 0; i < part.size(); i += 4) {  // every unit keeps its four datasets
        REQUIRE(i + 3 < part.size());
        CHECK(part[i + 3].arch_index == part[i].arch_index);
        CHECK(part[i + 3].dataset == "ImageNet16-120");
      }
    }
    CHECK(seen.size() == plan.size());
    for (const auto& r : plan) CHECK(seen.count({r.arch_index, r.seed, r.dataset}) == 1);
    CHECK(largest - smallest <= 4);  // balanced to one unit
  }
  CHECK(sweep::parse_shard("3/8") == std::make_pair(3, 8));
  CHECK_THROWS_WITH(sweep::parse_shard("8/8"), Catch::Contains("0 <= K < N"));
  CHECK_THROWS_WITH(sweep::parse_shard("1"), Catch::Contains("K/N"));
  CHECK_THROWS_AS(sweep::shard(plan, 0, 0), ArgError);
}

TEST_CASE("run locks: exclusive, released, taken over when the owner is gone", "[sweep]") {
  const std::string dir = temp_dir("lock");
  const std::string path = dir + "/run.lock";
  {
    auto a = sweep::RunLock::claim(path, 3600);
    REQUIRE(a);
    CHECK_FALSE(a->took_over());
    CHECK_FALSE(sweep::RunLock::claim(path, 3600));  // we are alive: held
    const auto owner = sweep::RunLock::read(path);
    CHECK(owner["pid"] == static_cast<long>(::getpid()));
    CHECK(owner["host"] == sweep::host_name());
  }
  CHECK_FALSE(std::filesystem::exists(path));  // released on destruction

  // A lock of a process that no longer exists on this host.
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);
  std::ofstream(path) << "{\"host\":\"" << sweep::host_name() << "\",\"pid\":" << child
                      << ",\"started\":\"2026-01-01T00:00:00Z\"}\n";
  auto b = sweep::RunLock::claim(path, 3600);
  REQUIRE(b);
  CHECK(b->took_over());
  b->release();

  // A lock of another host, refreshed long ago.
  std::ofstream(path) << "{\"host\":\"elsewhere\",\"pid\":1,\"started\":\"x\"}\n";
  CHECK_FALSE(sweep::RunLock::claim(path, 3600));
  struct timespec old[2] = {{::time(nullptr) - 7200, 0}, {::time(nullptr) - 7200, 0}};
  REQUIRE(::utimensat(AT_FDCWD, path.c_str(), old, 0) == 0);
  CHECK(sweep::RunLock::age_seconds(path) >= 7199);
  auto c = sweep::RunLock::claim(path, 3600);
  REQUIRE(c);
  c->refresh();
  CHECK(sweep::RunLock::age_seconds(path) < 5);
  c->release();

  // Many claimers at once: exactly one wins.
  std::atomic<int> winners{0};
  std::vector<std::thread> threads;
  std::vector<std::optional<std::optional<sweep::RunLock>>> held(8);
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      held[t].emplace(sweep::RunLock::claim(path, 3600));
      if (*held[t]) ++winners;
    });
  for (auto& t : threads) t.join();
  CHECK(winners == 1);
  std::filesystem::remove_all(dir);
}

TEST_CASE("SHA-256 test vectors (FIPS 180-4)", "[sweep]") {
  CHECK(natsbench::sha256_hex("") ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(natsbench::sha256_hex("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(natsbench::sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(natsbench::sha256_hex(std::string(1000000, 'a')) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}
