// Chained kernel launches (programmatic dependent launch, compute capability 9.0+), for the framework's
// kernels and a plugin's alike: decode runs some 130 small kernels a token back to back, and chained, each
// kernel's CTAs are resident and its weights on their way into L2 while the kernel before it finishes,
// instead of starting only after it has drained.
//
// A kernel launched with launch_chained() calls let_next_kernel_start() first and
// wait_for_previous_kernel() before it reads anything an earlier kernel wrote or writes anything an earlier
// kernel reads, in every CTA (so that a kernel's completion still implies its predecessors'). Before the
// wait it may only read data that no kernel still running can write: weights (loaded, or prefetch_l2), and
// in the framework's decode kernels what earlier decode steps wrote (a step starts with a plain launch,
// libtorch's embedding gather, which waits for all earlier work; LlamaModel::run). On older devices, or with
// the environment variable LQ_CHAINED_LAUNCHES=0 (to measure what chaining gains), launches are plain and the
// two calls do nothing.
#pragma once

#include <cuda_runtime.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "llama_quant/cuda/device_traits.h"

namespace lq::cuda {

__device__ __forceinline__ void let_next_kernel_start() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
}

__device__ __forceinline__ void wait_for_previous_kernel() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}

// Starts fetching `bytes` (a multiple of 16) from the 16-byte aligned `p` into L2, without waiting.
__device__ __forceinline__ void prefetch_l2(const void* p, uint32_t bytes) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("cp.async.bulk.prefetch.L2.global [%0], %1;" ::"l"(p), "r"(bytes) : "memory");
#endif
}

// Whether launches on `device` are chained (recorded in every result's environment block).
inline bool chained_launches_enabled_on(int device) {
  static const bool allowed = [] {
    const char* env = std::getenv("LQ_CHAINED_LAUNCHES");
    return env == nullptr || std::strcmp(env, "0") != 0;
  }();
  return allowed && device_traits(device).major >= 9;
}

// Whether launches on the current device are chained.
inline bool chained_launches_enabled() {
  int device = 0;
  return cudaGetDevice(&device) == cudaSuccess && chained_launches_enabled_on(device);
}

// The shared-memory carve-out (percent of an SM's shared memory) every chained kernel prefers. One value for
// all: where two consecutive kernels prefer different splits of L1 and shared memory, the SM drains before it
// changes the split, and the second kernel's CTAs wait for the first's instead of starting beside them. 44%
// is sm_90's 100 KB split, the least that holds the largest share a chained kernel asks (bnb4's M = 1 kernel:
// its 64 KB table and x); more shared memory is less L1 (BENCHMARKS.md, session 17: 44% gains 1.1% at NF4
// batch-1 decode on the H100; 100% loses 7%, and 3% in fp16).
inline constexpr int kChainedCarveoutPercent = 44;

// cudaFuncSetAttribute(kKernel, kAttribute, value) once per device: the driver call costs microseconds, too
// much to repeat on every launch. One value per kernel and attribute (the flag is kept per pair).
template <auto kKernel, cudaFuncAttribute kAttribute>
cudaError_t set_attribute_once_per_device(int value) {
  constexpr int kDevices = 64;
  static std::atomic<bool> done[kDevices];
  int device = 0;
  if (const cudaError_t e = cudaGetDevice(&device); e != cudaSuccess) return e;
  const bool cached = device >= 0 && device < kDevices;
  if (cached && done[device].load(std::memory_order_acquire)) return cudaSuccess;
  if (const cudaError_t e = cudaFuncSetAttribute(kKernel, kAttribute, value); e != cudaSuccess) return e;
  if (cached) done[device].store(true, std::memory_order_release);
  return cudaSuccess;
}

// Launches kKernel on `stream`, chained to the kernel before it where chained_launches_enabled(), its CTAs
// in thread-block clusters of `cluster` along x where cluster > 1 (compute capability 9.0+; gridDim.x a
// multiple of it), with the carve-out every chained kernel prefers.
template <auto kKernel, typename... Args>
cudaError_t launch_chained_in_clusters(dim3 grid, dim3 block, size_t smem, cudaStream_t stream,
                                       unsigned cluster, Args&&... args) {
  if (const cudaError_t e =
          set_attribute_once_per_device<kKernel, cudaFuncAttributePreferredSharedMemoryCarveout>(
              kChainedCarveoutPercent);
      e != cudaSuccess)
    return e;
  cudaLaunchAttribute attrs[2] = {};
  unsigned count = 0;
  if (cluster > 1) {
    attrs[count].id = cudaLaunchAttributeClusterDimension;
    attrs[count++].val.clusterDim = {cluster, 1, 1};
  }
  if (chained_launches_enabled()) {
    attrs[count].id = cudaLaunchAttributeProgrammaticStreamSerialization;
    attrs[count++].val.programmaticStreamSerializationAllowed = 1;
  }
  cudaLaunchConfig_t config{};
  config.gridDim = grid, config.blockDim = block, config.dynamicSmemBytes = smem, config.stream = stream;
  config.attrs = attrs, config.numAttrs = count;
  return cudaLaunchKernelEx(&config, kKernel, std::forward<Args>(args)...);
}

template <auto kKernel, typename... Args>
cudaError_t launch_chained(dim3 grid, dim3 block, size_t smem, cudaStream_t stream, Args&&... args) {
  return launch_chained_in_clusters<kKernel>(grid, block, smem, stream, 1, std::forward<Args>(args)...);
}

}  // namespace lq::cuda
