#include "natsbench/model/cost.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>

#include "flop_counter.h"
#include "natsbench/data/registry.h"
#include "natsbench/model/device.h"

namespace natsbench::model {

namespace {
thread_local FlopCounter* active_counter = nullptr;
}

FlopCounter::FlopCounter() : previous_(active_counter) {
  active_counter = this;
}
FlopCounter::~FlopCounter() {
  active_counter = previous_;
}

void FlopCounter::record_conv(const torch::nn::Conv2d& conv, const torch::Tensor& output) {
  if (active_counter == nullptr) return;
  const auto& options = conv->options;
  const auto& kernel = options.kernel_size();
  const std::int64_t batch = output.size(0);
  std::int64_t per_sample = (*kernel)[0] * (*kernel)[1] *
                            (options.in_channels() / options.groups()) * options.out_channels() *
                            output.size(2) * output.size(3);
  if (options.bias()) per_sample += options.out_channels() * output.size(2) * output.size(3);
  active_counter->total_ += per_sample * batch;
}

void FlopCounter::record_linear(const torch::nn::Linear& linear, const torch::Tensor& output) {
  if (active_counter == nullptr) return;
  const auto& options = linear->options;
  const std::int64_t rows = output.numel() / options.out_features();
  active_counter->total_ += rows * (options.in_features() * options.out_features() +
                                    (options.bias() ? options.out_features() : 0));
}

Cost count_cost(CellNetwork& network, int image_size) {
  Cost cost;
  for (const auto& parameter : network->parameters()) cost.param_count += parameter.numel();

  const bool was_training = network->is_training();
  network->eval();
  {
    torch::NoGradGuard no_grad;
    FlopCounter counter;
    // Drawn on the CPU generator like the reference, then moved to the network's device.
    auto input = torch::rand({1, 3, image_size, image_size});
    const auto parameters = network->parameters();
    if (!parameters.empty()) input = input.to(parameters.front().device());
    network->forward(input);
    cost.flop_count = counter.total();  // batch 1: no division needed
  }
  network->train(was_training);
  return cost;
}

double measure_latency(CellNetwork& network, int image_size, const c10::Device& device,
                       int batch_size, int repeats, int warmup) {
  network->to(device);
  network->eval();
  torch::NoGradGuard no_grad;
  const auto input =
      torch::rand({batch_size, 3, image_size, image_size}, torch::TensorOptions().device(device));
  for (int i = 0; i < warmup; ++i) network->forward(input);
  std::vector<double> seconds;
  for (int i = 0; i < std::max(repeats, 1); ++i) {
    synchronize(device);
    const auto start = std::chrono::steady_clock::now();
    network->forward(input);
    synchronize(device);
    seconds.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(seconds.begin(), seconds.end());
  const std::size_t mid = seconds.size() / 2;
  return seconds.size() % 2 == 1 ? seconds[mid] : 0.5 * (seconds[mid - 1] + seconds[mid]);
}

Cost count_cost(const ArchConfig& arch, const data::DatasetInfo& dataset) {
  auto network = make_network(arch, dataset.num_classes);
  return count_cost(network, dataset.side);
}

}  // namespace natsbench::model
