// Fused 4-bit matmul for small batches: y[M, N] = x[M, K] W[N, K]^T with W decoded in registers. Each
// warp owns kRowsPerWarp rows; a lane reads one 32-element chunk of each row per step with a 16-byte
// load, decodes it through a 16-entry table in shared memory, and multiplies it with x held in shared
// memory (16-byte units XOR-swizzled so that the lanes' reads are conflict-free). Block scales (float32
// or nested 8-bit) are decoded per chunk; float32 accumulation; a warp-shuffle reduction gives each
// row's sum. float32 activations run here at M = 2..16; float16 / bfloat16 run the batch kernel
// (matmul_4bit_batch_gpu.cu), and M = 1 a matrix-vector kernel (matvec_4bit_mma_gpu.cu on tensor cores,
// matvec_4bit_gpu.cu on CUDA cores). The entry points at the end pick among them.
#include <algorithm>

#include "device_common.cuh"
#include "matmul_4bit_args.cuh"
#include "matvec_4bit_kernels.h"

namespace bnb4 {
namespace {

constexpr int kWarps = 8;
constexpr int kRowsPerWarp = 2;
constexpr int kSmemBytes = 40 * 1024;  // dynamic x tile; with the static tables under the 48 KB default

// Permutes 16-byte units within each group of 8, so a row's units must be padded to a multiple of 8.
__device__ __host__ __forceinline__ int swizzle(int u) { return (u & ~7) | ((u ^ (u >> 3)) & 7); }
__host__ __device__ __forceinline__ int padded_units(int tile_k, int elems_per_unit) {
  return (tile_k / elems_per_unit + 7) / 8 * 8;
}

template <typename T, int MT>
__global__ void __launch_bounds__(kWarps * 32)
    matmul_4bit_kernel(const T* __restrict__ x, int M, int64_t K, Packed4bit w, int64_t N, int tile_k,
                       Table16 values, Table256 dynamic_map, T* __restrict__ y) {
  extern __shared__ uint4 xs[];  // [MT][padded_units], swizzled
  __shared__ float lut[16];
  __shared__ float map[256];
  constexpr int kElemsPerUnit = 16 / sizeof(T);
  constexpr int kUnitsPerChunk = 32 / kElemsPerUnit;
  for (int i = threadIdx.x; i < 16; i += blockDim.x) lut[i] = values.v[i];
  if (w.nested_codes)
    for (int i = threadIdx.x; i < 256; i += blockDim.x) map[i] = dynamic_map.v[i];
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const int64_t row0 = (static_cast<int64_t>(blockIdx.x) * kWarps + warp) * kRowsPerWarp;
  const int units_per_row = padded_units(tile_k, kElemsPerUnit);
  const int shift = __ffs(w.blocksize) - 1;
  float acc[MT][kRowsPerWarp] = {};

  for (int64_t k0 = 0; k0 < K; k0 += tile_k) {
    const int kt = static_cast<int>(K - k0 < tile_k ? K - k0 : tile_k);
    const int units = kt / kElemsPerUnit;
    __syncthreads();  // the previous tile is consumed
    for (int i = threadIdx.x; i < M * units; i += blockDim.x) {
      const int m = i / units, u = i % units;
      xs[m * units_per_row + swizzle(u)] = __ldg(reinterpret_cast<const uint4*>(x + m * K + k0) + u);
    }
    __syncthreads();
    if (row0 >= N) continue;
#pragma unroll 2
    for (int c = lane; c < kt / 32; c += 32) {
      uint4 q[kRowsPerWarp];
      float scale[kRowsPerWarp];
#pragma unroll
      for (int r = 0; r < kRowsPerWarp; ++r) {
        const int64_t row = min(row0 + r, N - 1);  // a clamped duplicate row is computed, never stored
        const int64_t e = row * K + k0 + static_cast<int64_t>(c) * 32;
        q[r] = __ldg(reinterpret_cast<const uint4*>(w.packed + e / 2));
        scale[r] = block_absmax(w, map, e >> shift);
      }
#pragma unroll
      for (int r = 0; r < kRowsPerWarp; ++r) {
        const uint8_t* b = reinterpret_cast<const uint8_t*>(&q[r]);
        float wv[32];
#pragma unroll
        for (int j = 0; j < 16; ++j) wv[2 * j] = lut[b[j] >> 4], wv[2 * j + 1] = lut[b[j] & 15];
#pragma unroll
        for (int m = 0; m < MT; ++m) {
          if (m >= M) break;
          float s = 0.0f;
#pragma unroll
          for (int j = 0; j < kUnitsPerChunk; ++j) {
            float xv[kElemsPerUnit];
            unit_to_float<T>(xs[m * units_per_row + swizzle(c * kUnitsPerChunk + j)], xv);
#pragma unroll
            for (int e = 0; e < kElemsPerUnit; ++e) s = fmaf(wv[j * kElemsPerUnit + e], xv[e], s);
          }
          acc[m][r] = fmaf(s, scale[r], acc[m][r]);
        }
      }
    }
  }
  if (row0 >= N) return;
#pragma unroll
  for (int m = 0; m < MT; ++m)
#pragma unroll
    for (int r = 0; r < kRowsPerWarp; ++r) {
      float v = acc[m][r];
      for (int off = 16; off > 0; off /= 2) v += __shfl_xor_sync(0xffffffffu, v, off);
      if (lane == 0 && m < M && row0 + r < N) y[m * N + row0 + r] = from_float<T>(v);
    }
}

template <typename T, int MT>
cudaError_t launch(const T* x, int M, int64_t K, const Packed4bit& w, int64_t N, T* y, cudaStream_t stream) {
  // The whole of x when it fits (always for M == 1 at Llama sizes), else tiles of a multiple of 256.
  const int64_t fit = kSmemBytes / (MT * static_cast<int64_t>(sizeof(T)));
  const int tile_k = static_cast<int>(K <= fit ? K : fit / 256 * 256);
  const size_t smem = static_cast<size_t>(MT) * padded_units(tile_k, 16 / sizeof(T)) * 16;
  const int64_t ctas = (N + kWarps * kRowsPerWarp - 1) / (kWarps * kRowsPerWarp);
  matmul_4bit_kernel<T, MT><<<static_cast<unsigned>(ctas), kWarps * 32, smem, stream>>>(
      x, M, K, w, N, tile_k, table16(w.type), dynamic_map_table(), y);
  return cudaGetLastError();
}

}  // namespace

cudaError_t matmul_4bit_tiled_cuda(const void* x, ElemType x_type, int64_t M, int64_t K, const Packed4bit& w,
                                   int64_t N, void* y, cudaStream_t stream) {
  if (const cudaError_t e = check_matmul_args(x, M, K, w, N); e != cudaSuccess) return e;
  if (M > kTiledMaxBatch) return cudaErrorInvalidValue;
  const int m = static_cast<int>(M);
  BNB4_DISPATCH_ELEM(x_type, {
    const T* xt = static_cast<const T*>(x);
    T* yt = static_cast<T*>(y);
    if (m == 1) return launch<T, 1>(xt, m, K, w, N, yt, stream);
    if (m <= 4) return launch<T, 4>(xt, m, K, w, N, yt, stream);
    if (m <= 8) return launch<T, 8>(xt, m, K, w, N, yt, stream);
    return launch<T, 16>(xt, m, K, w, N, yt, stream);
  });
  return cudaErrorInvalidValue;
}

cudaError_t matmul_4bit_cuda(const void* x, ElemType x_type, int64_t M, int64_t K, const Packed4bit& w,
                             int64_t N, void* y, cudaStream_t stream) {
  WeightGroup group;
  group.w[0] = w;
  group.rows[0] = N;
  group.count = 1;
  if (x_type == ElemType::kF32 && M > 1) return matmul_4bit_tiled_cuda(x, x_type, M, K, w, N, y, stream);
  return matmul_4bit_group_cuda(x, x_type, M, K, group, nullptr, y, stream);
}

cudaError_t matmul_4bit_group_cuda(const void* x, ElemType x_type, int64_t M, int64_t K,
                                   const WeightGroup& group, const void* residual, void* y,
                                   cudaStream_t stream) {
  if (M == 1) return matvec_4bit_cuda(x, x_type, K, group, residual, y, stream);
  return matmul_4bit_batch_cuda(x, x_type, M, K, group, residual, y, stream);
}

namespace {

cudaError_t matvec(const void* x, ElemType x_type, int64_t K, const WeightGroup& group, const void* residual,
                   const void* norm_weight, float eps, void* y, cudaStream_t stream, MatvecKernel kernel) {
  const bool tensor_cores = kernel == MatvecKernel::kTensorCores ||
                            (kernel == MatvecKernel::kAuto && matvec_tensor_cores_take(x_type, K));
  return tensor_cores ? matvec_4bit_tensor_cores(x, x_type, K, group, residual, norm_weight, eps, y, stream)
                      : matvec_4bit_cuda_cores(x, x_type, K, group, residual, norm_weight, eps, y, stream);
}

}  // namespace

cudaError_t matvec_4bit_cuda(const void* x, ElemType x_type, int64_t K, const WeightGroup& group,
                             const void* residual, void* y, cudaStream_t stream, MatvecKernel kernel) {
  return matvec(x, x_type, K, group, residual, nullptr, 0.0f, y, stream, kernel);
}

cudaError_t matvec_4bit_normed_cuda(const void* h, ElemType x_type, int64_t K, const WeightGroup& group,
                                    const void* norm_weight, float eps, void* y, cudaStream_t stream,
                                    MatvecKernel kernel) {
  if (!norm_weight || !matvec_normed_supported(K, x_type)) return cudaErrorInvalidValue;
  if (!aligned16(h) || !aligned16(norm_weight)) return cudaErrorMisalignedAddress;  // rms_norm_into's loads
  return matvec(h, x_type, K, group, nullptr, norm_weight, eps, y, stream, kernel);
}

}  // namespace bnb4
