#pragma once
#include <string_view>

#include <c10/core/Device.h>

namespace natsbench::model {

// "cpu", "cuda" or "cuda:N". Throws ArgError when the text is malformed or CUDA is unavailable.
c10::Device parse_device(std::string_view text);

// Blocks until queued work on `device` has finished (no-op on the CPU).
void synchronize(const c10::Device& device);

}  // namespace natsbench::model
