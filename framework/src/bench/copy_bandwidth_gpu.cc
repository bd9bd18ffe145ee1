// The copy-rate measurement on CUDA; built only with a CUDA libtorch. Raw cudaMalloc, not libtorch's
// allocator, so that the experiment's peak-memory figures never see the 512 MiB.
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>
#include <cuda_runtime_api.h>

#include <algorithm>
#include <vector>

#include "bench/copy_bandwidth.h"
#include "bench/device_timer.h"

namespace lq {

std::optional<double> cuda_copy_bytes_per_s(const std::string& device) {
  constexpr size_t kBytes = size_t{256} << 20;
  constexpr int kWarmup = 2, kRuns = 5;
  const c10::Device d(device);
  c10::cuda::CUDAGuard guard(d.has_index() ? d.index() : 0);
  void *src = nullptr, *dst = nullptr;
  if (cudaMalloc(&src, kBytes) != cudaSuccess || cudaMalloc(&dst, kBytes) != cudaSuccess) {
    cudaFree(src);
    cudaGetLastError();  // the failed allocation's error is not the next kernel's
    return std::nullopt;
  }
  std::optional<double> rate;
  if (cudaMemset(src, 0x5a, kBytes) == cudaSuccess) {
    const cudaStream_t stream = at::cuda::getCurrentCUDAStream().stream();
    std::vector<double> seconds;
    for (int i = 0; i < kWarmup + kRuns; ++i) {
      const double s =
          time_on_cuda(device, [&] { cudaMemcpyAsync(dst, src, kBytes, cudaMemcpyDeviceToDevice, stream); });
      if (i >= kWarmup) seconds.push_back(s);
    }
    std::sort(seconds.begin(), seconds.end());
    if (cudaGetLastError() == cudaSuccess && seconds[kRuns / 2] > 0) rate = 2.0 * kBytes / seconds[kRuns / 2];
  }
  cudaFree(src);
  cudaFree(dst);
  return rate;
}

}  // namespace lq
