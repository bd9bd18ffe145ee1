// Greedy choice over a step's logits in two chained kernels: CTAs over (chunk of the vocabulary, row) each
// reduce their chunk to its best score, that score's first index and the runner-up score; one warp per row
// merges the chunks (and moves a decode step's counters on, so that no kernel follows). The formula it
// replaces (logits.to(float) + bias, argmax, topk(2)) reads and writes the 128,256 scores of a Llama 3 row
// several times over in four kernels, the argmax alone in one CTA.
#include <cmath>

#include "ops/fused_kernels.h"
#include "ops/kernel_common.cuh"

namespace lq::kernels {
namespace {

constexpr int kThreads = 256, kChunk = 2048;

struct Candidate {
  float best, second;
  int index;
};

// Whether score a at index ia comes before b at ib, in at::argmax's order: NaN first, then larger, then
// the lower index.
__device__ __forceinline__ bool before(float a, int ia, float b, int ib) {
  const bool nan_a = isnan(a), nan_b = isnan(b);
  if (nan_a != nan_b) return nan_a;
  if (nan_a || a == b) return ia < ib;
  return a > b;
}
__device__ __forceinline__ float larger(float a, float b) { return isnan(a) || a > b ? a : b; }

__device__ __forceinline__ void merge(Candidate& c, float best, float second, int index) {
  if (before(best, index, c.best, c.index)) {
    c.second = larger(c.best, second);
    c.best = best, c.index = index;
  } else {
    c.second = larger(c.second, best);
  }
}

__device__ __forceinline__ void merge_warp(Candidate& c) {
#pragma unroll
  for (int off = 16; off > 0; off /= 2)
    merge(c, __shfl_xor_sync(0xffffffffu, c.best, off), __shfl_xor_sync(0xffffffffu, c.second, off),
          __shfl_xor_sync(0xffffffffu, c.index, off));
}

constexpr Candidate kNone{-INFINITY, -INFINITY, 0x7fffffff};

template <typename T>
__global__ void __launch_bounds__(kThreads)
    chunk_kernel(const T* __restrict__ logits, const float* __restrict__ bias, int vocab,
                 Candidate* __restrict__ chunks) {
  let_next_kernel_start();
  wait_for_previous_kernel();
  const int chunk = blockIdx.x, row = blockIdx.y;
  const T* scores = logits + static_cast<int64_t>(row) * vocab;
  Candidate c = kNone;
  const int last = min(vocab, (chunk + 1) * kChunk);
  for (int i = chunk * kChunk + threadIdx.x; i < last; i += kThreads)
    merge(c, bias[i] == -INFINITY ? -INFINITY : to_float(scores[i]) + bias[i], -INFINITY,
          i);  // a ban holds at +inf
  merge_warp(c);
  __shared__ Candidate warps[kThreads / 32];
  if (threadIdx.x % 32 == 0) warps[threadIdx.x / 32] = c;
  __syncthreads();
  if (threadIdx.x >= 32) return;
  c = threadIdx.x < kThreads / 32 ? warps[threadIdx.x] : kNone;
  merge_warp(c);
  if (threadIdx.x == 0) chunks[row * gridDim.x + chunk] = c;
}

__global__ void row_kernel(const Candidate* __restrict__ chunks, int num_chunks, int64_t* __restrict__ next,
                           float* __restrict__ margins, StepCounters advance) {
  let_next_kernel_start();
  wait_for_previous_kernel();
  const int row = blockIdx.x;
  Candidate c = kNone;
  for (int i = threadIdx.x; i < num_chunks; i += 32) {
    const Candidate& o = chunks[row * num_chunks + i];
    merge(c, o.best, o.second, o.index);
  }
  merge_warp(c);
  if (threadIdx.x != 0) return;
  next[row] = c.index;
  if (margins) margins[row] = c.best - c.second;
  if (advance.positions) advance.positions[row] += 1;
  if (advance.slot && row == 0) *advance.slot += 1;
}

}  // namespace

int64_t greedy_workspace_bytes(int64_t rows, int64_t vocab) {
  return rows * ((vocab + kChunk - 1) / kChunk) * static_cast<int64_t>(sizeof(Candidate));
}

cudaError_t greedy(const void* logits, const float* bias, int64_t rows, int64_t vocab, int64_t* next,
                   float* margins, void* workspace, Dtype dtype, cudaStream_t stream, StepCounters advance) {
  if (rows <= 0 || rows > 65535 || vocab < 1 || vocab >= 0x7fffffff || !workspace)
    return cudaErrorInvalidValue;
  const int chunks = static_cast<int>((vocab + kChunk - 1) / kChunk);
  auto* candidates = static_cast<Candidate*>(workspace);
  const cudaError_t e = dispatch(dtype, [&](auto tag) {
    using T = decltype(tag);
    return launch_chained<chunk_kernel<T>>(dim3(chunks, static_cast<unsigned>(rows)), dim3(kThreads), 0,
                                           stream, static_cast<const T*>(logits), bias,
                                           static_cast<int>(vocab), candidates);
  });
  if (e != cudaSuccess) return e;
  return launch_chained<row_kernel>(dim3(static_cast<unsigned>(rows)), dim3(32), 0, stream,
                                    static_cast<const Candidate*>(candidates), chunks, next, margins,
                                    advance);
}

}  // namespace lq::kernels
