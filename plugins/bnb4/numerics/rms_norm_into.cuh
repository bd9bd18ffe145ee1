// The block's RMSNorm of a hidden state, computed by each CTA of a matrix-vector kernel into its own shared
// memory, so that decode needs no separate norm kernel before a group of projections.
#pragma once

#include "device_common.cuh"

namespace bnb4 {

// xs[0, K) = RMSNorm(x) with weight w, rounded as the engine's norm kernel rounds it:
// dtype(w * dtype(x * rsqrt(mean(x^2) + eps))), the mean from per-thread float32 sums of squares, reduced by
// shuffles within each warp and then by the first warp. x, w and xs 16-byte aligned, K a multiple of
// 16 / sizeof(T). Runs right after the wait for the kernel that wrote x, so its latency is the layer's: a
// thread loads its first kHeld 16-byte units of x and w at once and keeps them for the output (one round
// trip where K <= kHeld x 16 / sizeof(T) x the CTA; a loop reads the rest). Any CTA size that is a multiple
// of 32 up to 1024; ends with a barrier (xs is ready for every thread). after_loads() runs once the first
// units are asked for: work of the caller's that waits on an earlier load, whose stall then overlaps x's.
struct NothingAfterLoads {
  __device__ void operator()() const {}
};
template <typename T, typename AfterLoads = NothingAfterLoads>
__device__ void rms_norm_into(const T* __restrict__ x, const T* __restrict__ w, float eps, int64_t K,
                              T* __restrict__ xs, AfterLoads after_loads = {}) {
  constexpr int kElems = 16 / sizeof(T), kHeld = 2;
  constexpr unsigned kAll = 0xffffffffu;
  __shared__ float warp_sums[32];
  const uint4* xu = reinterpret_cast<const uint4*>(x);
  const uint4* wu = reinterpret_cast<const uint4*>(w);
  uint4* out = reinterpret_cast<uint4*>(xs);
  const int64_t units = K / kElems, stride = blockDim.x;
  uint4 xv[kHeld], wv[kHeld];
#pragma unroll
  for (int i = 0; i < kHeld; ++i) {
    const int64_t u = threadIdx.x + i * stride;
    xv[i] = u < units ? xu[u] : make_uint4(0, 0, 0, 0);
    wv[i] = u < units ? __ldg(wu + u) : make_uint4(0, 0, 0, 0);
  }
  after_loads();
  float sum = 0.0f, v[kElems];
#pragma unroll
  for (int i = 0; i < kHeld; ++i) {
    unit_to_float<T>(xv[i], v);
#pragma unroll
    for (int e = 0; e < kElems; ++e) sum = fmaf(v[e], v[e], sum);
  }
  for (int64_t u = threadIdx.x + kHeld * stride; u < units; u += stride) {
    unit_to_float<T>(xu[u], v);
#pragma unroll
    for (int e = 0; e < kElems; ++e) sum = fmaf(v[e], v[e], sum);
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
  auto normalize = [&](const uint4& xr, const uint4& wr) {
    float xf[kElems], wf[kElems];
    unit_to_float<T>(xr, xf);
    unit_to_float<T>(wr, wf);
    alignas(16) T r[kElems];
#pragma unroll
    for (int e = 0; e < kElems; ++e) r[e] = lq::cuda::rms_scale<T>(xf[e], inv, wf[e]);
    return *reinterpret_cast<const uint4*>(r);
  };
#pragma unroll
  for (int i = 0; i < kHeld; ++i) {
    const int64_t u = threadIdx.x + i * stride;
    if (u < units) out[u] = normalize(xv[i], wv[i]);
  }
  for (int64_t u = threadIdx.x + kHeld * stride; u < units; u += stride)
    out[u] = normalize(xu[u], __ldg(wu + u));
  __syncthreads();
}

}  // namespace bnb4
