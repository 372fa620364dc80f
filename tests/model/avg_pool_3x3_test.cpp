// avg_pool_3x3 == ATen's avg_pool2d(3, 1, 1, count_include_pad=false), forward and gradient,
// bit for bit on the CPU (model/avg_pool_3x3.h).
#include <torch/torch.h>
#include <catch2/catch.hpp>

#include "natsbench/model/avg_pool_3x3.h"

using natsbench::model::avg_pool_3x3;

namespace {

std::pair<torch::Tensor, torch::Tensor> reference_pass(const torch::Tensor& x,
                                                       const torch::Tensor& grad) {
  auto input = x.detach().clone().requires_grad_(true);
  auto out = torch::avg_pool2d(input, 3, 1, 1, false, false);
  out.backward(grad);
  return {out.detach(), input.grad()};
}

std::pair<torch::Tensor, torch::Tensor> our_pass(const torch::Tensor& x,
                                                 const torch::Tensor& grad) {
  auto input = x.detach().clone().requires_grad_(true);
  auto out = avg_pool_3x3(input);
  out.backward(grad);
  return {out.detach(), input.grad()};
}

}  // namespace

TEST_CASE("avg_pool_3x3 equals ATen's avg_pool2d bit for bit, gradient included") {
  torch::manual_seed(3);
  // Interior and border columns, narrow planes (width 1 and 2), odd sizes, large magnitudes
  // (where a different addition order would show).
  for (const auto& shape : std::vector<std::vector<std::int64_t>>{
           {2, 3, 8, 8}, {4, 16, 32, 32}, {1, 2, 1, 1}, {1, 2, 2, 5}, {2, 1, 7, 2}, {1, 3, 5, 9}}) {
    const auto x = torch::randn(shape) * torch::exp(4 * torch::randn(shape));
    const auto grad = torch::randn(shape) * 1e3;
    const auto [expected_out, expected_grad] = reference_pass(x, grad);
    const auto [out, input_grad] = our_pass(x, grad);
    INFO("shape " << torch::IntArrayRef(shape));
    CHECK(torch::equal(out, expected_out));
    CHECK(torch::equal(input_grad, expected_grad));
  }
}

TEST_CASE("avg_pool_3x3 takes non-contiguous inputs and other dtypes") {
  torch::manual_seed(4);
  const auto x = torch::randn({2, 6, 9, 9}).transpose(2, 3);
  CHECK(torch::equal(avg_pool_3x3(x), torch::avg_pool2d(x, 3, 1, 1, false, false)));
  const auto d = torch::randn({1, 2, 6, 6}, torch::kDouble);
  CHECK(torch::equal(avg_pool_3x3(d), torch::avg_pool2d(d, 3, 1, 1, false, false)));
}
