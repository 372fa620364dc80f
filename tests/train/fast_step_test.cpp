// The fast path's steps (fast_step.h) against the plain path (trainer.h): on the CPU the same
// bits (parameters, BatchNorm statistics, momentum buffers, per-batch metrics); on a GPU, the
// captured CUDA graphs within stated tolerances (skipped with a message where there is no GPU).
#include <ATen/ATen.h>
#include <torch/cuda.h>
#include <torch/torch.h>

#include <catch2/catch.hpp>

#include "natsbench/data/benchmark_data.h"
#include "natsbench/model/device.h"
#include "natsbench/train/cuda_graph.h"
#include "natsbench/train/fast_step.h"
#include "natsbench/train/hyper_params.h"
#include "natsbench/train/trainer.h"
#include "natsbench/util/error.h"
#include "train_test_util.h"

namespace train = natsbench::train;
namespace data = natsbench::data;
namespace model = natsbench::model;
using natsbench::Space;

namespace {

// Learnable synthetic cifar10 data, evaluated on the training images.
data::BenchmarkData synthetic_data(std::int64_t n) {
  data::BenchmarkData d = natsbench::train_test::cifar_shaped("cifar10");
  d.train = natsbench::train_test::synthetic_set(n, 11);
  d.eval_sets.emplace_back("ori-test", d.train);
  return d;
}

train::HyperParams two_epochs() {
  train::HyperParams hp = train::load_hyper_params("200");
  hp.epochs = 2;  // the rate changes between the epochs: 0.1, then 0.05
  return hp;
}

model::CellNetwork seeded_network(const natsbench::ArchConfig& arch, const c10::Device& device) {
  torch::manual_seed(777);
  model::CellNetwork net = model::make_network(arch, 10);
  net->to(device);
  return net;
}

std::vector<at::Tensor> state_of(model::CellNetwork& net) {
  std::vector<at::Tensor> out;
  for (const auto& p : net->parameters()) out.push_back(p.detach().cpu().clone());
  for (const auto& b : net->buffers()) out.push_back(b.detach().cpu().clone());
  return out;
}

void set_rate(torch::optim::SGD& sgd, double lr) {
  for (auto& group : sgd.param_groups())
    static_cast<torch::optim::SGDOptions&>(group.options()).lr(lr);
}

// Trains both networks for the epochs of `hp` on the same batches: `plain_net` with
// train_batches() (torch::optim::SGD), the other with FastTrainStep. Returns the per-epoch
// metrics of both.
struct Trained {
  std::vector<train::BatchStats> plain, fast;
  std::unique_ptr<torch::optim::SGD> sgd;
  std::vector<at::Tensor> fast_buffers;  // the fast step's momentum buffers
};

Trained train_both(model::CellNetwork& plain_net, model::CellNetwork& fast_net,
                   const data::BenchmarkData& d, const train::HyperParams& hp,
                   const c10::Device& device, std::int64_t batch,
                   const train::FastStepOptions& options) {
  Trained t;
  t.sgd = train::make_optimizer(plain_net, hp);
  auto plain_loader = data::make_train_loader(d, device, 777, batch);
  auto fast_loader = data::make_train_loader(d, device, 777, batch);
  const std::int64_t batches = plain_loader->size();
  const c10::Stream stream = train::side_stream(device);
  train::FastTrainStep fast(fast_net, hp, device, batch, batches, options);
  // What the default stream wrote (weights, data, the step's buffers) is done before the fast
  // step's stream reads it.
  model::synchronize(device);
  for (int epoch = 0; epoch < hp.total_epochs(); ++epoch) {
    const double lr = train::learning_rate(hp, epoch);
    plain_loader->set_epoch(epoch);
    set_rate(*t.sgd, lr);
    train::MetricAccumulator metrics(batches, device);
    train::train_batches(plain_net, *t.sgd, *plain_loader, hp, epoch, 0, batches, metrics, {});
    t.plain.push_back(metrics.read(0, batches));
    {
      train::StreamScope scope(stream);
      fast_loader->set_epoch(epoch);  // the order is copied to the device on this stream
      fast.rewind();
      fast.set_lr(lr);
      for (std::int64_t i = 0; i < batches; ++i) fast.step(fast_loader->get(i));
      t.fast.push_back(fast.read());
    }
    if (options.graph) CHECK(fast.captured());
  }
  model::synchronize(device);
  t.fast_buffers = fast.optimizer().momentum_buffers();
  return t;
}

void check_same_stats(const train::BatchStats& a, const train::BatchStats& b) {
  CHECK(a.loss == b.loss);  // float32 bits
  CHECK(a.correct1 == b.correct1);
  CHECK(a.correct5 == b.correct5);
  CHECK(a.size == b.size);
}

double max_abs_diff(const std::vector<at::Tensor>& a, const std::vector<at::Tensor>& b) {
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!a[i].is_floating_point()) continue;
    m = std::max(m, (a[i] - b[i]).abs().max().item<double>());
  }
  return m;
}

}  // namespace

