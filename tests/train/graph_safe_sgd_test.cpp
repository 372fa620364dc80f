// GraphSafeSgd against torch::optim::SGD (docs/training.md §5.5): the same bits with the rate on
// the host, a stated tolerance with the rate in a device tensor, and the state converted both ways.
#include <ATen/ATen.h>
#include <torch/torch.h>

#include <catch2/catch.hpp>

#include "natsbench/train/graph_safe_sgd.h"
#include "natsbench/train/hyper_params.h"
#include "natsbench/train/trainer.h"

namespace train = natsbench::train;

namespace {

// Parameters of several shapes, one of which never gets a gradient (an edge no path uses).
std::vector<at::Tensor> make_params(std::uint64_t seed) {
  at::Generator gen = at::detail::createCPUGenerator(seed);
  std::vector<at::Tensor> params;
  for (const auto& shape : std::vector<std::vector<std::int64_t>>{{8, 3, 3, 3}, {8}, {10, 8}, {5}})
    params.push_back(at::randn(shape, gen).requires_grad_(true));
  return params;
}

std::unique_ptr<torch::optim::SGD> plain_sgd(const std::vector<at::Tensor>& params,
                                             const train::HyperParams& hp) {
  return std::make_unique<torch::optim::SGD>(params, torch::optim::SGDOptions(hp.lr)
                                                         .momentum(hp.momentum)
                                                         .dampening(0)
                                                         .weight_decay(hp.weight_decay)
                                                         .nesterov(hp.nesterov));
}

// Gradients of step `step` (the last parameter never gets one); a zero and a -0.0 included.
void set_grads(std::vector<at::Tensor>& params, int step) {
  at::Generator gen = at::detail::createCPUGenerator(100 + step);
  for (std::size_t i = 0; i + 1 < params.size(); ++i) {
    at::Tensor g = at::randn(params[i].sizes(), gen);
    g.view(-1)[0] = 0.0;
    g.view(-1)[1] = -0.0;
    params[i].mutable_grad() = g;
  }
}

std::vector<at::Tensor> values(const std::vector<at::Tensor>& params) {
  std::vector<at::Tensor> out;
  for (const auto& p : params) out.push_back(p.detach().clone());
  return out;
}

double max_abs_diff(const std::vector<at::Tensor>& a, const std::vector<at::Tensor>& b) {
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    m = std::max(m, (a[i] - b[i]).abs().max().item<double>());
  return m;
}

bool all_equal(const std::vector<at::Tensor>& a, const std::vector<at::Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!at::equal(a[i], b[i])) return false;
  return true;
}

const double kRates[] = {0.1, 0.1, 0.0975528258147577, 0.0904508497187474, 0.0793892626146237};

}  // namespace

TEST_CASE("GraphSafeSgd with the rate on the host: torch::optim::SGD's bits", "[train]") {
  const train::HyperParams hp = train::load_hyper_params("200");
  auto a = make_params(1), b = make_params(1);
  auto plain = plain_sgd(a, hp);
  train::GraphSafeSgd safe(b, hp, at::kCPU, train::LrSource::Host);
  CHECK(safe.ready_for_capture());  // no gradient yet: no buffer is missing
  for (int step = 0; step < 5; ++step) {
    INFO("step " << step);
    for (auto& g : {&a, &b}) set_grads(*g, step);
    static_cast<torch::optim::SGDOptions&>(plain->param_groups()[0].options()).lr(kRates[step]);
    safe.set_lr(kRates[step]);
    plain->step();
    safe.step();
    CHECK(safe.ready_for_capture());
    CHECK(all_equal(values(a), values(b)));
  }
  // The parameter without a gradient is untouched and has no momentum buffer, as in SGD.
  CHECK(at::equal(b.back().detach(), make_params(1).back()));
  CHECK_FALSE(safe.momentum_buffers().back().defined());
  CHECK(plain->state().size() == a.size() - 1);
  // The buffers are SGD's.
  train::GraphSafeSgd probe(a, hp, at::kCPU, train::LrSource::Host);
  probe.load_from(*plain);
  for (std::size_t i = 0; i + 1 < a.size(); ++i)
    CHECK(at::equal(probe.momentum_buffers()[i], safe.momentum_buffers()[i]));
}

