// The size of re-creating each space's benchmark (docs/training.md §8) and its projection.
#include <catch2/catch.hpp>

#include "natsbench/sweep/job_size.h"
#include "natsbench/util/error.h"

namespace sweep = natsbench::sweep;
using natsbench::Space;

TEST_CASE("the benchmark's jobs: docs/training.md §8's runs and images", "[sweep]") {
  const auto tss = sweep::benchmark_jobs(Space::Topology);
  REQUIRE(tss.size() == 2);
  CHECK(tss[0].hp == "12");
  CHECK(tss[0].epochs == 12);
  CHECK(tss[0].runs == 62500 + 15625);  // seed 111 on all four, 777 on cifar10-valid
  CHECK(tss[0].seeds.front() == std::make_pair(std::string("cifar10-valid"), std::int64_t{2}));
  CHECK(tss[0].train_images == 15625LL * 12 * (276700 + 25000));
  CHECK(tss[0].eval_images == 15625LL * 12 * (77000 + 35000));
  CHECK(tss[1].hp == "200");
  CHECK(tss[1].epochs == 200);
  CHECK(tss[1].archs == 15625);
  CHECK(tss[1].runs == 187500);
  // Per (arch, seed) one epoch over all four datasets: 276,700 training, 77,000 eval images.
  CHECK(tss[1].train_images == 15625LL * 3 * 200 * 276700);
  CHECK(tss[1].eval_images == 15625LL * 3 * 200 * 77000);

  const auto sss = sweep::benchmark_jobs(Space::Size);
  REQUIRE(sss.size() == 3);
  CHECK(sss[0].hp == "01");
  CHECK(sss[0].runs == 131072);
  CHECK(sss[1].hp == "12");
  CHECK(sss[1].runs == 393216);
  CHECK(sss[2].hp == "90");
  CHECK(sss[2].runs == 131072);
  CHECK(sss[2].train_images == 32768LL * 90 * 276700);
}

TEST_CASE("projected seconds per epoch and GPU-hours", "[sweep]") {
  // cifar10: 50,000 training images at 100/s, 10,000 test images at 200/s.
  CHECK(sweep::epoch_seconds("cifar10", 100, 200) == Approx(550));
  CHECK(sweep::epoch_seconds("cifar10-valid", 1000, 1000) == Approx(60));  // 25,000 + 35,000
  const nlohmann::json p = sweep::project_sweep(Space::Topology, 10000, 40000);
  const double h200 =
      (15625.0 * 3 * 200 * 276700 / 10000 + 15625.0 * 3 * 200 * 77000 / 40000) / 3600;
  CHECK(p["gpu_hours"]["200"].get<double>() == Approx(h200));
  CHECK(p["gpu_hours"]["total"].get<double>() == Approx(h200 + p["gpu_hours"]["12"].get<double>()));
  CHECK(p["jobs"][1]["runs"] == 187500);
  CHECK_THROWS_AS(sweep::project_sweep(Space::Size, 0, 1), natsbench::ArgError);
  CHECK_THROWS_AS(sweep::epoch_seconds("cifar11", 1, 1), natsbench::ArgError);
}
