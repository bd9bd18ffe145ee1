// One-row dense product y = W x (+ r) for batch-1 decode. At M = 1 the product only streams W once, and
// cuBLAS's GEMM kernels leave most of HBM idle on the Llama-3.2-1B layer shapes (a 2048 x 2048 fp16 product
// takes ~10 us, 0.8 TB/s). Here one warp owns one row: each lane issues all its 16-byte loads of a
// 2048-element stretch of the row (8 per lane) before it multiplies, x is staged in shared memory (read
// through L1 beyond kGemvNormMaxK), the warp reduces with shuffles and lane 0 adds the residual and rounds
// once. Rows longer than one such stretch are split over several warps of the CTA, reduced through shared
// memory. Launches are chained: a CTA loads its rows while the kernel before it finishes.
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

struct GemvParams {
  const void* w;
  const void* x;
  const void* norm_weight;  // XFrom::kNormed: RMSNorm weights [K]
  float eps;
  const void* residual;
  void* y;
  int64_t N, K;
  int split;
};

// Where a warp reads x from: global memory through L1, shared memory after asynchronous copies (K <=
// kGemvNormMaxK), or shared memory after the CTA normalized it (RMSNorm fused).
enum class XFrom { kGlobal, kStaged, kNormed };

// x of XFrom::kNormed: RMSNorm(x) with p.norm_weight, rounded as rms_norm() does, into shared memory (K / 8
// units): each CTA normalizes the row itself rather than waiting for a separate kernel.
template <typename T>
__device__ void normalize_into(const GemvParams& p, uint4* xs, float* partial) {
  const int64_t units = p.K / 8;
  const uint4* x = static_cast<const uint4*>(p.x);
  const uint4* g = static_cast<const uint4*>(p.norm_weight);
  float sum = 0.0f;
  for (int64_t u = threadIdx.x; u < units; u += blockDim.x) {
    float v[8];
    unit_to_floats<T>(__ldg(x + u), v);
#pragma unroll
    for (int i = 0; i < 8; ++i) sum = fmaf(v[i], v[i], sum);
  }
#pragma unroll
  for (int off = 16; off > 0; off /= 2) sum += __shfl_xor_sync(0xffffffffu, sum, off);
  if (threadIdx.x % 32 == 0) partial[threadIdx.x / 32] = sum;
  __syncthreads();
  float total = 0.0f;
  for (int i = 0; i < kWarps; ++i) total += partial[i];
  const float inv = rsqrtf(total / static_cast<float>(p.K) + p.eps);
  for (int64_t u = threadIdx.x; u < units; u += blockDim.x) {
    float v[8], gw[8];
    unit_to_floats<T>(__ldg(x + u), v);
    unit_to_floats<T>(__ldg(g + u), gw);
    uint4 out;
    T* o = reinterpret_cast<T*>(&out);
#pragma unroll
    for (int i = 0; i < 8; ++i) o[i] = rms_scale<T>(v[i], inv, gw[i]);
    xs[u] = out;
  }
  __syncthreads();  // xs is complete, and partial free again
}

// x of XFrom::kStaged into shared memory (K / 8 units) by asynchronous copies, every unit of the CTA in
// flight at once: read from global memory in the product loop, a warp's x units were issued one after
// another by the compiler, each waiting for the one before, after the weights had arrived.
__device__ void stage_into(const GemvParams& p, uint4* xs) {
  const int64_t units = p.K / 8;
  const uint4* x = static_cast<const uint4*>(p.x);
  for (int64_t u = threadIdx.x; u < units; u += blockDim.x) {
    const auto to = static_cast<unsigned>(__cvta_generic_to_shared(xs + u));
    asm volatile("cp.async.ca.shared.global [%0], [%1], 16;" ::"r"(to), "l"(x + u) : "memory");
  }
  asm volatile("cp.async.wait_all;" ::: "memory");
  __syncthreads();
}

