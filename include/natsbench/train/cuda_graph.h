#pragma once
// CUDA streams and CUDA graph capture behind an interface that compiles without CUDA headers. The
// implementation (src/train/cuda_graph.cpp) is built only against a CUDA LibTorch; other builds
// link src/train/cuda_graph_stub.cpp, whose functions report that the build lacks CUDA.
#include <c10/core/Device.h>
#include <c10/core/Stream.h>

#include <functional>
#include <memory>

namespace natsbench::train {

// True when this binary links a CUDA LibTorch (graphs and side streams can be used).
bool cuda_graphs_built();

// A stream of its own from LibTorch's pool on a CUDA device, so that concurrent runs overlap and
// graph capture (which refuses the default stream) has a stream to record; on the CPU, the
// default stream. Throws Error for a CUDA device in a build without CUDA.
c10::Stream side_stream(const c10::Device& device);

// Makes `stream` current on its device for the scope's lifetime (nothing on the CPU).
class StreamScope {
 public:
  explicit StreamScope(const c10::Stream& stream);
  ~StreamScope();
  StreamScope(const StreamScope&) = delete;
  StreamScope& operator=(const StreamScope&) = delete;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The kernels `body` launches on the current stream (a non-default CUDA stream), recorded once and
// replayed with one launch. Nothing runs during capture: the recorded work runs on replay().
// Tensors `body` reads or writes must keep their storage for the graph's lifetime; temporaries
// come from the graph's private memory pool.
class CapturedGraph {
 public:
  explicit CapturedGraph(const std::function<void()>& body);
  ~CapturedGraph();
  CapturedGraph(const CapturedGraph&) = delete;
  CapturedGraph& operator=(const CapturedGraph&) = delete;
  void replay();  // on the current stream

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace natsbench::train
