// Fused 4-bit matrix-vector product on CUDA cores (M = 1, any activation type): y[N] = W[N, K] x[K], W
// decoded in registers. float32 activations run here, and float16 / bfloat16 where the tensor-core kernel
// (matvec_4bit_mma_gpu.cu, about one instruction a weight against ~6 here) does not apply. At M = 1
// the kernel only has to move the codes and scales (N K / 2 bytes + scales) at HBM speed; at ~3 TB/s
// and ~1 us latency that needs ~20 KB of loads in flight on each of the 132 SMs, even for N = 2048:
//  - kt threads (a power of two up to the CTA) split K for a group of kRows rows; each thread takes
//    one 32-element chunk (16 bytes of codes) of each of its rows per step and issues all kRows code
//    loads and their scale loads (streaming, evict-first) before consuming any; at most 64 registers
//    keep 4 CTAs on an SM, so the 512 CTAs of a 2048 x 8192 or 8192 x 2048 layer run in one wave;
//  - x is read straight from global memory (L1-resident after the first touch), once per chunk for
//    all kRows rows: nothing is staged and no barrier stands before the weight loads;
//  - the 16 code values live one per lane and are read with __shfl_sync; the 256-entry dynamic map of
//    the nested absmax sits in shared memory (indexed per lane, which the constant bank would serialize);
//  - partial sums are reduced with shuffles in a warp, then through shared memory across warps.
//  - a group of weights (q/k/v, gate/up) runs as one launch: each weight gets its own run of CTAs and
//    writes its own columns of y; a residual is added as the result is stored.
//  - with a norm (matvec_4bit_normed_cuda), each CTA first normalizes the block's hidden state into shared
//    memory (the engine's RMSNorm rounding) and reads x from there: no separate norm kernel at decode;
//  - launches are chained (lq::cuda::launch_chained): a CTA prefetches its rows' codes and scales into L2
//    while the kernel before it finishes, then waits for x.
// The host picks kt from K and kRows from the total rows so that every SM gets work. Out-of-range rows and
// chunks load nothing (zero codes, zero scale) and are never stored.
#include "device_common.cuh"
#include "matmul_4bit_args.cuh"
#include "matvec_4bit_kernels.h"
#include "rms_norm_into.cuh"

