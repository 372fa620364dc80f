#pragma once
// What a run record says about where it ran: natsbench version and commit, LibTorch version,
// the device and its threads, CUDA/cuDNN versions when CUDA is used.
#include <c10/core/Device.h>
#include <nlohmann/json.hpp>

namespace natsbench::train {

nlohmann::json run_environment(const c10::Device& device);
std::string natsbench_version();  // "0.1.0 (commit abc123)"

}  // namespace natsbench::train
