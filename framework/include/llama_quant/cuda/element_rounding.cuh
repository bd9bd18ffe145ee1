// Element conversions and the roundings of libtorch's element-wise formulas, in one place for the
// framework's raw CUDA kernels and for plugin kernels that fuse an engine step (a norm, SwiGLU's gate) and
// must round exactly as the engine's kernel for that step does.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>

namespace lq::cuda {

template <typename T>
__device__ __forceinline__ float to_float(T v) {
  return static_cast<float>(v);
}
template <typename T>
__device__ __forceinline__ T from_float(float v) {
  return static_cast<T>(v);
}
template <>
__device__ __forceinline__ __half from_float<__half>(float v) {
  return __float2half_rn(v);
}
template <>
__device__ __forceinline__ __nv_bfloat16 from_float<__nv_bfloat16>(float v) {
  return __float2bfloat16_rn(v);
}

// A product of two elements rounded to T, as a libtorch element-wise multiply does it.
template <typename T>
__device__ __forceinline__ float mul_round(float a, float b) {
  return to_float(from_float<T>(a * b));
}

// One element of RMSNorm's output, rounded as the libtorch formula does: x * inv (inv = rsqrt(mean(x^2) +
// eps)) to T, then times the weight w, to T.
template <typename T>
__device__ __forceinline__ T rms_scale(float x, float inv, float w) {
  return from_float<T>(w * to_float(from_float<T>(x * inv)));
}

// One element of the rotary embedding x cos + rotate_half(x) sin, rounded as libtorch's formula does: each
// product to T, then the sum. `partner` is rotate_half's element: -x[d + D/2] below the half, x[d - D/2]
// above.
template <typename T>
__device__ __forceinline__ T rotated_round(float x, float partner, float c, float s) {
  return from_float<T>(mul_round<T>(x, c) + mul_round<T>(partner, s));
}

// One element of SwiGLU's gate, rounded as at::silu(gate) * up: silu(gate) to T, then the product.
template <typename T>
__device__ __forceinline__ T silu_mul_round(float gate, float up) {
  return from_float<T>(to_float(from_float<T>(gate / (1.0f + expf(-gate)))) * up);
}

// SwiGLU's gate of one row from the float32 sums of its gate and up products, as a kernel that fuses the
// gate into the products rounds it: each sum to T (what the products would store), then silu_mul_round.
template <typename T>
__device__ __forceinline__ T silu_mul_round_of_sums(float gate_sum, float up_sum) {
  return silu_mul_round<T>(to_float(from_float<T>(gate_sum)), to_float(from_float<T>(up_sum)));
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

}  // namespace lq::cuda
