#pragma once
// The candidate operations and blocks of the NATS-Bench networks (docs/networks.md §2.2, §3.2).
// Submodule names reproduce the reference state-dict keys (§2.4).
#include <torch/nn/module.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/any.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/pooling.h>
#include <torch/nn/pimpl.h>

#include "natsbench/space/topology.h"

namespace natsbench::model {

// ReLU -> Conv2d -> BN, registered as one Sequential `op` so the conv is `op.1` and the BN is
// `op.2`. The ReLU is not in-place: node tensors are shared by several edges. `affine` false (the
// search supernets): a BN without weights or running statistics, always normalising with the
// batch's, and a conv with a bias (the reference's `bias = not affine`).
class ReLUConvBNImpl : public torch::nn::Module {
 public:
  ReLUConvBNImpl(int in_channels, int out_channels, int kernel, int stride, int padding,
                 bool affine = true);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Sequential op_;
  torch::nn::Conv2d conv_{nullptr};
  torch::nn::BatchNorm2d bn_{nullptr};
};
TORCH_MODULE(ReLUConvBN);

// `none`: input * 0.0 (not fresh zeros: NaN/Inf propagate, negatives give -0.0, as the reference).
class ZeroImpl : public torch::nn::Module {
 public:
  torch::Tensor forward(const torch::Tensor& x) { return x.mul(0.0); }
};
TORCH_MODULE(Zero);

// `skip_connect` with equal widths and stride 1: the input tensor itself.
class IdentityImpl : public torch::nn::Module {
 public:
  torch::Tensor forward(const torch::Tensor& x) { return x; }
};
TORCH_MODULE(Identity);

// `avg_pool_3x3`: stride 1, pad 1, border averages over in-image elements only.
class AvgPool3x3Impl : public torch::nn::Module {
 public:
  AvgPool3x3Impl();
  torch::Tensor forward(const torch::Tensor& x);  // model/avg_pool_3x3.h
};
TORCH_MODULE(AvgPool3x3);

// `skip_connect` between different widths (sss only): 1x1 conv -> BN, stride 1, and no ReLU
// although a `relu` submodule is registered (the reference owns one and never applies it).
class FactorizedReduceImpl : public torch::nn::Module {
 public:
  FactorizedReduceImpl(int in_channels, int out_channels);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::ReLU relu_{nullptr};
  torch::nn::Conv2d conv_{nullptr};
  torch::nn::BatchNorm2d bn_{nullptr};
};
TORCH_MODULE(FactorizedReduce);

// The stride-2 residual block between stages:
// out = downsample(x) + conv_b(conv_a(x)), downsample = AvgPool 2x2 -> Conv 1x1 (no ReLU, no BN).
class ResNetBasicblockImpl : public torch::nn::Module {
 public:
  ResNetBasicblockImpl(int in_channels, int out_channels);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  ReLUConvBN conv_a_{nullptr};
  ReLUConvBN conv_b_{nullptr};
  torch::nn::Sequential downsample_;
  torch::nn::AvgPool2d pool_{nullptr};
  torch::nn::Conv2d conv_{nullptr};
};
TORCH_MODULE(ResNetBasicblock);

// The module for one edge op of a cell, mapping in_channels -> out_channels at stride 1.
torch::nn::AnyModule make_edge_op(Op op, int in_channels, int out_channels);

}  // namespace natsbench::model
