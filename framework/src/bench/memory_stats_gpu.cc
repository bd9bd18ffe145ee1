// CUDA memory statistics; built only with a CUDA libtorch.
#include <ATen/ATen.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <cuda_runtime_api.h>

#include "bench/memory_stats.h"

namespace lq {
namespace {

c10::DeviceIndex index_of(const std::string& device) {
  c10::Device d(device);
  return d.has_index() ? d.index() : 0;
}

}  // namespace

void reset_cuda_peak(const std::string& device) {
  // The allocator learns its devices when CUDA first allocates; before that resetPeakStats throws
  // "Invalid device argument" (an experiment on an explicit --device cuda resets before any CUDA work).
  // One byte on the device initialises it.
  at::empty({1}, at::TensorOptions().dtype(at::kByte).device(at::Device(at::kCUDA, index_of(device))));
  c10::cuda::CUDACachingAllocator::resetPeakStats(index_of(device));
}

json cuda_peak_memory(const std::string& device) {
  c10::DeviceIndex idx = index_of(device);
  // The stats type moved between libtorch versions (c10::cuda:: -> c10::CachingDeviceAllocator::); its
  // layout did not: index 0 of each stat array is the aggregate over pool types.
  auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(idx);
  json out = {{"peak_bytes", stats.allocated_bytes[0].peak},
              {"reserved_peak_bytes", stats.reserved_bytes[0].peak},
              {"source", "cuda_caching_allocator"}};
  size_t free_bytes = 0, total_bytes = 0;
  int previous = 0;
  if (cudaGetDevice(&previous) == cudaSuccess && cudaSetDevice(idx) == cudaSuccess &&
      cudaMemGetInfo(&free_bytes, &total_bytes) == cudaSuccess) {
    out["device_used_bytes"] = static_cast<int64_t>(total_bytes - free_bytes);
    out["device_total_bytes"] = static_cast<int64_t>(total_bytes);
    cudaSetDevice(previous);
  }
  return out;
}

void release_cuda_memory() { c10::cuda::CUDACachingAllocator::emptyCache(); }

}  // namespace lq
