#pragma once
// SGD with momentum, dampening, Nesterov and weight decay (docs/training.md §5.5) as tensor ops
// that a CUDA graph can capture: the same ops, in the same order and with the same scalar
// arguments, as torch::optim::SGD::step() of LibTorch 1.13 and 2.x, so that on the CPU the two
// produce the same bits. What torch::optim::SGD does that a graph cannot replay:
//  - the momentum buffer is created (a clone of the first step's update) inside step(): here the
//    first step must run eagerly, after which the buffers keep their storage;
//  - zero_grad() of LibTorch 2.x drops the gradients (set_to_none): here they are zeroed in
//    place, so the graph's gradient addresses stay valid (zero + g = g, only the sign of a zero
//    gradient can differ, and it cannot reach a parameter: see graph_safe_sgd.cpp);
//  - the learning rate is a host double: with LrSource::Device it is read from a device tensor,
//    so the captured step follows the schedule when set_lr() changes it between epochs.
#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <vector>

namespace torch::optim {
class SGD;
}

namespace natsbench::train {

struct HyperParams;

// Where step() takes the learning rate from. Host: p.add_(d, -lr), exactly torch::optim::SGD's
// last op. Device: p.addcmul_(d, t) with t a float32 device tensor holding -lr, which a graph can
// replay with a new rate. Both compute p + (-lr) * d; whether each kernel fuses the multiply-add
// depends on how LibTorch was compiled. Debian's 1.13 on an AVX2 CPU fuses both (the bits agree,
// tests/train); LibTorch 2.x's CUDA addcmul calls fma(d, t, p) explicitly for value 1, and its add
// is `self + alpha * other` left to nvcc's contraction, so equal bits are expected but only a
// tolerance is tested on a GPU.
enum class LrSource { Host, Device };

class GraphSafeSgd {
 public:
  // Optimises every tensor of `params` (docs/training.md §5.5: all parameters, no exclusions).
  GraphSafeSgd(std::vector<at::Tensor> params, const HyperParams& hp, const c10::Device& device,
               LrSource lr_source);

  // Host: takes effect at the next step(). Device: fills the rate tensor on the current stream
  // (no synchronisation); call it between steps or graph replays, not inside a capture.
  void set_lr(double lr);
  double lr() const { return lr_; }
  LrSource lr_source() const { return lr_source_; }

  // Zeroes every defined gradient in place (capturable).
  void zero_grad();
  // One update of every parameter that has a gradient. The first update of a parameter creates
  // its momentum buffer and must run eagerly; later ones are capturable.
  void step();
  // Every parameter with a gradient has its momentum buffer (or there is no momentum): the
  // following steps do only capturable work.
  bool ready_for_capture() const;

  // The momentum buffers as torch::optim::SGD keeps them (checkpoints use its format): save_to
  // replaces `sgd`'s state for these parameters and sets its rate; load_from copies its buffers
  // (parameters without one start afresh at their next step). `sgd` must optimise the same
  // parameter tensors.
  void save_to(torch::optim::SGD& sgd) const;
  void load_from(torch::optim::SGD& sgd);

  const std::vector<at::Tensor>& params() const { return params_; }
  const std::vector<at::Tensor>& momentum_buffers() const { return buffers_; }

 private:
  std::vector<at::Tensor> params_, buffers_;  // buffers_[i] undefined until p's first step
  double momentum_, dampening_, weight_decay_;
  bool nesterov_;
  double lr_;
  LrSource lr_source_;
  at::Tensor neg_lr_;  // LrSource::Device: 0-dim float32 on the device, -lr
};

}  // namespace natsbench::train
