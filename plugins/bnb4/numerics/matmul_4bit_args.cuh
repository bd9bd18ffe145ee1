// What the fused matmul entry points share (matrix-vector, batch and tiled kernels): argument checks,
// a weight group's layout over the grid, prefetching a block's rows, and how an output is stored.
#pragma once

#include "device_common.cuh"
#include "matmul_4bit.h"

namespace bnb4 {

// cudaErrorInvalidValue for a shape the kernels do not take (M outside 1..kFusedMaxBatch, K not a positive
// multiple of 32, no rows, a weight that is not N x K, a blocksize bitsandbytes lacks);
// cudaErrorMisalignedAddress where a 16-byte vector load would be misaligned.
inline cudaError_t check_matmul_args(const void* x, int64_t M, int64_t K, const Packed4bit& w, int64_t N) {
  if (!fused_matmul_supported(M, K) || K < 32 || N < 1 || w.n != N * K || !valid_blocksize(w.blocksize))
    return cudaErrorInvalidValue;
  if (!aligned16(x) || !aligned16(w.packed)) return cudaErrorMisalignedAddress;
  return cudaSuccess;
}

// check_matmul_args for every weight of a group of 1..kMaxGroup, which must share one code type and
// absmax form.
inline cudaError_t check_group_args(const void* x, int64_t M, int64_t K, const WeightGroup& group) {
  if (group.count < 1 || group.count > kMaxGroup) return cudaErrorInvalidValue;
  for (int i = 0; i < group.count; ++i) {
    const Packed4bit& w = group.w[i];
    if (const cudaError_t e = check_matmul_args(x, M, K, w, group.rows[i]); e != cudaSuccess) return e;
    if (w.type != group.w[0].type || w.nested() != group.w[0].nested()) return cudaErrorInvalidValue;
  }
  return cudaSuccess;
}

// The current device's SM count (132, an H100's, if it cannot be read): grids are sized to fill them.
inline int multiprocessors() {
  const int sms = lq::cuda::current_device_traits().sms;
  return sms > 0 ? sms : 132;
}

// A group over a grid of blocks (CTAs, tiles) of `rows_per_block` weight rows each: weight i takes blocks
// [first_block(i), end[i]) and writes y's columns [col0[i], col0[i] + rows[i]).
struct GroupLayout {
  WeightGroup g;
  int64_t end[kMaxGroup] = {};
  int64_t col0[kMaxGroup] = {};
  int64_t total_rows = 0;  // y's row length

  GroupLayout(const WeightGroup& group, int64_t rows_per_block) : g(group) {
    int64_t blocks = 0;
    for (int i = 0; i < g.count; ++i) {
      blocks += (g.rows[i] + rows_per_block - 1) / rows_per_block;
      end[i] = blocks;
      col0[i] = total_rows;
      total_rows += g.rows[i];
    }
  }
  int64_t blocks() const { return end[g.count - 1]; }
  __device__ int weight_of(int64_t block) const {
    int s = 0;
    while (s + 1 < g.count && block >= end[s]) ++s;
    return s;
  }
  __device__ int64_t first_block(int s) const { return s ? end[s - 1] : 0; }
};

// Starts fetching bytes [begin, end) of `base`, widened to 16-byte boundaries, into L2.
__device__ __forceinline__ void prefetch_span_l2(const void* base, int64_t begin, int64_t end) {
  constexpr uintptr_t kMost = 64 << 10;  // bytes per prefetch instruction
  const uintptr_t a = (reinterpret_cast<uintptr_t>(base) + begin) & ~uintptr_t{15};
  const uintptr_t b = (reinterpret_cast<uintptr_t>(base) + end + 15) & ~uintptr_t{15};
  for (uintptr_t p = a; p < b; p += kMost)
    lq::cuda::prefetch_l2(reinterpret_cast<const void*>(p),
                          static_cast<uint32_t>(b - p < kMost ? b - p : kMost));
}

// CTA `cta` of `ctas` starts fetching its share of each run of `next` into L2: thread i of the CTA the
// share of run i (threads from `first_thread`, so that the first warp's own loads go first).
__device__ __forceinline__ void prefetch_share_l2(const L2Prefetch& next, int64_t cta, int64_t ctas,
                                                  int first_thread) {
  const int run = static_cast<int>(threadIdx.x) - first_thread;
  if (run < 0 || run >= next.count) return;
  const int64_t share = (next.bytes[run] + ctas - 1) / ctas, begin = cta * share;
  if (begin < next.bytes[run])
    prefetch_span_l2(next.data[run], begin,
                     begin + share < next.bytes[run] ? begin + share : next.bytes[run]);
}

// Starts fetching rows [row0, row0 + rows) of w (K columns) into L2, codes and scales: what a chained
// kernel may do before it waits for its input (lq::cuda, chained_launch.cuh), as no kernel writes them.
__device__ __forceinline__ void prefetch_rows_l2(const Packed4bit& w, int64_t row0, int64_t rows, int64_t K) {
  const int64_t first = row0 * K, last = (row0 + rows) * K < w.n ? (row0 + rows) * K : w.n;  // elements
  if (first >= last) return;
  prefetch_span_l2(w.packed, first / 2, (last + 1) / 2);
  const int shift = __ffs(w.blocksize) - 1;
  const int64_t b0 = first >> shift, b1 = ((last - 1) >> shift) + 1;
  if (w.nested_codes)
    prefetch_span_l2(w.nested_codes, b0, b1);
  else
    prefetch_span_l2(w.absmax, b0 * 4, b1 * 4);
}

// The stored output: the sum, plus the residual's element when there is one, rounded once; loaded here, or
// (residual_value) by a caller that asked for it earlier. Two bodies of one formula: each form compiles as
// its kernels were measured.
template <typename T>
__device__ __forceinline__ T store_value(float sum, const T* residual, int64_t i) {
  return from_float<T>(residual ? sum + to_float(residual[i]) : sum);
}
template <typename T>
__device__ __forceinline__ T store_value(float sum, bool has_residual, float residual_value) {
  return from_float<T>(has_residual ? sum + residual_value : sum);
}

}  // namespace bnb4
