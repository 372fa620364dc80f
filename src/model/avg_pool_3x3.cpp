#include "natsbench/model/avg_pool_3x3.h"

#include <algorithm>
#include <vector>

#include <ATen/Parallel.h>
#include <torch/torch.h>

namespace natsbench::model {

namespace {

// The number of in-image elements of the window of output (h, w).
inline float window_count(std::int64_t h, std::int64_t w, std::int64_t height, std::int64_t width) {
  const auto rows = std::min(h + 2, height) - std::max<std::int64_t>(h - 1, 0);
  const auto cols = std::min(w + 2, width) - std::max<std::int64_t>(w - 1, 0);
  return static_cast<float>(rows * cols);
}

// out[h][w] = the window's elements added one by one from 0, in row-major order (ATen's order);
// divided by the window's count when `divide`. The interior columns run as one loop over the
// row, each element with its own additions in the same order.
template <bool divide>
void window_sums(const float* __restrict in, float* __restrict out, std::int64_t height,
                 std::int64_t width) {
  for (std::int64_t h = 0; h < height; ++h) {
    const std::int64_t r0 = std::max<std::int64_t>(h - 1, 0), r1 = std::min(h + 2, height);
    float* __restrict o = out + h * width;
    auto one = [&](std::int64_t w) {
      const std::int64_t c0 = std::max<std::int64_t>(w - 1, 0), c1 = std::min(w + 2, width);
      float sum = 0;
      for (std::int64_t r = r0; r < r1; ++r) {
        for (std::int64_t c = c0; c < c1; ++c) sum += in[r * width + c];
      }
      o[w] = divide ? 0.0f + sum / window_count(h, w, height, width) : sum;
    };
    if (width < 3) {
      for (std::int64_t w = 0; w < width; ++w) one(w);
      continue;
    }
    one(0);
    for (std::int64_t w = 1; w < width - 1; ++w) o[w] = 0.0f;
    for (std::int64_t r = r0; r < r1; ++r) {
      const float* __restrict row = in + r * width;
      for (std::int64_t w = 1; w < width - 1; ++w)
        o[w] = ((o[w] + row[w - 1]) + row[w]) + row[w + 1];
    }
    if (divide) {
      const auto count = static_cast<float>((r1 - r0) * 3);
      for (std::int64_t w = 1; w < width - 1; ++w) o[w] = 0.0f + o[w] / count;
    }
    one(width - 1);
  }
}

bool fast_path(const at::Tensor& t) {
  return t.device().is_cpu() && t.scalar_type() == at::kFloat && t.dim() == 4;
}

// out = plane_op(in) for every (image, channel) plane of a contiguous copy of `input`, with
// plane_op(in, out, height, width), in parallel over the planes.
template <typename PlaneOp>
at::Tensor map_planes(const at::Tensor& input, PlaneOp plane_op) {
  const auto x = input.contiguous();
  auto out = at::empty_like(x, at::MemoryFormat::Contiguous);
  const auto height = x.size(2), width = x.size(3), plane = height * width;
  const float* in = x.data_ptr<float>();
  float* o = out.data_ptr<float>();
  at::parallel_for(0, x.size(0) * x.size(1), 1, [&](std::int64_t begin, std::int64_t end) {
    for (auto p = begin; p < end; ++p) plane_op(in + p * plane, o + p * plane, height, width);
  });
  return out;
}

at::Tensor pool_forward(const at::Tensor& input) {
  return map_planes(input, window_sums<true>);
}

// ATen's backward adds grad_output / count of every output to each element of its window,
// outputs in row-major order: for stride 1, pad 1 that is the forward's window sum over the
// quotients.
at::Tensor pool_backward(const at::Tensor& grad_output) {
  return map_planes(
      grad_output, [](const float* g, float* out, std::int64_t height, std::int64_t width) {
        std::vector<float> quotients(static_cast<std::size_t>(height * width));
        for (std::int64_t h = 0; h < height; ++h) {
          for (std::int64_t w = 0; w < width; ++w) {
            quotients[h * width + w] = g[h * width + w] / window_count(h, w, height, width);
          }
        }
        window_sums<false>(quotients.data(), out, height, width);
      });
}

struct AvgPool3x3Function : public torch::autograd::Function<AvgPool3x3Function> {
  static at::Tensor forward(torch::autograd::AutogradContext* /*ctx*/, const at::Tensor& x) {
    return pool_forward(x);
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* /*ctx*/,
                                                 torch::autograd::variable_list grads) {
    return {pool_backward(grads[0])};
  }
};

}  // namespace

at::Tensor avg_pool_3x3(const at::Tensor& x) {
  if (!fast_path(x)) {
    return torch::avg_pool2d(x, 3, 1, 1, /*ceil_mode=*/false, /*count_include_pad=*/false);
  }
  return AvgPool3x3Function::apply(x);
}

}  // namespace natsbench::model
