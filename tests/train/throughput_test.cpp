// bench train's measurement (throughput.h): what it counts, that the plain and the graph-safe
// paths train the same way through it, and its option checks. Figures themselves are not tested.
#include <torch/cuda.h>

#include <catch2/catch.hpp>

#include "natsbench/train/cuda_graph.h"
#include "natsbench/train/throughput.h"
#include "natsbench/train/trainer.h"
#include "natsbench/util/error.h"

namespace train = natsbench::train;
using natsbench::Space;

namespace {

// The cheapest candidate at the cheapest shape: 16x16 ImageNet16-120 images.
train::ThroughputOptions tiny() {
  train::ThroughputOptions o;
  o.arch = natsbench::lookup_arch(Space::Size, "8:8:8:8:8");
  o.dataset = "ImageNet16-120";
  o.steps = 2;
  o.warmup = 1;
  o.profile_steps = 1;
  return o;
}

}  // namespace

TEST_CASE("bench train counts images of every concurrent run, and both paths train alike",
          "[train]") {
  train::ThroughputOptions plain = tiny();
  plain.concurrent = 2;
  const train::ThroughputResult p = train::measure_throughput(plain);
  CHECK(p.batch_size == 256);
  CHECK(p.train_images == 2 * 2 * 256);
  CHECK(p.eval_images == 2 * 2 * 256);
  CHECK(p.train_seconds > 0);
  CHECK(p.eval_seconds > 0);
  CHECK(p.finite);
  // The plain path's phase profile: four phases, fractions of one step.
  REQUIRE(p.profile.size() == 4);
  double sum = 0;
  for (const auto& [name, fraction] : p.profile) sum += fraction;
  CHECK(sum == Approx(1.0));

  train::ThroughputOptions safe = plain;
  safe.path = train::StepPath::GraphSafe;
  const train::ThroughputResult s = train::measure_throughput(safe);
  CHECK(s.train_images == p.train_images);
  CHECK(s.profile.empty());  // a graph-safe step is not split into phases
  // Same seeds, data and update (rate on the host on the CPU): the same losses, bit for bit.
  CHECK(s.first_loss == p.first_loss);
  CHECK(s.last_loss == p.last_loss);
  CHECK(s.first_loss != s.last_loss);  // the timed steps did train
}

TEST_CASE("bench train refuses inconsistent options with one clear message", "[train]") {
  train::ThroughputOptions o = tiny();
  o.graph = true;
  CHECK_THROWS_WITH(train::check_throughput_options(o), Catch::Contains("--device cuda"));
  o = tiny();
  o.steps = 0;
  CHECK_THROWS_AS(train::check_throughput_options(o), natsbench::ArgError);
  o = tiny();
  o.concurrent = 0;
  CHECK_THROWS_WITH(train::check_throughput_options(o), Catch::Contains("--concurrent 0"));
  o = tiny();
  o.dataset = "cifar11";
  CHECK_THROWS_AS(train::check_throughput_options(o), natsbench::ArgError);
}

TEST_CASE("CUDA: bench train with graphs and concurrent runs", "[train][gpu]") {
  if (!train::cuda_graphs_built() || !torch::cuda::is_available()) {
    WARN("skipped: no CUDA device (or a CPU-only LibTorch build)");
    return;
  }
  train::set_deterministic(true);
  train::ThroughputOptions o = tiny();
  o.device = c10::Device(c10::kCUDA, 0);
  o.path = train::StepPath::GraphSafe;
  o.graph = true;
  o.warmup = train::kGraphEagerSteps + 1;
  o.steps = 3;
  o.concurrent = 3;
  const train::ThroughputResult r = train::measure_throughput(o);
  CHECK(r.train_images == 3 * 3 * 256);
  CHECK(r.finite);
  CHECK(r.first_loss != r.last_loss);
  o.warmup = train::kGraphEagerSteps;
  CHECK_THROWS_WITH(train::check_throughput_options(o), Catch::Contains("untimed steps"));
}
