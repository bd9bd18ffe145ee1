// One-row dense product y = W x (+ r) for batch-1 decode. At M = 1 the product only streams W once, and
// cuBLAS's GEMM kernels leave most of HBM idle on the Llama-3.2-1B layer shapes (a 2048 x 2048 fp16 product
// takes ~10 us, 0.8 TB/s). Here one warp owns one row: each lane issues all its 16-byte loads of a
// 2048-element stretch of the row (8 per lane) before it multiplies, x is read through L1 at the same
// offsets, the warp reduces with shuffles and lane 0 adds the residual and rounds once. Rows longer than
// one such stretch are split over several warps of the CTA, reduced through shared memory.
#include "ops/fused_kernels.h"
#include "ops/kernel_common.cuh"

namespace lq::kernels {
namespace {

constexpr int kWarps = 8, kUnroll = 8;

// The dot product of the 8 elements of w and x held in two 16-byte units.
template <typename T>
__device__ __forceinline__ float dot_unit(const uint4& w, const uint4& x) {
  float wf[8], xf[8];
  unit_to_floats<T>(w, wf);
  unit_to_floats<T>(x, xf);
  float s = 0.0f;
#pragma unroll
  for (int i = 0; i < 8; ++i) s = fmaf(wf[i], xf[i], s);
  return s;
}

// `split` warps share a row, each taking every split-th stretch of kUnroll * 32 units, so that a long row
// (down_proj: K = 8192) still has all its loads in flight at once instead of in 4 rounds of one warp.
template <typename T>
__global__ void __launch_bounds__(kWarps * 32)
    gemv_kernel(const T* __restrict__ w, const T* __restrict__ x, const T* __restrict__ residual,
                T* __restrict__ y, int64_t N, int64_t K, int split) {
  __shared__ float partial[kWarps];
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, part = warp % split;
  const int64_t row = static_cast<int64_t>(blockIdx.x) * (kWarps / split) + warp / split;
  const int64_t units = K / 8;  // 16-byte units per row
  const uint4* wr = reinterpret_cast<const uint4*>(w + row * K);
  const uint4* xr = reinterpret_cast<const uint4*>(x);
  float acc = 0.0f;
  if (row < N) {
    for (int64_t u0 = lane + static_cast<int64_t>(part) * 32 * kUnroll; u0 < units;
         u0 += 32 * kUnroll * split) {
      uint4 wv[kUnroll];
#pragma unroll
      for (int i = 0; i < kUnroll; ++i) {
        const int64_t u = u0 + i * 32;
        wv[i] = u < units ? __ldcs(wr + u) : make_uint4(0, 0, 0, 0);
      }
#pragma unroll
      for (int i = 0; i < kUnroll; ++i) {
        const int64_t u = u0 + i * 32;
        if (u < units) acc += dot_unit<T>(wv[i], __ldg(xr + u));
      }
    }
  }
#pragma unroll
  for (int off = 16; off > 0; off /= 2) acc += __shfl_xor_sync(0xffffffffu, acc, off);
  if (split > 1) {
    if (lane == 0) partial[warp] = acc;
    __syncthreads();
    if (part != 0 || lane != 0) return;
    for (int i = 1; i < split; ++i) acc += partial[warp + i];
  }
  if (lane == 0 && row < N) y[row] = from_f<T>(residual ? acc + to_f(residual[row]) : acc);
}

}  // namespace

bool gemv_supports(int64_t K, Dtype dtype) { return dtype != Dtype::kF32 && K > 0 && K % 8 == 0; }

cudaError_t gemv(const void* w, const void* x, const void* residual, void* y, int64_t N, int64_t K,
                 Dtype dtype, cudaStream_t stream) {
  // Warps per row: one per stretch of kUnroll * 32 units, up to the CTA.
  int split = 1;
  while (split < kWarps && static_cast<int64_t>(split) * 32 * kUnroll * 8 < K) split *= 2;
  const int64_t rows_per_cta = kWarps / split;
  if (N <= 0 || !gemv_supports(K, dtype) || (N + rows_per_cta - 1) / rows_per_cta > 0x7fffffff)
    return cudaErrorInvalidValue;
  const unsigned blocks = static_cast<unsigned>((N + rows_per_cta - 1) / rows_per_cta);
  if (dtype == Dtype::kF16)
    gemv_kernel<__half><<<blocks, kWarps * 32, 0, stream>>>(
        static_cast<const __half*>(w), static_cast<const __half*>(x), static_cast<const __half*>(residual),
        static_cast<__half*>(y), N, K, split);
  else
    gemv_kernel<__nv_bfloat16><<<blocks, kWarps * 32, 0, stream>>>(
        static_cast<const __nv_bfloat16*>(w), static_cast<const __nv_bfloat16*>(x),
        static_cast<const __nv_bfloat16*>(residual), static_cast<__nv_bfloat16*>(y), N, K, split);
  return cudaGetLastError();
}

}  // namespace lq::kernels
