// y = x W^T with a 4-bit W [N, K] (row-major, quantized over its flattened elements) and x [M, K].
// The fused CUDA kernels decode W in registers and accumulate in float32; the CPU function is their
// reference: W decoded to float32 (no rounding to the activation type) and a float64 dot product.
#pragma once

#include <cstdint>

#include "dequantize_4bit.h"

namespace bnb4 {

// x: M x K floats, y: M x N floats; w.n must equal N * K.
void matmul_4bit_cpu(const float* x, int64_t M, int64_t K, const Packed4bit& w, int64_t N, float* y);

#ifdef LQ_BNB4_KERNELS
// Largest batch the fused kernels take (the batch kernel, float16 / bfloat16; the tiled kernel, which runs
// float32, stops at kTiledMaxBatch); beyond it, dequantize and use cuBLAS.
constexpr int64_t kFusedMaxBatch = 32;
constexpr int64_t kTiledMaxBatch = 16;
// Whether the fused kernels accept this shape (each 32-element chunk must lie in one row and block).
inline bool fused_matmul_supported(int64_t M, int64_t K) {
  return M >= 1 && M <= kFusedMaxBatch && K % 32 == 0;
}

// Weights that share their input (q/k/v, gate/up) multiplied in one launch, their outputs side by side:
// y[:, c_i : c_i + rows[i]] = x W_i^T with c_i the rows of the weights before i. One code type and one
// absmax form (plain or nested) across the group; blocksizes may differ.
constexpr int kMaxGroup = 4;

// Device memory that the product after this one reads (the next projection's codes and scales at decode):
// the M = 1 tensor-core kernel asks L2 for it, each CTA a share, once its own first loads are issued, so
// that the next kernel's loads come from L2 instead of waiting on HBM. A hint: none (count 0) is the same.
struct L2Prefetch {
  static constexpr int kMaxRuns = 16;  // a group of kMaxGroup nested weights: codes, scale codes, absmax2
  const void* data[kMaxRuns] = {};
  int64_t bytes[kMaxRuns] = {};
  int count = 0;
};

struct WeightGroup {
  Packed4bit w[kMaxGroup];
  int64_t rows[kMaxGroup] = {};
  int count = 0;
  L2Prefetch next;  // M = 1 only
};

// The group's weights dequantized side by side into `out`, one [sum of rows, K] matrix of out_type (weight
// i's rows after those of the weights before it), in one launch; each weight bit for bit
// dequantize_4bit_cuda's. Every weight must start 16-byte aligned in out (cudaErrorMisalignedAddress).
cudaError_t dequantize_4bit_group_cuda(const WeightGroup& group, void* out, ElemType out_type,
                                       cudaStream_t stream);

// x: M x K and y: M x N of x_type (float16, bfloat16 or float32), device pointers. Picks the kernel by
// M and type: M = 1 the matrix-vector kernel; 2..32 the batch kernel (float16 / bfloat16) or the tiled
// one (float32; cudaErrorInvalidValue above 16).
cudaError_t matmul_4bit_cuda(const void* x, ElemType x_type, int64_t M, int64_t K, const Packed4bit& w,
                             int64_t N, void* y, cudaStream_t stream);
// The same choice for a group (float16 / bfloat16 at M > 1), adding `residual` (y's layout) when not null.
cudaError_t matmul_4bit_group_cuda(const void* x, ElemType x_type, int64_t M, int64_t K,
                                   const WeightGroup& group, const void* residual, void* y,
                                   cudaStream_t stream);

// The kernels behind it, callable directly so that tests and benchmarks can compare them. Those that take
// a group add `residual` (y's layout) in their epilogue when it is not null.
// M = 1, any activation type: y [sum of rows] = W x. Two kernels: tensor cores (float16 / bfloat16 with K
// up to 24,576 on sm_80 or newer; the code values rounded to the activation type) and
// CUDA cores (every type; the code values in float32); kAuto picks tensor cores where they apply.
enum class MatvecKernel { kAuto, kCudaCores, kTensorCores };
cudaError_t matvec_4bit_cuda(const void* x, ElemType x_type, int64_t K, const WeightGroup& group,
                             const void* residual, void* y, cudaStream_t stream,
                             MatvecKernel kernel = MatvecKernel::kAuto);
// Most bytes of x a matrix-vector kernel stages in a CTA's shared memory (the tensor-core kernel always,
// either kernel with a norm).
constexpr int64_t kMatvecMaxXBytes = 48 * 1024;
// matvec_4bit_cuda of RMSNorm(h) with norm_weight [K] (h's type) and eps, no residual: each CTA normalizes
// h itself (the engine's RMSNorm rounding: dtype(w * dtype(h * rsqrt(mean(h^2) + eps)))), so that decode
// needs no norm kernel before a group. K elements of x_type must fit kMatvecMaxXBytes.
inline bool matvec_normed_supported(int64_t K, ElemType x_type) {
  return K % 32 == 0 && K >= 32 && K * elem_size(x_type) <= kMatvecMaxXBytes;
}
cudaError_t matvec_4bit_normed_cuda(const void* h, ElemType x_type, int64_t K, const WeightGroup& group,
                                    const void* norm_weight, float eps, void* y, cudaStream_t stream,
                                    MatvecKernel kernel = MatvecKernel::kAuto);
// SwiGLU's gate of matvec_4bit_normed_cuda for a gate/up group (two weights of N rows each, [gate, up]):
// y[N] = dtype(dtype(silu(g)) * u) of each row's sums g and u, each rounded to x_type first (the engine's
// gate), in one launch of the tensor-core kernel. Takes what matvec_normed_swiglu_supported() says.
bool matvec_normed_swiglu_supported(int64_t K, ElemType x_type, const WeightGroup& group);
cudaError_t matvec_4bit_normed_swiglu_cuda(const void* h, ElemType x_type, int64_t K,
                                           const WeightGroup& group, const void* norm_weight, float eps,
                                           void* y, cudaStream_t stream);
// Tensor cores (float16 / bfloat16, sm_80 or newer, else cudaErrorNotSupported), M = 1..32, each value pair
// scaled by its absmax in the activation type before the mma (bitsandbytes' GEMV rounding), so that an
// mma tile carries 8 batch rows: y [M, sum of rows] = x W^T.
cudaError_t matmul_4bit_batch_cuda(const void* x, ElemType x_type, int64_t M, int64_t K,
                                   const WeightGroup& group, const void* residual, void* y,
                                   cudaStream_t stream);
// Hopper's warpgroup tensor cores (wgmma; compute capability 9.0, else cudaErrorNotSupported), float16 /
// bfloat16, any M (meant for prefill, beyond kFusedMaxBatch): y [M, sum of rows] = x W^T (+ residual) with
// each weight value decoded as dequantize_4bit_cuda makes it, in registers, float32 accumulation; in place
// of dequantizing into a matrix for cuBLAS. Takes the shapes matmul_4bit_wgmma_supported() says (K a
// multiple of 64, blocksizes multiples of 64, rows multiples of 8); a nested absmax is decoded in the kernel,
// stage by stage, as every kernel decodes it (nested_absmax). `splits` > 1 splits K into that many slices
// (fewer where K has fewer stages of 64 to share), each CTA's float32 sums stored in `workspace`
// (matmul_4bit_wgmma_workspace_bytes) and added by a second launch; the result is the same up to float32
// summation order.
bool matmul_4bit_wgmma_supported(int64_t M, int64_t K, const WeightGroup& group, ElemType x_type);
bool matmul_4bit_wgmma_device();  // whether the current device has wgmma (compute capability 9.0)
// How many slices prefill splits K into: where the 256-token tiles leave SMs idle, as many as still fit
// the SMs (at most 8, each at least 16 stages of 64); else 1.
int matmul_4bit_wgmma_splits(int64_t M, int64_t K, const WeightGroup& group);
int64_t matmul_4bit_wgmma_workspace_bytes(int64_t M, int64_t K, const WeightGroup& group, int splits);
// Whether the wgmma kernel beats dequantize + cuBLAS here (H100, measured per shape in BENCHMARKS.md):
// where its 256-token tiles, split over K if need be, give at least 90% of the SMs a CTA (at 512 tokens,
// gate/up's 16,384 rows; down's 2,048 rows over 8,192 in 4 slices; not q/k/v or o, whose K of 2,048 is too
// short to split that far). Narrower tiles decode each weight for fewer tokens and lose to cuBLAS.
bool matmul_4bit_wgmma_preferred(int64_t M, int64_t K, const WeightGroup& group);
cudaError_t matmul_4bit_wgmma_cuda(const void* x, ElemType x_type, int64_t M, int64_t K,
                                   const WeightGroup& group, const void* residual, void* y,
                                   cudaStream_t stream, int splits = 1, float* workspace = nullptr);
// CUDA cores, any activation type, M = 1..16, one weight.
cudaError_t matmul_4bit_tiled_cuda(const void* x, ElemType x_type, int64_t M, int64_t K, const Packed4bit& w,
                                   int64_t N, void* y, cudaStream_t stream);
#endif

}  // namespace bnb4
