#include "natsbench/model/ops.h"

#include "natsbench/model/avg_pool_3x3.h"

#include "flop_counter.h"
#include "natsbench/util/error.h"

namespace natsbench::model {

namespace {
torch::nn::Conv2d make_conv(int in_channels, int out_channels, int kernel, int stride, int padding,
                            bool bias = false) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in_channels, out_channels, kernel)
                               .stride(stride)
                               .padding(padding)
                               .bias(bias));
}

torch::nn::BatchNorm2d make_bn(int channels, bool affine = true) {
  return torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(channels)
                                    .eps(1e-5)
                                    .momentum(0.1)
                                    .affine(affine)
                                    .track_running_stats(affine));
}

torch::Tensor run_conv(torch::nn::Conv2d& conv, const torch::Tensor& x) {
  auto y = conv->forward(x);
  FlopCounter::record_conv(conv, y);
  return y;
}
}  // namespace

ReLUConvBNImpl::ReLUConvBNImpl(int in_channels, int out_channels, int kernel, int stride,
                               int padding, bool affine) {
  conv_ = make_conv(in_channels, out_channels, kernel, stride, padding, /*bias=*/!affine);
  bn_ = make_bn(out_channels, affine);
  op_ = register_module("op", torch::nn::Sequential(torch::nn::ReLU(), conv_, bn_));
}

torch::Tensor ReLUConvBNImpl::forward(const torch::Tensor& x) {
  return bn_->forward(run_conv(conv_, torch::relu(x)));
}

AvgPool3x3Impl::AvgPool3x3Impl() {
  // The reference's submodule, for the module tree (it owns no tensors); forward runs
  // avg_pool_3x3, which computes the same numbers faster on the CPU.
  register_module(
      "op", torch::nn::AvgPool2d(
                torch::nn::AvgPool2dOptions(3).stride(1).padding(1).count_include_pad(false)));
}

torch::Tensor AvgPool3x3Impl::forward(const torch::Tensor& x) {
  return avg_pool_3x3(x);
}

FactorizedReduceImpl::FactorizedReduceImpl(int in_channels, int out_channels) {
  relu_ = register_module("relu", torch::nn::ReLU());
  conv_ = register_module("conv", make_conv(in_channels, out_channels, 1, 1, 0));
  bn_ = register_module("bn", make_bn(out_channels));
}

torch::Tensor FactorizedReduceImpl::forward(const torch::Tensor& x) {
  return bn_->forward(run_conv(conv_, x));
}

ResNetBasicblockImpl::ResNetBasicblockImpl(int in_channels, int out_channels) {
  conv_a_ = register_module("conv_a", ReLUConvBN(in_channels, out_channels, 3, 2, 1));
  conv_b_ = register_module("conv_b", ReLUConvBN(out_channels, out_channels, 3, 1, 1));
  pool_ = torch::nn::AvgPool2d(torch::nn::AvgPool2dOptions(2).stride(2).padding(0));
  conv_ = make_conv(in_channels, out_channels, 1, 1, 0);
  downsample_ = register_module("downsample", torch::nn::Sequential(pool_, conv_));
}

torch::Tensor ResNetBasicblockImpl::forward(const torch::Tensor& x) {
  auto residual = run_conv(conv_, pool_->forward(x));
  return residual + conv_b_->forward(conv_a_->forward(x));
}

torch::nn::AnyModule make_edge_op(Op op, int in_channels, int out_channels) {
  switch (op) {
    case Op::None:
      return torch::nn::AnyModule(Zero());
    case Op::SkipConnect:
      if (in_channels == out_channels) return torch::nn::AnyModule(Identity());
      return torch::nn::AnyModule(FactorizedReduce(in_channels, out_channels));
    case Op::NorConv1x1:
      return torch::nn::AnyModule(ReLUConvBN(in_channels, out_channels, 1, 1, 0));
    case Op::NorConv3x3:
      return torch::nn::AnyModule(ReLUConvBN(in_channels, out_channels, 3, 1, 1));
    case Op::AvgPool3x3:
      break;
  }
  // Pooling keeps the width; the reference would prepend a 1x1 ReLUConvBN otherwise, which
  // no benchmark cell ever needs.
  if (in_channels != out_channels) {
    throw ArgError("avg_pool_3x3 between different widths (" + std::to_string(in_channels) +
                   " -> " + std::to_string(out_channels) +
                   ") is not part of the NATS-Bench spaces");
  }
  return torch::nn::AnyModule(AvgPool3x3());
}

}  // namespace natsbench::model
