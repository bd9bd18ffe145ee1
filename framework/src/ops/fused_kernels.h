// Raw CUDA launchers for the element-wise ops the eager formulas spread over many kernels (RMSNorm:
// eight, rotary embeddings: five per tensor). Pointers and a stream, no libtorch, so they compile
// wherever nvcc is; ops/*_gpu.cc hands them libtorch tensors. Each reproduces the rounding of the
// libtorch formula in ops/*.cc step by step (only RMSNorm's sum of squares is reduced in another order).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace lq::kernels {

enum class Dtype { kF32, kF16, kBF16 };

// y[r, :] = w * dtype(x[r, :] * rsqrt(mean(x[r, :]^2) + eps)), fp32 inside; x and y contiguous [rows, cols].
cudaError_t rms_norm(const void* x, const void* w, void* y, int64_t rows, int64_t cols, float eps,
                     Dtype dtype, cudaStream_t stream);

// Rotary embeddings on x [B, H, T, D] (any strides, unit stride in D) into y of the same shape and
// strides: y = dtype(x * cos) + dtype(rotate_half(x) * sin), cos and sin contiguous [B, T, D].
struct RopeView {
  void* data;
  int64_t stride_b, stride_h, stride_t;
};
cudaError_t rope(const RopeView& x, const RopeView& y, const void* cos, const void* sin, int64_t B, int64_t H,
                 int64_t T, int64_t D, Dtype dtype, cudaStream_t stream);

}  // namespace lq::kernels