TEST_CASE("the graph-safe training step on the CPU: the plain path's bits", "[train]") {
  const data::BenchmarkData d = synthetic_data(80);  // batches of 32: 32, 32 and a partial 16
  const train::HyperParams hp = two_epochs();
  // A size-space candidate, and a topology cell whose `none` edges give exact-zero gradients.
  for (const auto& arch :
       {natsbench::lookup_arch(Space::Size, "8:8:8:8:8"),
        natsbench::parse_arch(
            Space::Topology,
            "|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|avg_pool_3x3~2|")}) {
    INFO(arch.arch_str);
    model::CellNetwork plain = seeded_network(arch, at::kCPU);
    model::CellNetwork fast = seeded_network(arch, at::kCPU);
    Trained t = train_both(plain, fast, d, hp, at::kCPU, 32, {});
    REQUIRE(t.plain.size() == 2);
    for (std::size_t e = 0; e < t.plain.size(); ++e) {
      INFO("epoch " << e);
      CHECK(t.plain[e].size == std::vector<std::int64_t>{32, 32, 16});
      check_same_stats(t.plain[e], t.fast[e]);
    }
    // Parameters, BatchNorm running statistics and batch counters.
    const auto a = state_of(plain), b = state_of(fast);
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) CHECK(at::equal(a[i], b[i]));
    // Momentum buffers, compared in SGD's own state.
    train::GraphSafeSgd probe(plain->parameters(), hp, at::kCPU, train::LrSource::Host);
    probe.load_from(*t.sgd);
    REQUIRE(probe.momentum_buffers().size() == t.fast_buffers.size());
    for (std::size_t i = 0; i < t.fast_buffers.size(); ++i) {
      REQUIRE(t.fast_buffers[i].defined());
      CHECK(at::equal(probe.momentum_buffers()[i], t.fast_buffers[i]));
    }
  }
}

TEST_CASE("the graph-safe evaluation step on the CPU: evaluate()'s metrics", "[train]") {
  const data::BenchmarkData d = synthetic_data(80);
  const auto arch = natsbench::lookup_arch(Space::Size, "8:8:8:8:8");
  model::CellNetwork net = seeded_network(arch, at::kCPU);
  auto loader = data::make_eval_loader(d, "ori-test", at::kCPU, 1, 32);
  const train::EpochMetrics want = train::evaluate(net, *loader, at::kCPU, loader->size());
  train::FastEvalStep step(net, at::kCPU, 32, loader->size(), {});
  for (std::int64_t i = 0; i < loader->size(); ++i) step.step(loader->get(i));
  const train::EpochMetrics got = train::combine(step.read(), 0);
  CHECK(got.images == 80);
  CHECK(got.loss == want.loss);
  CHECK(got.top1 == want.top1);
  CHECK(got.top5 == want.top5);
  // Rewound, the next epoch's rows start again at 0.
  step.rewind();
  step.step(loader->get(0));
  CHECK(step.read().size == std::vector<std::int64_t>{32});
}

TEST_CASE("the graph-safe step with the rate in a device tensor stays close to the plain path",
          "[train]") {
  const data::BenchmarkData d = synthetic_data(80);
  const train::HyperParams hp = two_epochs();
  const auto arch = natsbench::lookup_arch(Space::Size, "8:8:8:8:8");
  model::CellNetwork plain = seeded_network(arch, at::kCPU);
  model::CellNetwork fast = seeded_network(arch, at::kCPU);
  train::FastStepOptions options;
  options.lr_source = train::LrSource::Device;  // the form the CUDA graph replays
  Trained t = train_both(plain, fast, d, hp, at::kCPU, 32, options);
  // Equal bits where both kernels fuse the multiply-add (see graph_safe_sgd.h; measured here on
  // an AVX2 CPU); otherwise one rounding per update, ~1e-8 on these weights after 6 steps.
  const double diff = max_abs_diff(state_of(plain), state_of(fast));
  INFO("max |parameter difference| " << diff);
  CHECK(diff < 1e-6);
  for (std::size_t e = 0; e < t.plain.size(); ++e) {
    for (std::size_t i = 0; i < t.plain[e].loss.size(); ++i)
      CHECK(std::abs(t.plain[e].loss[i] - t.fast[e].loss[i]) < 1e-5);
  }
}

