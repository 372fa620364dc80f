#include "natsbench/train/graph_safe_sgd.h"

#include <ATen/ATen.h>
#include <torch/optim/sgd.h>

#include <sstream>
#include <string>
#include <type_traits>

#include "natsbench/train/hyper_params.h"
#include "natsbench/train/optimizer_state.h"
#include "natsbench/util/error.h"

// Gradients zeroed in place instead of dropped (LibTorch 2.x): backward then stores 0 + g instead
// of g, which differs only for g = -0.0 (stored as +0.0). The update's first op is d = g + wd * p
// (a fused multiply-add), and for any p other than -0.0 the sign of a zero g does not change d.

namespace natsbench::train {

GraphSafeSgd::GraphSafeSgd(std::vector<at::Tensor> params, const HyperParams& hp,
                           const c10::Device& device, LrSource lr_source)
    : params_(std::move(params)),
      buffers_(params_.size()),
      momentum_(hp.momentum),
      dampening_(0),
      weight_decay_(hp.weight_decay),
      nesterov_(hp.nesterov),
      lr_(hp.lr),
      lr_source_(lr_source) {
  for (const auto& p : params_) {
    if (p.device() != device)
      throw Error("GraphSafeSgd: a parameter is on " + p.device().str() + ", expected " +
                  device.str());
  }
  if (lr_source_ == LrSource::Device)
    neg_lr_ = at::full({}, -lr_, at::TensorOptions().device(device).dtype(at::kFloat));
}

void GraphSafeSgd::set_lr(double lr) {
  lr_ = lr;
  if (lr_source_ == LrSource::Device) neg_lr_.fill_(-1 * lr);
}

void GraphSafeSgd::zero_grad() {
  for (auto& p : params_) {
    at::Tensor g = p.grad();
    if (g.defined()) g.zero_();
  }
}

bool GraphSafeSgd::ready_for_capture() const {
  if (momentum_ == 0) return true;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    if (params_[i].grad().defined() && !buffers_[i].defined()) return false;
  }
  return true;
}

// torch::optim::SGD::step() (LibTorch 1.13 and 2.x), op for op: the same tensor ops with the same
// scalar arguments, so that the kernels and their rounding are the same.
void GraphSafeSgd::step() {
  at::NoGradGuard no_grad;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const at::Tensor& p = params_[i];
    if (!p.grad().defined()) continue;
    at::Tensor d_p = p.grad().data();
    if (weight_decay_ != 0) d_p = d_p.add(p.data(), weight_decay_);
    if (momentum_ != 0) {
      at::Tensor& buf = buffers_[i];
      if (!buf.defined()) {
        buf = d_p.detach().clone();
      } else {
        buf.mul_(momentum_).add_(d_p, 1 - dampening_);
      }
      d_p = nesterov_ ? d_p.add(buf, momentum_) : buf;
    }
    if (lr_source_ == LrSource::Host) {
      p.data().add_(d_p, -1 * lr_);
    } else {
      p.data().addcmul_(d_p, neg_lr_);
    }
  }
}

void GraphSafeSgd::save_to(torch::optim::SGD& sgd) const {
  auto& state = sgd.state();
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const auto key = optimizer_state_key(state, params_[i]);
    if (!buffers_[i].defined()) {
      state.erase(key);
      continue;
    }
    auto s = std::make_unique<torch::optim::SGDParamState>();
    s->momentum_buffer(buffers_[i].detach().clone());
    state[key] = std::move(s);
  }
  for (auto& group : sgd.param_groups())
    static_cast<torch::optim::SGDOptions&>(group.options()).lr(lr_);
}

void GraphSafeSgd::load_from(torch::optim::SGD& sgd) {
  auto& state = sgd.state();
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const auto it = state.find(optimizer_state_key(state, params_[i]));
    if (it == state.end()) {
      buffers_[i] = at::Tensor();
      continue;
    }
    const at::Tensor& buf =
        static_cast<const torch::optim::SGDParamState&>(*it->second).momentum_buffer();
    if (buffers_[i].defined() && buffers_[i].sizes() == buf.sizes()) {
      buffers_[i].copy_(buf);  // keeps the storage a captured graph may read
    } else {
      buffers_[i] = buf.detach().clone();
    }
  }
}

}  // namespace natsbench::train
