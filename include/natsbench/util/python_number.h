#pragma once
// A Python number as torch's Python bindings hand it to an arithmetic op: a 0-dim "wrapped
// number" tensor, which selects the op's Tensor overload (mul.Tensor, not mul.Scalar). The two
// overloads have different autograd formulas whose backward passes can round differently, so
// code that mirrors the reference's `x * 1e-4` or `loss / 20` bit for bit, gradients included,
// writes torch::mul(x, python_number(1e-4)).
#include <ATen/ScalarOps.h>

namespace natsbench {

inline at::Tensor python_number(const c10::Scalar& value) {
  return at::native::wrapped_scalar_tensor(value);
}

}  // namespace natsbench