TEST_CASE("GraphSafeSgd zeroes gradients in place and skips missing ones", "[train]") {
  const train::HyperParams hp = train::load_hyper_params("200");
  auto p = make_params(2);
  train::GraphSafeSgd safe(p, hp, at::kCPU, train::LrSource::Host);
  set_grads(p, 0);
  const void* storage = p[0].grad().data_ptr();
  safe.zero_grad();
  CHECK(p[0].grad().data_ptr() == storage);  // a captured graph keeps reading this memory
  CHECK(p[0].grad().abs().sum().item<double>() == 0);
  CHECK_FALSE(p.back().grad().defined());
  CHECK_FALSE(safe.ready_for_capture());  // gradients exist, buffers not yet
}

TEST_CASE("GraphSafeSgd with the rate in a device tensor: within 1e-6 of SGD, follows set_lr",
          "[train]") {
  const train::HyperParams hp = train::load_hyper_params("200");
  auto a = make_params(3), b = make_params(3);
  auto plain = plain_sgd(a, hp);
  train::GraphSafeSgd safe(b, hp, at::kCPU, train::LrSource::Device);
  for (int step = 0; step < 5; ++step) {
    for (auto& g : {&a, &b}) set_grads(*g, step);
    static_cast<torch::optim::SGDOptions&>(plain->param_groups()[0].options()).lr(kRates[step]);
    safe.set_lr(kRates[step]);
    plain->step();
    safe.step();
  }
  // Where both kernels fuse the multiply-add (AVX2 CPUs with Debian's LibTorch 1.13) the bits
  // agree; without fusion the parameters (|p| ~ 1..4) differ by a few float32 ulps at most.
  const double diff = max_abs_diff(values(a), values(b));
  INFO("max |difference| " << diff);
  CHECK(diff <= 1e-6);
  // A rate that did not follow set_lr() would be off by ~1e-2 after these steps.
  auto c = make_params(3);
  train::GraphSafeSgd stale(c, hp, at::kCPU, train::LrSource::Device);
  for (int step = 0; step < 5; ++step) {
    set_grads(c, step);
    stale.step();
  }
  CHECK(max_abs_diff(values(a), values(c)) > 1e-3);
}

TEST_CASE("GraphSafeSgd state converts to and from torch::optim::SGD (checkpoints)", "[train]") {
  const train::HyperParams hp = train::load_hyper_params("200");
  // Reference: five steps of SGD.
  auto ref = make_params(4);
  auto ref_sgd = plain_sgd(ref, hp);
  for (int step = 0; step < 5; ++step) {
    set_grads(ref, step);
    ref_sgd->step();
  }
  SECTION("three graph-safe steps, saved into SGD, two SGD steps") {
    auto p = make_params(4);
    train::GraphSafeSgd safe(p, hp, at::kCPU, train::LrSource::Host);
    for (int step = 0; step < 3; ++step) {
      set_grads(p, step);
      safe.step();
    }
    auto sgd = plain_sgd(p, hp);
    safe.save_to(*sgd);
    for (int step = 3; step < 5; ++step) {
      set_grads(p, step);
      sgd->step();
    }
    CHECK(all_equal(values(p), values(ref)));
  }
  SECTION("three SGD steps, loaded from SGD, two graph-safe steps") {
    auto p = make_params(4);
    auto sgd = plain_sgd(p, hp);
    for (int step = 0; step < 3; ++step) {
      set_grads(p, step);
      sgd->step();
    }
    train::GraphSafeSgd safe(p, hp, at::kCPU, train::LrSource::Host);
    safe.load_from(*sgd);
    CHECK(safe.ready_for_capture());
    for (int step = 3; step < 5; ++step) {
      set_grads(p, step);
      safe.step();
    }
    CHECK(all_equal(values(p), values(ref)));
  }
}