namespace bnb4 {
namespace {

constexpr int kThreads = 256;
constexpr unsigned kFullMask = 0xffffffffu;

// Tables the kernel indexes, passed by value: the dynamic map only when the absmax is nested.
template <bool kNested>
struct Tables {
  Table16 values;
};
template <>
struct Tables<true> {
  Table16 values;
  Table256 map;
};

// Value of element e (0..31) of a 16-byte chunk of codes (byte e / 2, high nibble first). Both half-
// warps hold the 16 values (lane l has entry l % 16), and a width-16 shuffle reads lane
// (l & 16) | (index & 15): shfl.sync keeps only the index's low bits, so the code needs no mask.
__device__ __forceinline__ float decode(const uint4& q, int e, float lane_value) {
  const int byte = e / 2;
  const uint32_t bits = word_of(q, byte / 4) >> ((byte % 4) * 8 + (e % 2 ? 0 : 4));
  return __shfl_sync(kFullMask, lane_value, static_cast<int>(bits), 16);
}

// kNorm: x is the block's hidden state, normalized first with norm_weight into shared memory (K elements).
template <typename T, int kRows, bool kNested, bool kNorm>
__global__ void __launch_bounds__(kThreads, 4)
    matvec_4bit_kernel(const T* __restrict__ x, int64_t K, GroupLayout args, int kt, Tables<kNested> tables,
                       const T* __restrict__ residual, const T* __restrict__ norm_weight, float eps,
                       T* __restrict__ y) {
  extern __shared__ uint4 normalized[];   // kNorm: x normalized, K elements of T
  constexpr int kElems = 16 / sizeof(T);  // x elements per 16-byte unit
  constexpr int kUnits = 32 / kElems;     // units per 32-element chunk
  __shared__ float partial[kThreads / 32][kRows];
  __shared__ float map[kNested ? 256 : 1];
  const int s = args.weight_of(blockIdx.x);
  const Packed4bit& w = args.g.w[s];
  const int64_t N = args.g.rows[s];
  const int64_t cta = blockIdx.x - args.first_block(s);
  T* const ys = y + args.col0[s];
  const T* const rs = residual ? residual + args.col0[s] : nullptr;
  const int lane = threadIdx.x % 32;
  const int j = threadIdx.x & (kt - 1);  // this thread's chunk lane along K
  const int groups = kThreads / kt;      // row groups per CTA
  const int64_t row0 = (cta * groups + threadIdx.x / kt) * kRows;
  const int64_t chunks = K / 32;
  const int shift = __ffs(w.blocksize) - 1;
  const float lane_value = tables.values.v[lane & 15];
  const uint32_t zero = static_cast<uint32_t>(K >> 62);
  float acc[kRows] = {};
  lq::cuda::let_next_kernel_start();
  if (threadIdx.x == 0) prefetch_rows_l2(w, cta * groups * kRows, groups * kRows, K);
  lq::cuda::wait_for_previous_kernel();
  if constexpr (kNorm) {
    rms_norm_into<T>(x, norm_weight, eps, K, reinterpret_cast<T*>(normalized));
    x = reinterpret_cast<const T*>(normalized);
  }

  // Same trip count for every thread: the shuffles below need the whole warp.
  for (int64_t c0 = 0; c0 < chunks; c0 += kt) {
    const int64_t c = c0 + j;
    const bool in_k = c < chunks;
    uint4 q[kRows];
    float absmax[kRows];  // the scale, or absmax2 while nested codes are pending
    uint32_t nested_code[kRows];
#pragma unroll
    for (int r = 0; r < kRows; ++r) {
      const bool ok = in_k && row0 + r < N;
      const int64_t e = (row0 + r) * K + c * 32;
      const int64_t b = e >> shift;
      q[r] = ok ? __ldcs(reinterpret_cast<const uint4*>(w.packed + e / 2)) : make_uint4(0, 0, 0, 0);
      if constexpr (kNested) {
        nested_code[r] = ok ? __ldcs(w.nested_codes + b) : 0;
        absmax[r] = ok ? __ldg(w.absmax2 + b / kNestedBlocksize) : 0.0f;
      } else {
        nested_code[r] = 0;
        absmax[r] = ok ? __ldcs(w.absmax + b) : 0.0f;
      }
    }
    // ptxas issues a load only as early as its latency model asks (and may defer or repeat it), while
    // HBM under load is slower: make every decode depend on every code and scale load so that all of
    // them are in flight before any is consumed. (`zero` is 0 for every valid K; the compiler cannot
    // know that.)
    // The nested map is copied to shared memory while the first loads are in flight.
    if constexpr (kNested) {
      if (c0 == 0) {
        map[threadIdx.x] = tables.map.v[threadIdx.x];  // kThreads == 256
        __syncthreads();
      }
    }
    uint32_t all = 0;
#pragma unroll
    for (int r = 0; r < kRows; ++r)
      all |= q[r].x ^ q[r].y ^ q[r].z ^ q[r].w ^ __float_as_uint(absmax[r]) ^ nested_code[r];
#pragma unroll
    for (int r = 0; r < kRows; ++r) q[r].x |= all & zero;
    float s[kRows] = {};
    const uint4* xc = reinterpret_cast<const uint4*>(x + c * 32);
#pragma unroll
    for (int u = 0; u < kUnits; ++u) {
      float xv[kElems];
      unit_to_float<T>(in_k ? (kNorm ? xc[u] : __ldg(xc + u)) : make_uint4(0, 0, 0, 0), xv);
#pragma unroll
      for (int r = 0; r < kRows; ++r)
#pragma unroll
        for (int i = 0; i < kElems; ++i) s[r] = fmaf(decode(q[r], u * kElems + i, lane_value), xv[i], s[r]);
    }
#pragma unroll
    for (int r = 0; r < kRows; ++r) {
      float scale = absmax[r];
      if constexpr (kNested)
        scale = in_k && row0 + r < N ? nested_absmax(map[nested_code[r]], absmax[r], w.offset) : 0.0f;
      acc[r] = fmaf(s[r], scale, acc[r]);
    }
  }

  if (kt <= 32) {  // the group lies in one warp: a butterfly over its kt lanes
#pragma unroll
    for (int r = 0; r < kRows; ++r)
      for (int off = kt / 2; off > 0; off /= 2) acc[r] += __shfl_xor_sync(kFullMask, acc[r], off);
#pragma unroll
    for (int r = 0; r < kRows; ++r)
      if (j == (r & (kt - 1)) && row0 + r < N) ys[row0 + r] = store_value(acc[r], rs, row0 + r);
    return;
  }
#pragma unroll
  for (int r = 0; r < kRows; ++r)
    for (int off = 16; off > 0; off /= 2) acc[r] += __shfl_xor_sync(kFullMask, acc[r], off);
  float mine = acc[0];
#pragma unroll
  for (int r = 1; r < kRows; ++r)
    if (lane == r) mine = acc[r];
  if (lane < kRows) partial[threadIdx.x / 32][lane] = mine;
  __syncthreads();
  if (threadIdx.x >= groups * kRows) return;
  const int g = threadIdx.x / kRows, r = threadIdx.x % kRows, warps = kt / 32;
  float sum = 0.0f;
  for (int i = 0; i < warps; ++i) sum += partial[g * warps + i][r];
  const int64_t row = (cta * groups + g) * kRows + r;
  if (row < N) ys[row] = store_value(sum, rs, row);
}

// The norm, when given: its weight and epsilon.
template <typename T>
struct Norm {
  const T* weight = nullptr;
  float eps = 0.0f;
};

template <typename T, int kRows, bool kNested>
cudaError_t launch_tables(const T* x, int64_t K, const GroupLayout& args, int kt, Tables<kNested> tables,
                          const T* residual, Norm<T> norm, T* y, cudaStream_t stream) {
  const dim3 grid(static_cast<unsigned>(args.blocks()));
  if (norm.weight)
    return lq::cuda::launch_chained<matvec_4bit_kernel<T, kRows, kNested, true>>(
        grid, dim3(kThreads), static_cast<size_t>(K) * sizeof(T), stream, x, K, args, kt, tables, residual,
        norm.weight, norm.eps, y);
  return lq::cuda::launch_chained<matvec_4bit_kernel<T, kRows, kNested, false>>(
      grid, dim3(kThreads), 0, stream, x, K, args, kt, tables, residual, norm.weight, norm.eps, y);
}

template <typename T, int kRows>
cudaError_t launch(const T* x, int64_t K, const WeightGroup& group, int kt, const T* residual, Norm<T> norm,
                   T* y, cudaStream_t stream) {
  const GroupLayout args(group, static_cast<int64_t>(kThreads / kt) * kRows);  // one CTA's rows per block
  if (args.blocks() > 0x7fffffff) return cudaErrorInvalidValue;
  const Table16 values = table16(args.g.w[0].type);
  if (args.g.w[0].nested())
    return launch_tables<T, kRows, true>(x, K, args, kt, Tables<true>{values, dynamic_map_table()}, residual,
                                         norm, y, stream);
  return launch_tables<T, kRows, false>(x, K, args, kt, Tables<false>{values}, residual, norm, y, stream);
}

}  // namespace

cudaError_t matvec_4bit_cuda_cores(const void* x, ElemType x_type, int64_t K, const WeightGroup& group,
                                   const void* residual, const void* norm_weight, float eps, void* y,
                                   cudaStream_t stream) {
  if (const cudaError_t e = check_group_args(x, 1, K, group); e != cudaSuccess) return e;
  int64_t total = 0;
  for (int i = 0; i < group.count; ++i) total += group.rows[i];
  // kt: enough threads along K that each takes about one chunk per row (up to the whole CTA).
  const int64_t chunks = K / 32;
  int kt = 1;
  while (kt < kThreads && kt < chunks) kt *= 2;
  // kRows: the most rows per thread (fewest x loads per code byte) that still gives every SM a CTA.
  const int64_t groups = kThreads / kt, sms = multiprocessors();
  auto ctas = [&](int64_t rows) { return (total + rows * groups - 1) / (rows * groups); };
  const int rows = ctas(4) >= sms ? 4 : ctas(2) >= sms ? 2 : 1;
  BNB4_DISPATCH_ELEM(x_type, {
    const T* xt = static_cast<const T*>(x);
    const T* rt = static_cast<const T*>(residual);
    const Norm<T> norm{static_cast<const T*>(norm_weight), eps};
    T* yt = static_cast<T*>(y);
    if (rows == 4) return launch<T, 4>(xt, K, group, kt, rt, norm, yt, stream);
    if (rows == 2) return launch<T, 2>(xt, K, group, kt, rt, norm, yt, stream);
    return launch<T, 1>(xt, K, group, kt, rt, norm, yt, stream);
  });
  return cudaErrorInvalidValue;
}

}  // namespace bnb4
