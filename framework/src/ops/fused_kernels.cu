#include "ops/fused_kernels.h"
#include "ops/kernel_common.cuh"

namespace lq::kernels {
namespace {

constexpr int kNormThreads = 256;
constexpr int kThreads = 256;  // element-wise kernels: one thread per element (or pair)

// Blocks of kThreads for n threads, or 0 where n is empty or too large for a one-dimensional grid.
unsigned blocks_for(int64_t n) {
  const int64_t blocks = (n + kThreads - 1) / kThreads;
  return n > 0 && blocks <= 0x7fffffff ? static_cast<unsigned>(blocks) : 0;
}

template <typename T>
__global__ void __launch_bounds__(kNormThreads)
    rms_norm_kernel(const T* __restrict__ x, const T* __restrict__ w, T* __restrict__ y, int64_t cols,
                    float eps) {
  let_next_kernel_start();
  wait_for_previous_kernel();
  const T* row = x + blockIdx.x * cols;
  float sum = 0.0f;
  for (int64_t i = threadIdx.x; i < cols; i += kNormThreads) {
    const float v = to_float(row[i]);
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
    y[blockIdx.x * cols + i] = rms_scale<T>(to_float(row[i]), inv, to_float(w[i]));
}

template <typename T>
__device__ __forceinline__ void rotate_pair(const T* src, T* dst, const T* c, const T* s, int64_t d,
                                            int64_t half) {
  const float lo = to_float(src[d]), hi = to_float(src[d + half]);
  // rotate_half(x) = [-hi, lo].
  dst[d] = rotated_round<T>(lo, -hi, to_float(c[d]), to_float(s[d]));
  dst[d + half] = rotated_round<T>(hi, lo, to_float(c[d + half]), to_float(s[d + half]));
}

template <typename T>
__global__ void rope_append_kernel(HeadsView q, HeadsView k, HeadsView v, T* __restrict__ q_out,
                                   CacheView keys, CacheView values, const int64_t* __restrict__ slots,
                                   const T* __restrict__ cos, const T* __restrict__ sin, int64_t n,
                                   int64_t T_, int64_t H, int64_t kv, int64_t D) {
  // One thread per (b, t, head of q|k|v, d < D/2): it writes d and d + D/2.
  let_next_kernel_start();
  wait_for_previous_kernel();
  const int64_t half = D / 2, heads = H + 2 * kv;
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const int64_t d = i % half, head = (i / half) % heads, t = (i / half / heads) % T_,
                b = i / half / heads / T_;
  if (head < H) {
    const T* src = static_cast<const T*>(q.data) + b * q.stride_b + t * q.stride_t + head * q.stride_h;
    const int64_t row = (b * T_ + t) * D;
    rotate_pair(src, q_out + ((b * T_ + t) * H + head) * D, cos + row, sin + row, d, half);
    return;
  }
  const int64_t slot = slots[t];
  if (head < H + kv) {
    const int64_t h = head - H, row = (b * T_ + t) * D;
    const T* src = static_cast<const T*>(k.data) + b * k.stride_b + t * k.stride_t + h * k.stride_h;
    T* dst = static_cast<T*>(keys.data) + b * keys.stride_b + h * keys.stride_h + slot * keys.stride_s;
    rotate_pair(src, dst, cos + row, sin + row, d, half);
    return;
  }
  const int64_t h = head - H - kv;
  const T* src = static_cast<const T*>(v.data) + b * v.stride_b + t * v.stride_t + h * v.stride_h;
  T* dst = static_cast<T*>(values.data) + b * values.stride_b + h * values.stride_h + slot * values.stride_s;
  dst[d] = src[d];
  dst[d + half] = src[d + half];
}

template <typename T>
__global__ void rope_angles_kernel(const int64_t* __restrict__ positions, const float* __restrict__ inv_freq,
                                   T* __restrict__ cos, T* __restrict__ sin, int64_t n, int64_t half) {
  let_next_kernel_start();
  wait_for_previous_kernel();
  // One thread per (position, d < 2 half): the formula's fp32 product, cosf/sinf, one rounding to T.
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const float f = static_cast<float>(positions[i / (2 * half)]) * inv_freq[i % half];
  cos[i] = from_float<T>(cosf(f));
  sin[i] = from_float<T>(sinf(f));
}

__global__ void causal_mask_kernel(const bool* __restrict__ valid, int64_t valid_stride,
                                   const int64_t* __restrict__ slots, bool* __restrict__ allowed, int64_t n,
                                   int64_t T, int64_t S) {
  let_next_kernel_start();
  wait_for_previous_kernel();
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const int64_t j = i % S, t = (i / S) % T, b = i / (S * T), slot = slots[t];
  allowed[i] = (valid[b * valid_stride + j] && j <= slot) || j == slot;
}

template <typename T>
__global__ void silu_mul_kernel(const T* __restrict__ gate, int64_t gate_stride, const T* __restrict__ up,
                                int64_t up_stride, T* __restrict__ out, int64_t rows, int64_t cols) {
  let_next_kernel_start();
  wait_for_previous_kernel();
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= rows * cols) return;
  const int64_t r = i / cols, c = i % cols;
  out[i] = silu_mul_round<T>(to_float(gate[r * gate_stride + c]), to_float(up[r * up_stride + c]));
}

}  // namespace

cudaError_t rms_norm(const void* x, const void* w, void* y, int64_t rows, int64_t cols, float eps,
                     Dtype dtype, cudaStream_t stream) {
  if (rows <= 0 || cols <= 0 || rows > 0x7fffffff) return cudaErrorInvalidValue;
  return dispatch(dtype, [&](auto tag) {
    using T = decltype(tag);
    return launch_chained<rms_norm_kernel<T>>(dim3(static_cast<unsigned>(rows)), dim3(kNormThreads), 0,
                                              stream, static_cast<const T*>(x), static_cast<const T*>(w),
                                              static_cast<T*>(y), cols, eps);
  });
}

cudaError_t rope_append(const HeadsView& q, const HeadsView& k, const HeadsView& v, void* q_out,
                        const CacheView& keys, const CacheView& values, const int64_t* slots, const void* cos,
                        const void* sin, int64_t B, int64_t T, int64_t H, int64_t kv_heads, int64_t D,
                        Dtype dtype, cudaStream_t stream) {
  if (B <= 0 || T <= 0 || H <= 0 || kv_heads <= 0 || D <= 0 || D % 2 != 0) return cudaErrorInvalidValue;
  const int64_t n = B * T * (H + 2 * kv_heads) * (D / 2);
  const unsigned blocks = blocks_for(n);
  if (blocks == 0) return cudaErrorInvalidValue;
  return dispatch(dtype, [&](auto tag) {
    using E = decltype(tag);
    return launch_chained<rope_append_kernel<E>>(
        dim3(blocks), dim3(kThreads), 0, stream, q, k, v, static_cast<E*>(q_out), keys, values, slots,
        static_cast<const E*>(cos), static_cast<const E*>(sin), n, T, H, kv_heads, D);
  });
}

cudaError_t rope_angles(const int64_t* positions, const float* inv_freq, void* cos, void* sin, int64_t count,
                        int64_t half, Dtype dtype, cudaStream_t stream) {
  const unsigned blocks = count > 0 && half > 0 ? blocks_for(count * 2 * half) : 0;
  if (blocks == 0) return cudaErrorInvalidValue;
  return dispatch(dtype, [&](auto tag) {
    using E = decltype(tag);
    return launch_chained<rope_angles_kernel<E>>(dim3(blocks), dim3(kThreads), 0, stream, positions, inv_freq,
                                                 static_cast<E*>(cos), static_cast<E*>(sin), count * 2 * half,
                                                 half);
  });
}

cudaError_t causal_mask(const bool* valid, int64_t valid_stride, const int64_t* slots, bool* allowed,
                        int64_t B, int64_t T, int64_t S, cudaStream_t stream) {
  const unsigned blocks = B > 0 && T > 0 && S > 0 ? blocks_for(B * T * S) : 0;
  if (blocks == 0) return cudaErrorInvalidValue;
  return launch_chained<causal_mask_kernel>(dim3(blocks), dim3(kThreads), 0, stream, valid, valid_stride,
                                            slots, allowed, B * T * S, T, S);
}

cudaError_t silu_mul(const void* gate, int64_t gate_row_stride, const void* up, int64_t up_row_stride,
                     void* out, int64_t rows, int64_t cols, Dtype dtype, cudaStream_t stream) {
  const unsigned blocks = rows > 0 && cols > 0 ? blocks_for(rows * cols) : 0;
  if (blocks == 0) return cudaErrorInvalidValue;
  return dispatch(dtype, [&](auto tag) {
    using E = decltype(tag);
    return launch_chained<silu_mul_kernel<E>>(
        dim3(blocks), dim3(kThreads), 0, stream, static_cast<const E*>(gate), gate_row_stride,
        static_cast<const E*>(up), up_row_stride, static_cast<E*>(out), rows, cols);
  });
}

}  // namespace lq::kernels
