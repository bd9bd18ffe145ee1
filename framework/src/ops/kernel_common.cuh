// Device helpers shared by the framework's raw CUDA kernels (ops/*.cu): float conversions that round
// as libtorch's element-wise ops do, the dtype dispatch of a launcher, and the SDK's chained launches.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include "llama_quant/cuda/chained_launch.cuh"
#include "ops/fused_kernels.h"

namespace lq::kernels {

template <typename T>
__device__ __forceinline__ float to_f(T v) {
  return static_cast<float>(v);
}
template <typename T>
__device__ __forceinline__ T from_f(float v) {
  return static_cast<T>(v);
}
template <>
__device__ __forceinline__ __half from_f<__half>(float v) {
  return __float2half_rn(v);
}
template <>
__device__ __forceinline__ __nv_bfloat16 from_f<__nv_bfloat16>(float v) {
  return __float2bfloat16_rn(v);
}
// A product of two elements rounded to T, as a libtorch element-wise multiply does it.
template <typename T>
__device__ __forceinline__ float mul_round(float a, float b) {
  return to_f(from_f<T>(a * b));
}

// One element of RMSNorm's output, rounded as the libtorch formula does: x * inv (inv = rsqrt(mean(x^2) +
// eps)) to T, then times the weight w, to T.
template <typename T>
__device__ __forceinline__ T rms_scale(float x, float inv, float w) {
  return from_f<T>(w * to_f(from_f<T>(x * inv)));
}
// One element of the rotary embedding x cos + rotate_half(x) sin, rounded as libtorch's formula does: each
// product to T, then the sum. `partner` is rotate_half's element: -x[d + D/2] below the half, x[d - D/2]
// above.
template <typename T>
__device__ __forceinline__ T rotated_round(float x, float partner, float c, float s) {
  return from_f<T>(mul_round<T>(x, c) + mul_round<T>(partner, s));
}
// One element of SwiGLU's gate, rounded as at::silu(gate) * up: silu(gate) to T, then the product.
template <typename T>
__device__ __forceinline__ T silu_mul_round(float gate, float up) {
  return from_f<T>(to_f(from_f<T>(gate / (1.0f + expf(-gate)))) * up);
}

// The 16 / sizeof(T) elements held in one 16-byte unit, as floats.
template <typename T>
__device__ __forceinline__ void unit_to_floats(const uint4& u, float* out);
template <>
__device__ __forceinline__ void unit_to_floats<float>(const uint4& u, float* out) {
  out[0] = __uint_as_float(u.x), out[1] = __uint_as_float(u.y), out[2] = __uint_as_float(u.z),
  out[3] = __uint_as_float(u.w);
}
template <>
__device__ __forceinline__ void unit_to_floats<__half>(const uint4& u, float* out) {
  const __half2* h = reinterpret_cast<const __half2*>(&u);
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const float2 f = __half22float2(h[i]);
    out[2 * i] = f.x, out[2 * i + 1] = f.y;
  }
}
template <>
__device__ __forceinline__ void unit_to_floats<__nv_bfloat16>(const uint4& u, float* out) {
  const __nv_bfloat162* h = reinterpret_cast<const __nv_bfloat162*>(&u);
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const float2 f = __bfloat1622float2(h[i]);
    out[2 * i] = f.x, out[2 * i + 1] = f.y;
  }
}

using lq::cuda::launch_chained;
using lq::cuda::let_next_kernel_start;
using lq::cuda::prefetch_l2;
using lq::cuda::wait_for_previous_kernel;

template <class F>
cudaError_t dispatch(Dtype dtype, F&& f) {
  switch (dtype) {
    case Dtype::kF32:
      return f(float{});
    case Dtype::kF16:
      return f(__half{});
    case Dtype::kBF16:
      return f(__nv_bfloat16{});
  }
  return cudaErrorInvalidValue;
}

}  // namespace lq::kernels