// `split` warps share a row, each taking every split-th stretch of kUnroll * 32 units, so that a long row
// (down_proj: K = 8192) still has all its loads in flight at once instead of in 4 rounds of one warp.
// x is staged or normalized (kX) while the first weight loads are in flight. kPair:
// SwiGLU over a [2N, K] weight [gate; up], the warp computing rows i and N + i and storing
// silu(gate) * up rounded as silu_mul() does.
template <typename T, XFrom kX, bool kPair>
__global__ void __launch_bounds__(kWarps * 32) gemv_kernel(GemvParams p) {
  constexpr int kRows = kPair ? 2 : 1;
  extern __shared__ uint4 xs[];
  __shared__ float partial[kWarps][kRows];
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, part = warp % p.split;
  const int64_t row = static_cast<int64_t>(blockIdx.x) * (kWarps / p.split) + warp / p.split;
  const int64_t units = p.K / 8;  // 16-byte units per row
  const bool in_range = row < p.N;
  const uint4* wr[kRows];
#pragma unroll
  for (int r = 0; r < kRows; ++r) wr[r] = static_cast<const uint4*>(p.w) + (row + r * p.N) * units;
  const uint4* xr = static_cast<const uint4*>(p.x);
  const int64_t first = lane + static_cast<int64_t>(part) * 32 * kUnroll, stride = 32 * kUnroll * p.split;
  uint4 wv[kRows][kUnroll];
  auto load = [&](int64_t u0) {
#pragma unroll
    for (int r = 0; r < kRows; ++r)
#pragma unroll
      for (int i = 0; i < kUnroll; ++i) {
        const int64_t u = u0 + i * 32;
        wv[r][i] = in_range && u < units ? __ldcs(wr[r] + u) : make_uint4(0, 0, 0, 0);
      }
  };
  let_next_kernel_start();
  // The weights are no kernel's output: this warp's first stretch is loaded into registers and the rest
  // fetched into L2 while the kernel before finishes (every stretch of the Llama-3.2-1B shapes is a first
  // one), then x is waited for.
  load(first);
  if (lane == 0 && in_range)
    for (int64_t u0 = first + stride; u0 < units; u0 += stride)
#pragma unroll
      for (int r = 0; r < kRows; ++r)
        prefetch_l2(wr[r] + u0,
                    static_cast<uint32_t>((u0 + 32 * kUnroll < units ? 32 * kUnroll : units - u0) * 16));
  wait_for_previous_kernel();
  if constexpr (kX == XFrom::kNormed) normalize_into<T>(p, xs, &partial[0][0]);
  if constexpr (kX == XFrom::kStaged) stage_into(p, xs);
  float acc[kRows] = {};
  for (int64_t u0 = first; u0 < units; u0 += stride) {
    if (u0 != first) load(u0);
    // All of the stretch's x units in flight at once (a unit past the row is zero, as is its weight).
    uint4 xv[kUnroll];
#pragma unroll
    for (int i = 0; i < kUnroll; ++i) {
      const int64_t u = u0 + i * 32;
      xv[i] = u >= units ? make_uint4(0, 0, 0, 0) : kX == XFrom::kGlobal ? __ldg(xr + u) : xs[u];
    }
#pragma unroll
    for (int i = 0; i < kUnroll; ++i)
#pragma unroll
      for (int r = 0; r < kRows; ++r) acc[r] += dot_unit<T>(wv[r][i], xv[i]);
  }
#pragma unroll
  for (int r = 0; r < kRows; ++r)
#pragma unroll
    for (int off = 16; off > 0; off /= 2) acc[r] += __shfl_xor_sync(0xffffffffu, acc[r], off);
  if (p.split > 1) {
    if (lane == 0)
#pragma unroll
      for (int r = 0; r < kRows; ++r) partial[warp][r] = acc[r];
    __syncthreads();
    if (part != 0 || lane != 0) return;
    for (int i = 1; i < p.split; ++i)
#pragma unroll
      for (int r = 0; r < kRows; ++r) acc[r] += partial[warp + i][r];
  }
  if (lane != 0 || !in_range) return;
  T* y = static_cast<T*>(p.y);
  if constexpr (kPair) {
    y[row] = silu_mul_round_of_sums<T>(acc[0], acc[1]);  // gate, up rounded as dense() rounds them
  } else {
    const T* residual = static_cast<const T*>(p.residual);
    y[row] = from_float<T>(residual ? acc[0] + to_float(residual[row]) : acc[0]);
  }
}

template <typename T, XFrom kX, bool kPair>
cudaError_t launch(GemvParams p, cudaStream_t stream) {
  // Warps per row: one per stretch of kUnroll * 32 units, up to the CTA.
  p.split = 1;
  while (p.split < kWarps && static_cast<int64_t>(p.split) * 32 * kUnroll * 8 < p.K) p.split *= 2;
  const int64_t rows_per_cta = kWarps / p.split;
  const int64_t blocks = (p.N + rows_per_cta - 1) / rows_per_cta;
  if (blocks > 0x7fffffff) return cudaErrorInvalidValue;
  const size_t smem = kX == XFrom::kGlobal ? 0 : static_cast<size_t>(p.K) * sizeof(T);
  return launch_chained<gemv_kernel<T, kX, kPair>>(dim3(static_cast<unsigned>(blocks)), dim3(kWarps * 32),
                                                   smem, stream, p);
}

template <XFrom kX, bool kPair>
cudaError_t launch_typed(const GemvParams& p, Dtype dtype, cudaStream_t stream) {
  if (dtype == Dtype::kF16) return launch<__half, kX, kPair>(p, stream);
  return launch<__nv_bfloat16, kX, kPair>(p, stream);
}

}  // namespace

bool gemv_supports(int64_t K, Dtype dtype) { return dtype != Dtype::kF32 && K > 0 && K % 8 == 0; }

bool gemv_norm_supports(int64_t K, Dtype dtype) { return gemv_supports(K, dtype) && K <= kGemvNormMaxK; }

cudaError_t gemv(const void* w, const void* x, const void* residual, void* y, int64_t N, int64_t K,
                 Dtype dtype, cudaStream_t stream) {
  if (N <= 0 || !gemv_supports(K, dtype)) return cudaErrorInvalidValue;
  const GemvParams p{w, x, nullptr, 0.0f, residual, y, N, K, 1};
  return K <= kGemvNormMaxK ? launch_typed<XFrom::kStaged, false>(p, dtype, stream)
                            : launch_typed<XFrom::kGlobal, false>(p, dtype, stream);
}

cudaError_t gemv_norm(const void* w, const void* x, const void* norm_weight, float eps, bool swiglu, void* y,
                      int64_t N, int64_t K, Dtype dtype, cudaStream_t stream) {
  if (N <= 0 || !gemv_norm_supports(K, dtype)) return cudaErrorInvalidValue;
  const GemvParams p{w, x, norm_weight, eps, nullptr, y, N, K, 1};
  return swiglu ? launch_typed<XFrom::kNormed, true>(p, dtype, stream)
                : launch_typed<XFrom::kNormed, false>(p, dtype, stream);
}

}  // namespace lq::kernels
