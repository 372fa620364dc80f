// Built only against a CUDA LibTorch (CMakeLists.txt: NATSBENCH_WITH_CUDA).
#include "natsbench/train/cuda_graph.h"

#include <ATen/cuda/CUDAGraph.h>
#include <c10/core/StreamGuard.h>
#include <c10/cuda/CUDAStream.h>

#include "natsbench/util/error.h"

namespace natsbench::train {

bool cuda_graphs_built() {
  return true;
}

c10::Stream side_stream(const c10::Device& device) {
  if (!device.is_cuda()) return c10::Stream(c10::Stream::DEFAULT, device);
  const c10::DeviceIndex index = device.has_index() ? device.index() : c10::DeviceIndex(0);
  return c10::cuda::getStreamFromPool(/*isHighPriority=*/false, index).unwrap();
}

struct StreamScope::Impl {
  c10::OptionalStreamGuard guard;
};

StreamScope::StreamScope(const c10::Stream& stream) : impl_(std::make_unique<Impl>()) {
  if (stream.device().is_cuda()) impl_->guard.reset_stream(stream);
}

StreamScope::~StreamScope() = default;

struct CapturedGraph::Impl {
  at::cuda::CUDAGraph graph;
};

CapturedGraph::CapturedGraph(const std::function<void()>& body) : impl_(std::make_unique<Impl>()) {
  const c10::cuda::CUDAStream stream = c10::cuda::getCurrentCUDAStream();
  if (stream == c10::cuda::getDefaultCUDAStream(stream.device_index()))
    throw Error("CUDA graph capture needs a side stream, not the default stream");
  const auto failed = [](const std::exception& e) {
    return Error(std::string("CUDA graph capture failed (") + e.what() +
                 "); --no-graph runs every step eagerly");
  };
  impl_->graph.capture_begin();
  try {
    body();
  } catch (const std::exception& e) {
    // Ends the capture so the stream is usable again; the graph is discarded.
    try {
      impl_->graph.capture_end();
    } catch (...) {
    }
    throw failed(e);
  }
  try {
    impl_->graph.capture_end();
  } catch (const std::exception& e) {
    throw failed(e);
  }
}

CapturedGraph::~CapturedGraph() = default;

void CapturedGraph::replay() {
  impl_->graph.replay();
}

}  // namespace natsbench::train
