// CUDA-event timing; built only with a CUDA libtorch.
#include <ATen/cuda/CUDAContext.h>
#include <ATen/cuda/CUDAEvent.h>
#include <c10/cuda/CUDAGuard.h>

#include "bench/device_timer.h"

namespace lq {

double time_on_cuda(const std::string& device, const std::function<void()>& work) {
  c10::Device dev(device);
  c10::cuda::CUDAGuard guard(dev.has_index() ? dev.index() : 0);
  at::cuda::CUDAEvent start(cudaEventDefault), stop(cudaEventDefault);
  auto stream = at::cuda::getCurrentCUDAStream();
  stream.synchronize();
  start.record(stream);
  work();
  stop.record(at::cuda::getCurrentCUDAStream());
  stop.synchronize();
  return static_cast<double>(start.elapsed_time(stop)) / 1000.0;
}

}  // namespace lq