TEST_CASE("the fast step refuses graphs on the CPU and full metric rows", "[train]") {
  const auto arch = natsbench::lookup_arch(Space::Size, "8:8:8:8:8");
  model::CellNetwork net = seeded_network(arch, at::kCPU);
  const train::HyperParams hp = two_epochs();
  train::FastStepOptions graph;
  graph.graph = true;
  CHECK_THROWS_WITH(train::FastTrainStep(net, hp, at::kCPU, 32, 4, graph),
                    Catch::Contains("CUDA graphs need a CUDA device"));
  CHECK_THROWS_AS(train::FastEvalStep(net, at::kCPU, 32, 4, graph), natsbench::ArgError);

  const data::BenchmarkData d = synthetic_data(64);
  auto loader = data::make_train_loader(d, at::kCPU, 777, 32);
  train::FastTrainStep step(net, hp, at::kCPU, 32, 1, {});
  step.step(loader->get(0));
  CHECK_THROWS_WITH(step.step(loader->get(1)), Catch::Contains("rewind()"));
  step.rewind();
  CHECK_NOTHROW(step.step(loader->get(1)));
}

// The GPU half: runs where LibTorch sees a CUDA device, otherwise says why it did nothing.
TEST_CASE("CUDA: graph-captured steps follow the plain path within tolerance", "[train][gpu]") {
  if (!train::cuda_graphs_built()) {
    WARN(
        "skipped: this build links a CPU-only LibTorch (scripts/build-cuda.sh builds the CUDA "
        "one)");
    return;
  }
  if (!torch::cuda::is_available()) {
    WARN("skipped: no CUDA device visible");
    return;
  }
  const c10::Device cuda(c10::kCUDA, 0);
  train::set_deterministic(true);
  // 10 full batches of 64 per epoch: 3 eager steps, the capture, then replays; a second epoch at
  // half the rate checks that the replayed graph reads the rate tensor.
  const data::BenchmarkData d = synthetic_data(640);
  const train::HyperParams hp = two_epochs();
  const auto arch = natsbench::lookup_arch(Space::Topology, "11");
  model::CellNetwork plain = seeded_network(arch, cuda);
  model::CellNetwork fast = seeded_network(arch, cuda);
  train::FastStepOptions options;
  options.graph = true;
  Trained t = train_both(plain, fast, d, hp, cuda, 64, options);
  // Same kernels (deterministic cuDNN, no TF32) except the rate's extra rounding: after 20 steps
  // the weights agree to 1e-4 relative; a rate stuck at 0.1 in the second epoch moves them ~1e-2.
  const auto a = state_of(plain), b = state_of(fast);
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!a[i].is_floating_point()) {
      CHECK(at::equal(a[i], b[i]));  // num_batches_tracked: every step ran once
      continue;
    }
    INFO("tensor " << i << " max |difference| " << (a[i] - b[i]).abs().max().item<double>());
    CHECK(at::allclose(a[i], b[i], 1e-4, 1e-5));
  }
  for (std::size_t e = 0; e < t.plain.size(); ++e) {
    CHECK(t.plain[e].size == t.fast[e].size);
    for (std::size_t i = 0; i < t.plain[e].loss.size(); ++i)
      CHECK(std::abs(t.plain[e].loss[i] - t.fast[e].loss[i]) <=
            1e-4 * std::abs(t.plain[e].loss[i]));
  }

  // Evaluation: the captured graph against evaluate() on the same weights.
  auto loader = data::make_eval_loader(d, "ori-test", cuda, 1, 64);
  const train::EpochMetrics want = train::evaluate(fast, *loader, cuda, loader->size());
  const c10::Stream stream = train::side_stream(cuda);
  train::EpochMetrics got;
  {
    train::StreamScope scope(stream);
    train::FastEvalStep step(fast, cuda, 64, loader->size(), options);
    for (std::int64_t i = 0; i < loader->size(); ++i) step.step(loader->get(i));
    CHECK(step.captured());
    got = train::combine(step.read(), 0);
  }
  CHECK(got.images == want.images);
  CHECK(std::abs(got.loss - want.loss) <= 1e-5 * std::abs(want.loss));
  CHECK(std::abs(got.top1 - want.top1) <= 100.0 / 640);  // at most one image (a near tie)
}
