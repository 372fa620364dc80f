// Built against a CPU-only LibTorch (CMakeLists.txt: NATSBENCH_WITH_CUDA off): no CUDA device
// exists, so only the CPU paths can be reached; CUDA requests fail with one clear message.
#include "natsbench/train/cuda_graph.h"

#include "natsbench/util/error.h"

namespace natsbench::train {

namespace {
[[noreturn]] void no_cuda(const char* what) {
  throw Error(std::string(what) +
              " needs a build against a CUDA LibTorch (scripts/build-cuda.sh); this one is "
              "CPU-only");
}
}  // namespace

bool cuda_graphs_built() {
  return false;
}

c10::Stream side_stream(const c10::Device& device) {
  if (device.is_cuda()) no_cuda("a CUDA stream");
  return c10::Stream(c10::Stream::DEFAULT, device);
}

struct StreamScope::Impl {};

StreamScope::StreamScope(const c10::Stream& stream) {
  if (stream.device().is_cuda()) no_cuda("a CUDA stream");
}

StreamScope::~StreamScope() = default;

struct CapturedGraph::Impl {};

CapturedGraph::CapturedGraph(const std::function<void()>&) {
  no_cuda("CUDA graph capture");
}

CapturedGraph::~CapturedGraph() = default;

void CapturedGraph::replay() {
  no_cuda("CUDA graph replay");
}

}  // namespace natsbench::train
