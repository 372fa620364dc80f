#pragma once
// avg_pool_3x3 (stride 1, pad 1, averages over in-image elements only) with its gradient.
//
// On the CPU, for contiguous float tensors, this computes every output (and every gradient
// element) with the same float operations in the same order as ATen's CPU kernels
// (avg_pool2d / avg_pool2d_backward with count_include_pad=false), so the results are bit-equal,
// but over whole rows at a time, which the compiler vectorises: ATen's kernels do one element
// per loop step, and were a third of a weight-sharing search step's time on the CPU.
// Elsewhere (CUDA, other dtypes) it is torch::avg_pool2d.
//
// tests/model/avg_pool_3x3_test.cpp checks the equality.
#include <ATen/core/Tensor.h>

namespace natsbench::model {

at::Tensor avg_pool_3x3(const at::Tensor& x);

}  // namespace natsbench::model
