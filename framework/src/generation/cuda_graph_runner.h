// CudaGraphRunner: runs, captures and replays work on a private CUDA stream, ordered after what the
// caller's current stream has queued and before what it queues next (events, no host waits). CUDA
// graphs must be captured off the default stream; keeping eager warm-up, capture and replay on the
// same stream also keeps cuBLAS workspaces and allocator pools on one stream. Built only with a CUDA
// libtorch (cuda_graph_runner_gpu.cc).
#pragma once

#ifdef LQ_HAVE_CUDA

#include <c10/core/Device.h>

#include <functional>
#include <memory>

namespace lq {

class CudaGraphRunner {
 public:
  explicit CudaGraphRunner(c10::Device device);
  ~CudaGraphRunner();
  CudaGraphRunner(const CudaGraphRunner&) = delete;
  CudaGraphRunner& operator=(const CudaGraphRunner&) = delete;

  // Runs `work` eagerly on the private stream.
  void run(const std::function<void()>& work);
  // Records the kernels `work` enqueues into the graph without running them; tensors it allocates
  // live in the graph's private memory pool for as long as the runner.
  void capture(const std::function<void()>& work);
  // Launches the captured graph.
  void replay();
  bool captured() const;

 private:
  struct State;
  // Enqueues `body` on the private stream, ordered after the caller's queued work and before its next.
  void on_private_stream(const std::function<void()>& body);
  std::unique_ptr<State> state_;
};

}  // namespace lq

#endif  // LQ_HAVE_CUDA
