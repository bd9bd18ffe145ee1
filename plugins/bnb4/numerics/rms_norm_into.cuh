// The block's RMSNorm of a hidden state, computed by each CTA of a matrix-vector kernel into its own shared
// memory, so that decode needs no separate norm kernel before a group of projections.
#pragma once

#include "device_common.cuh"

namespace bnb4 {

// xs[0, K) = RMSNorm(x) with weight w, rounded as the engine's norm kernel rounds it:
// dtype(w * dtype(x * rsqrt(mean(x^2) + eps))), the mean from per-thread float32 sums of squares over a
// stride of the CTA, reduced by shuffles within each warp and then by the first warp. Any CTA size that is
// a multiple of 32 up to 1024; ends with a barrier (xs is ready for every thread).
template <typename T>
__device__ void rms_norm_into(const T* __restrict__ x, const T* __restrict__ w, float eps, int64_t K,
                              T* __restrict__ xs) {
  __shared__ float warp_sums[32];
  constexpr unsigned kAll = 0xffffffffu;
  float sum = 0.0f;
  for (int64_t i = threadIdx.x; i < K; i += blockDim.x) {
    const float v = to_float(x[i]);
    sum = fmaf(v, v, sum);
  }
  for (int off = 16; off > 0; off /= 2) sum += __shfl_xor_sync(kAll, sum, off);
  if (threadIdx.x % 32 == 0) warp_sums[threadIdx.x / 32] = sum;
  __syncthreads();
  if (threadIdx.x < 32) {
    sum = threadIdx.x < blockDim.x / 32 ? warp_sums[threadIdx.x] : 0.0f;
    for (int off = 16; off > 0; off /= 2) sum += __shfl_xor_sync(kAll, sum, off);
    if (threadIdx.x == 0) warp_sums[0] = sum;
  }
  __syncthreads();
  const float inv = rsqrtf(warp_sums[0] / static_cast<float>(K) + eps);
  for (int64_t i = threadIdx.x; i < K; i += blockDim.x)
    xs[i] = from_float<T>(to_float(w[i]) * to_float(from_float<T>(to_float(x[i]) * inv)));
  __syncthreads();
}

}  // namespace bnb4
