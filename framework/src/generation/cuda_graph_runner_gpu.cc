#include <ATen/cuda/CUDAEvent.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include "generation/cuda_graph_runner.h"

namespace lq {

struct CudaGraphRunner::State {
  explicit State(c10::Device device)
      : device(device), stream(c10::cuda::getStreamFromPool(/*isHighPriority=*/false, device.index())) {}
  c10::Device device;
  c10::cuda::CUDAStream stream;
  at::cuda::CUDAEvent ready, done;
  at::cuda::CUDAGraph graph;
  bool captured = false;
};

void CudaGraphRunner::on_private_stream(const std::function<void()>& body) {
  State& s = *state_;
  c10::cuda::CUDAGuard device_guard(s.device);
  c10::cuda::CUDAStream caller = c10::cuda::getCurrentCUDAStream(s.device.index());
  s.ready.record(caller);
  s.ready.block(s.stream);
  {
    c10::cuda::CUDAStreamGuard stream_guard(s.stream);
    body();
  }
  s.done.record(s.stream);
  s.done.block(caller);
}

CudaGraphRunner::CudaGraphRunner(c10::Device device)
    : state_(std::make_unique<State>(device.has_index() ? device : c10::Device(device.type(), 0))) {}

CudaGraphRunner::~CudaGraphRunner() = default;

void CudaGraphRunner::run(const std::function<void()>& work) { on_private_stream(work); }

void CudaGraphRunner::capture(const std::function<void()>& work) {
  on_private_stream([&] {
    state_->graph.capture_begin();
    try {
      work();
    } catch (...) {
      state_->graph.capture_end();  // leave the stream usable; the error is the caller's to report
      throw;
    }
    state_->graph.capture_end();
  });
  state_->captured = true;
}

void CudaGraphRunner::replay() {
  on_private_stream([&] { state_->graph.replay(); });
}

bool CudaGraphRunner::captured() const { return state_->captured; }

}  // namespace lq
