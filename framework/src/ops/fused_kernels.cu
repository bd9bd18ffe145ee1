#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "ops/fused_kernels.h"

namespace lq::kernels {
namespace {

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

constexpr int kNormThreads = 256;

template <typename T>
__global__ void __launch_bounds__(kNormThreads)
    rms_norm_kernel(const T* __restrict__ x, const T* __restrict__ w, T* __restrict__ y, int64_t cols,
                    float eps) {
  const T* row = x + blockIdx.x * cols;
  float sum = 0.0f;
  for (int64_t i = threadIdx.x; i < cols; i += kNormThreads) {
    const float v = to_f(row[i]);
    sum = fmaf(v, v, sum);
  }
  __shared__ float partial[kNormThreads / 32];
  for (int off = 16; off > 0; off /= 2) sum += __shfl_xor_sync(0xffffffffu, sum, off);
  if (threadIdx.x % 32 == 0) partial[threadIdx.x / 32] = sum;
  __syncthreads();
  if (threadIdx.x < 32) {
    sum = threadIdx.x < kNormThreads / 32 ? partial[threadIdx.x] : 0.0f;
    for (int off = 16; off > 0; off /= 2) sum += __shfl_xor_sync(0xffffffffu, sum, off);
    if (threadIdx.x == 0) partial[0] = sum;
  }
  __syncthreads();
  const float inv = rsqrtf(partial[0] / static_cast<float>(cols) + eps);
  for (int64_t i = threadIdx.x; i < cols; i += kNormThreads)
    y[blockIdx.x * cols + i] = from_f<T>(to_f(w[i]) * to_f(from_f<T>(to_f(row[i]) * inv)));
}

template <typename T>
__global__ void rope_kernel(RopeView x, RopeView y, const T* __restrict__ cos, const T* __restrict__ sin,
                            int64_t n, int64_t H, int64_t T_, int64_t D) {
  // One thread per (b, h, t, d < D/2) of the n: it writes d and d + D/2.
  const int64_t half = D / 2;
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const int64_t d = i % half, t = (i / half) % T_, h = (i / half / T_) % H, b = i / half / T_ / H;
  const T* src = static_cast<const T*>(x.data) + b * x.stride_b + h * x.stride_h + t * x.stride_t;
  T* dst = static_cast<T*>(y.data) + b * y.stride_b + h * y.stride_h + t * y.stride_t;
  const T* c = cos + (b * T_ + t) * D;
  const T* s = sin + (b * T_ + t) * D;
  const float lo = to_f(src[d]), hi = to_f(src[d + half]);
  // rotate_half(x) = [-hi, lo]; each product rounds to T, then the sum.
  dst[d] = from_f<T>(mul_round<T>(lo, to_f(c[d])) + mul_round<T>(-hi, to_f(s[d])));
  dst[d + half] = from_f<T>(mul_round<T>(hi, to_f(c[d + half])) + mul_round<T>(lo, to_f(s[d + half])));
}

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

}  // namespace

cudaError_t rms_norm(const void* x, const void* w, void* y, int64_t rows, int64_t cols, float eps,
                     Dtype dtype, cudaStream_t stream) {
  if (rows <= 0 || cols <= 0 || rows > 0x7fffffff) return cudaErrorInvalidValue;
  return dispatch(dtype, [&](auto tag) {
    using T = decltype(tag);
    rms_norm_kernel<T><<<static_cast<unsigned>(rows), kNormThreads, 0, stream>>>(
        static_cast<const T*>(x), static_cast<const T*>(w), static_cast<T*>(y), cols, eps);
    return cudaGetLastError();
  });
}

cudaError_t rope(const RopeView& x, const RopeView& y, const void* cos, const void* sin, int64_t B, int64_t H,
                 int64_t T, int64_t D, Dtype dtype, cudaStream_t stream) {
  if (B <= 0 || H <= 0 || T <= 0 || D <= 0 || D % 2 != 0) return cudaErrorInvalidValue;
  const int64_t n = B * H * T * (D / 2);
  constexpr int kThreads = 256;
  const int64_t blocks = (n + kThreads - 1) / kThreads;
  if (blocks > 0x7fffffff) return cudaErrorInvalidValue;
  return dispatch(dtype, [&](auto tag) {
    using E = decltype(tag);
    rope_kernel<E><<<static_cast<unsigned>(blocks), kThreads, 0, stream>>>(
        x, y, static_cast<const E*>(cos), static_cast<const E*>(sin), n, H, T, D);
    return cudaGetLastError();
  });
}

}  // namespace lq::kernels
