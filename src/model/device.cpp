#include "natsbench/model/device.h"

#include <torch/cuda.h>

#include <string>

#include "natsbench/util/error.h"

namespace natsbench::model {

c10::Device parse_device(std::string_view text) {
  const std::string name(text);
  const auto expected = "device '" + name + "': expected cpu, cuda or cuda:N";
  if (name != "cpu" && name.rfind("cuda", 0) != 0) throw ArgError(expected);
  c10::Device device(c10::kCPU);
  try {
    device = c10::Device(name);
  } catch (const c10::Error&) {
    throw ArgError(expected);
  }
  if (device.is_cuda()) {
    if (!torch::cuda::is_available()) {
      throw ArgError("device '" + name + "': CUDA is not available (" +
#ifdef NATSBENCH_WITH_CUDA
                     "no GPU is visible"
#else
                     "this build links a CPU-only LibTorch; rebuild against a CUDA LibTorch"
#endif
                     + ")");
    }
    if (device.has_index() && device.index() >= static_cast<int>(torch::cuda::device_count())) {
      throw ArgError("device '" + name + "': only " + std::to_string(torch::cuda::device_count()) +
                     " CUDA device(s) visible");
    }
  }
  return device;
}

void synchronize(const c10::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.has_index() ? device.index() : -1);
}

}  // namespace natsbench::model
