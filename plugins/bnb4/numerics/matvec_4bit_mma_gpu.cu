// Fused 4-bit matrix-vector product on tensor cores (M = 1, float16 / bfloat16): y[N] = W[N, K] x
// (+ residual), for one weight or a group side by side; with a norm, x = RMSNorm(h) computed by each CTA.
//
// Why this shape: at M = 1 the floor is the weight bytes at HBM speed (2048 x 8192 in NF4: 9.4 MB, 3.1 us at
// 3 TB/s, ~127 K weights per SM in ~6 K cycles). The CUDA-core kernel (matvec_4bit_gpu.cu) spends ~6
// instructions a weight (shuffle decode, FMA, x conversion) and falls behind the bytes; here a byte (two
// weights) costs two integer instructions and one shared-memory load, and the FMAs go to mma.m16n8k16:
//  - decode: a PRMT (and the table's base added) gives the address of the byte's value pair in a 256-entry
//    table kept once per lane (row = byte, 256 bytes apart; lane l reads bank l, so a warp's 32 loads never
//    conflict), one LDS reads the pair, which is the mma's A register for those two weights;
//  - sums: a warp's step is 16 rows x 128 weights, lane (g, t) holding chunk t (32 weights) of rows g and
//    g + 8; B holds x of chunk t in column t only, so each column of the product sums one chunk, and the
//    chunk's block scale is applied in float32 afterwards (blocksize 32 puts each chunk in its own block);
//  - work: a CTA takes 1..16 consecutive 16-row tiles and its warps split them and K (tiles x slices <= 16
//    warps), so that one CTA per SM covers the rows where they allow and each CTA builds its table once;
//  - latency: a warp's first kUnroll steps of code and scale loads are issued before the table is built
//    and before the kernel waits for the one before it (chained launch; weights are never written by it),
//    and each later step is loaded as soon as its registers are consumed: a layer's bytes are in flight
//    while the previous kernel finishes; a residual (o, down) is asked for with x right after the wait, not
//    after the sums, where its L2 round trip would end every CTA; where the shape allows (Scales::kHeld),
//    the scales of all of a warp's steps come in one load with the first steps', not one a row and step;
//  - the next product's weights (WeightGroup::next, at decode) are asked of L2 once this CTA's first loads
//    are issued, each CTA a share: HBM keeps streaming through this kernel's tail and the kernels between,
//    and the next product's first loads hit L2;
//  - x (or RMSNorm(h), rounded as the engine's norm kernel rounds it) is staged once per CTA in shared
//    memory; warps reduce through shared memory in a fixed order (deterministic);
//  - gated (gate/up at decode, matvec_4bit_normed_swiglu_cuda): a CTA's tiles alternate between gate and up
//    over the same rows, so that the CTA ends with both sums of each row and stores SwiGLU's gate of them:
//    no separate gate kernel, and the same sums as the plain launch where both pick the same tiles and
//    slices (Llama's gate/up).
// Values: as the M = 2..16 tensor-core kernel, the 16 code values are rounded to T once; products and sums
// are float32 and the scale is applied in float32. (Measured against the CUDA-core kernel: BENCHMARKS.md.)
#include <algorithm>

#include "matmul_4bit_args.cuh"
#include "matvec_4bit_kernels.h"
#include "mma_common.cuh"
#include "phase_stamps.cuh"
#include "rms_norm_into.cuh"

namespace bnb4 {
namespace {

// One weight row's state for a step: its chunk, and the scales of the two chunks whose sums this lane
// scales (nested: the codes and absmax2 until the step is consumed).
struct RowLoad {
  uint4 q;
  float scale[2];
  uint32_t code[2];
};

// How a lane gets the scales of the chunks it scales (lane t < 2: chunks 2t and 2t + 1 of each step):
//  - kPerChunk: each chunk's scale loaded with its step (blocksize 32, or K not a multiple of 64);
//  - kPaired: the two chunks lie in one block (blocksize >= 64, K a multiple of 64), one scale a step loaded
//    with it; nested, each row's blocks lie in one group of kNestedBlocksize and its absmax2 is loaded once;
//  - kHeld: paired, and a warp's scales for all of its steps come from one aligned load before the steps
//    (blocksize 64, K a multiple of 1024, a power-of-two `per` up to 8), the quad's four lanes holding a
//    quarter each (2 x per floats a row, or their codes) and passing each step's by shuffle; nested codes are
//    decoded once x is staged, so that a double-quant step does what a float32 one does. A load a row and
//    step was as many load instructions as the codes' own (the phase tool, session 23: 20-25 of double
//    quant's 450 us in 16 layers).
enum class Scales { kPerChunk, kPaired, kHeld };

// Chunk `chunk` of the row whose first weight is at row_base (zeros unless code_ok and the chunk lies within
// the row's `chunks`) and, unless held, the scales of chunks scale_chunk and scale_chunk + 1 (zero unless
// scale_ok and within the row; paired: one for both; nested: the codes, and per chunk their absmax2). Codes
// stream past L1 (read once); scales go through it (a 32-byte sector holds the next steps' scales).
template <bool kNested, Scales kS>
__device__ __forceinline__ RowLoad load_row(const Packed4bit& w, int64_t row_base, bool code_ok,
                                            bool scale_ok, int chunks, int chunk, int scale_chunk,
                                            int shift) {
  constexpr bool kOne = kS != Scales::kPerChunk;
  RowLoad r;
  const bool ok = code_ok && chunk < chunks;
  r.q = ok ? __ldcs(reinterpret_cast<const uint4*>(w.packed + ((row_base + chunk * 32) >> 1)))
           : make_uint4(0, 0, 0, 0);
#pragma unroll
  for (int h = 0; h < (kOne ? 1 : 2); ++h) {
    const bool s_ok = scale_ok && scale_chunk + h < chunks;
    const int64_t b = (row_base + (scale_chunk + h) * 32) >> shift;
    if constexpr (kS == Scales::kHeld) {
      r.code[h] = 0;
      r.scale[h] = 0.0f;
    } else if constexpr (kNested) {
      r.code[h] = s_ok ? __ldg(w.nested_codes + b) : 0u;
      r.scale[h] = s_ok && !kOne ? __ldg(w.absmax2 + b / kNestedBlocksize) : 0.0f;
    } else {
      r.code[h] = 0;
      r.scale[h] = s_ok ? __ldg(w.absmax + b) : 0.0f;
    }
  }
  return r;
}

// Nested, paired or held: the absmax2 of the row whose first weight is at row_base, 0 where not ok. Loaded up
// front and read only when a step is consumed, so that no load waits for it.
template <bool kNested, Scales kS>
__device__ __forceinline__ float row_absmax2(const Packed4bit& w, int64_t row_base, bool ok, int shift) {
  if constexpr (!kNested || kS == Scales::kPerChunk) return 0.0f;
  return ok ? __ldg(w.absmax2 + (row_base >> shift) / kNestedBlocksize) : 0.0f;
}

// Held: this lane's share of a row's scales for the warp's steps [first, first + per), zeros where not ok:
// scales [4t, 4t + 4) of the row's 2 x per (lanes with 4t < 2 per), as floats or (nested) as code bytes in
// .x, which settle_held() turns into floats once x is staged: nothing before the weights' loads may use
// these loads' data (a use there holds the CTA's first weight loads for a round trip: session 24, -5%).
template <bool kNested, Scales kS>
__device__ __forceinline__ uint4 held_scales(const Packed4bit& w, int64_t row_base, bool ok, int first,
                                             int per, int t) {
  uint4 v = make_uint4(0, 0, 0, 0);
  if constexpr (kS == Scales::kHeld) {
    if (!ok || 4 * t >= 2 * per) return v;
    const int64_t b0 = (row_base >> 6) + first * 2;  // the first step's block (blocksize 64)
    if constexpr (kNested) {
      const unsigned char* p = w.nested_codes + b0 + 4 * t;  // aligned: b0 is a multiple of 2 per
      v.x = per == 1 ? __ldg(reinterpret_cast<const unsigned short*>(p))
                     : __ldg(reinterpret_cast<const unsigned int*>(p));
    } else {
      const float* p = w.absmax + b0 + 4 * t;
      if (per == 1) {
        const uint2 q = __ldg(reinterpret_cast<const uint2*>(p));
        v.x = q.x;
        v.y = q.y;
      } else {
        v = __ldg(reinterpret_cast<const uint4*>(p));
      }
    }
  }
  return v;
}

// Held: the scales held_scales loaded, as floats: nested, its codes decoded through the staged map.
template <bool kNested>
__device__ __forceinline__ uint4 settle_held(uint4 loaded, const float* map, float absmax2, float offset) {
  if constexpr (!kNested) return loaded;
  const uint32_t codes = loaded.x;
  float f[4];
#pragma unroll
  for (int i = 0; i < 4; ++i) f[i] = nested_absmax(map[(codes >> (8 * i)) & 0xffu], absmax2, offset);
  return make_uint4(__float_as_uint(f[0]), __float_as_uint(f[1]), __float_as_uint(f[2]),
                    __float_as_uint(f[3]));
}

// Held: the scale of this lane's chunks (t < 2) at the warp's step s, from the quad's lane s / 2,
// which holds floats 4 (s / 2) .. + 3 of the row's. Every lane of the warp takes part.
__device__ __forceinline__ float held_scale(uint4 held, int s, int lane, int t) {
  const int src = (lane & ~3) | (s >> 1);
  const uint32_t lo = s % 2 ? held.z : held.x, hi = s % 2 ? held.w : held.y;
  const uint32_t v0 = __shfl_sync(0xffffffffu, lo, src), v1 = __shfl_sync(0xffffffffu, hi, src);
  return __uint_as_float(t ? v1 : v0);
}

// The scale of a loaded chunk: the float32 absmax, or its nested form decoded through the dynamic map with
// the chunk's absmax2 (paired: the row's). Held: the step's, from held_scale.
template <bool kNested, Scales kS>
__device__ __forceinline__ float chunk_scale(const RowLoad& r, int h, bool ok, const float* map, float offset,
                                             float row_absmax2, float held) {
  const int i = kS == Scales::kPerChunk ? h : 0;
  if constexpr (kS == Scales::kHeld) return held;
  if constexpr (kNested)
    return ok ? nested_absmax(map[r.code[i]], kS == Scales::kPerChunk ? r.scale[i] : row_absmax2, offset)
              : 0.0f;
  return r.scale[i];
}

// The dynamic map in the module image (loaded with the module in every context: nothing to initialise). A
// nested kernel's CTAs stage it with coalesced loads that stay cached from launch to launch; as a 1 KB kernel
// parameter each thread's entry was a constant load at its own address, 32 accesses in turn a warp.
__device__ const float kDynamicMapOnDevice[256] = {
#include "dynamic_map_values.inc"
};

constexpr int kMaxWarps = 16;
constexpr int kStep = 128;              // weights of a row per warp step
constexpr int kTableBytes = 256 * 256;  // [byte][64 words], lane l uses word l
constexpr unsigned kFullMask = 0xffffffffu;

// Shared-memory table entry for byte `byte_index` (0..3) of `word`: PRMT puts the byte at bits 8..15 beside
// the lane's offset (lane * 4) at bits 0..7, i.e. row `byte` of the table, this lane's word.
__device__ __forceinline__ uint32_t table_entry(const unsigned char* table, uint32_t word, int byte_index,
                                                uint32_t lane_offset) {
  const uint32_t at = __byte_perm(word, lane_offset, 0x6504u | (static_cast<uint32_t>(byte_index) << 4));
  return *reinterpret_cast<const uint32_t*>(table + at);
}

struct Shape {
  int tiles_per_cta, slices, unroll;
  int per;  // steps of kStep weights per warp
};

// How a CTA's warps split its tiles and K, worked out on the host: a division by a runtime slice count costs
// each warp a few dozen instructions, and with 16 warps an SM on 4 schedulers every instruction before a
// warp's first load delays that load by ~4 cycles.
struct Split {
  int tiles_per_cta;
  int slice_shift;  // slices = 1 << slice_shift
  int per;          // steps of kStep weights per warp
};

// kGate: args lays out the gate weight alone (half a CTA's tiles of rows per block) and `up` is the up
// weight of the same shape; even tiles of a CTA read gate, odd ones up, over the same rows; y gets the gate.
template <typename T, int kUnroll, bool kNested, Scales kS, bool kNorm, bool kGate>
__global__ void __launch_bounds__(kMaxWarps * 32, 1)
    matvec_mma_kernel(const T* __restrict__ x, int64_t K, GroupLayout args, Packed4bit up, Split split,
                      const __grid_constant__ Table16 values, const T* __restrict__ residual,
                      const T* __restrict__ norm_weight, float eps, T* __restrict__ y) {
  extern __shared__ uint4 smem[];  // the table, then x
  __shared__ float map[kNested ? 256 : 1];
  __shared__ float partial[kMaxWarps][16];
  unsigned char* const table = reinterpret_cast<unsigned char*>(smem);
  T* const xs = reinterpret_cast<T*>(table + kTableBytes);

  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const int g = lane / 4, t = lane % 4;
  const int slices = 1 << split.slice_shift;
  const int tile = warp >> split.slice_shift, slice = warp & (slices - 1);
  const int s = args.weight_of(blockIdx.x);
  const Packed4bit w =
      kGate && tile % 2 ? up : args.g.w[s];  // a copy: a reference to either parameter would sit on the stack
  const int64_t rows = args.g.rows[s];
  const int tiles_per_cta = split.tiles_per_cta;
  const int row_tiles = kGate ? tiles_per_cta / 2 : tiles_per_cta;  // tiles of distinct rows
  const int64_t cta_row0 = (blockIdx.x - args.first_block(s)) * row_tiles * 16;
  const int64_t row0 = cta_row0 + (kGate ? tile / 2 : tile) * 16, ra = row0 + g, rb = row0 + g + 8;
  const bool ra_ok = ra < rows, rb_ok = rb < rows;
  const int shift = __ffs(w.blocksize) - 1;
  // This warp's steps of 128 weights: [first, last). Step and chunk indices fit in 32 bits (x is staged
  // whole: K * sizeof(T) <= kMatvecMaxXBytes); only the rows' offsets need 64.
  const int chunks = static_cast<int>(K / 32), steps = static_cast<int>((K + kStep - 1) / kStep);
  const int per = split.per, first = slice * per, last = first + per < steps ? first + per : steps;
  const int64_t base_a = ra * K, base_b = rb * K;

  // Lane t scales chunks 2t and 2t + 1 of its rows (columns 2t, 2t + 1 of the product); lanes 2, 3 none.
  // Nested, each row's absmax2 is loaded once here: paired, so that a step loads what a plain one does (its
  // codes and one scale code); held, for every lane of the quad to decode its quarter of the held codes.
  const bool scales = (t < 2 || (kNested && kS == Scales::kHeld)) && first < last;
  const float absmax2_a = row_absmax2<kNested, kS>(w, base_a, ra_ok && scales, shift),
              absmax2_b = row_absmax2<kNested, kS>(w, base_b, rb_ok && scales, shift);
  const bool holds = first < last;
  const uint4 loaded_a = held_scales<kNested, kS>(w, base_a, ra_ok && holds, first, per, t),
              loaded_b = held_scales<kNested, kS>(w, base_b, rb_ok && holds, first, per, t);
  RowLoad la[kUnroll], lb[kUnroll];
  auto load = [&](int u, int st) {
    const bool in = st < last;
    const int chunk = st * 4 + t, scale_chunk = st * 4 + 2 * t;
    la[u] = load_row<kNested, kS>(w, base_a, ra_ok && in, ra_ok && in && t < 2, chunks, chunk, scale_chunk,
                                  shift);
    lb[u] = load_row<kNested, kS>(w, base_b, rb_ok && in, rb_ok && in && t < 2, chunks, chunk, scale_chunk,
                                  shift);
  };

  // Phase 0: the CTA starts. The tag tells a decode layer's four launches apart: the variant, and K > 2048
  // for down (o has the same variant).
  LQ_PHASE_BEGIN(kNested * 8 + kNorm * 4 + kGate * 2 + (K > 2048));
  lq::cuda::let_next_kernel_start();
  // Nested: each thread requests its entry of the map (the first blockDim.x of 256) before the codes, so that
  // it does not queue behind the codes' loads, and stores it once x's loads are asked for after the wait: its
  // stall then overlaps x's round trip instead of delaying the wait (the barrier after x covers it).
  float map_entry = 0.0f;
  if constexpr (kNested)
    if (threadIdx.x < 256) map_entry = kDynamicMapOnDevice[threadIdx.x];
#pragma unroll
  for (int u = 0; u < kUnroll; ++u) load(u, first + u);
  LQ_PHASE(1);  // its first steps' loads issued
  if (threadIdx.x == 0 && per > kUnroll) {
    prefetch_rows_l2(args.g.w[s], cta_row0, row_tiles * 16, K);
    if constexpr (kGate) prefetch_rows_l2(up, cta_row0, row_tiles * 16, K);
  }
  prefetch_share_l2(args.g.next, blockIdx.x, gridDim.x, blockDim.x > 32 ? 32 : 0);
  for (int e = threadIdx.x; e < 256 * 8; e += blockDim.x) {  // 8 x 16 bytes = a row's 32 lane words
    const uint32_t p = Pair<T>::pack(values.v[(e >> 3) >> 4], values.v[(e >> 3) & 15]);
    reinterpret_cast<uint4*>(table + (e >> 3) * 256)[e & 7] = make_uint4(p, p, p, p);
  }
  auto store_map = [&] {
    if constexpr (kNested) {
      if (threadIdx.x < 256) map[threadIdx.x] = map_entry;
      for (int e = threadIdx.x + blockDim.x; e < 256; e += blockDim.x) map[e] = kDynamicMapOnDevice[e];
    }
  };
  LQ_PHASE(2);  // table written (by thread 0's share)
  lq::cuda::wait_for_previous_kernel();
  LQ_PHASE(3);  // the kernel before it has finished
  // The residual of the row this thread stores, asked for with x so that its latency hides behind x's and
  // the steps' instead of following the sums (residual may be y: only this thread reads and writes it).
  float residual_value = 0.0f;
  if constexpr (!kGate)
    if (residual && threadIdx.x < tiles_per_cta * 16 && cta_row0 + threadIdx.x < rows)
      residual_value = to_float(residual[args.col0[s] + cta_row0 + threadIdx.x]);
  if constexpr (kNorm) {
    rms_norm_into<T>(x, norm_weight, eps, K, xs, store_map);  // ends with a barrier
  } else {
    // A thread's first kXHeld units are all asked for before any is stored: one round trip, not one each.
    constexpr int kXHeld = 2;
    const uint4* xu = reinterpret_cast<const uint4*>(x);
    uint4* xsu = reinterpret_cast<uint4*>(xs);
    const int64_t units = K * static_cast<int64_t>(sizeof(T)) / 16, stride = blockDim.x;
    uint4 held[kXHeld];
#pragma unroll
    for (int i = 0; i < kXHeld; ++i)
      if (threadIdx.x + i * stride < units) held[i] = __ldg(xu + threadIdx.x + i * stride);
    store_map();
#pragma unroll
    for (int i = 0; i < kXHeld; ++i)
      if (threadIdx.x + i * stride < units) xsu[threadIdx.x + i * stride] = held[i];
    for (int64_t i = threadIdx.x + kXHeld * stride; i < units; i += stride) xsu[i] = __ldg(xu + i);
    __syncthreads();
  }

  LQ_PHASE(4);  // x (or the norm of h) staged, the table complete
  const uint4 held_a = settle_held<kNested>(loaded_a, map, absmax2_a, w.offset),
              held_b = settle_held<kNested>(loaded_b, map, absmax2_b, w.offset);
  // B: lane (g, t) holds column g at k-slots of chunk t, so only lanes with g == t carry x (of chunk t).
  const bool b_lane = g == t;
  const uint32_t lane_offset = static_cast<uint32_t>(lane) * 4;
  float acc[4] = {};
  for (int st0 = first; st0 < last; st0 += kUnroll) {
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int st = st0 + u;
      if (st >= last) break;  // uniform across the warp
      uint4 xb[4] = {};
      if (b_lane && st * 4 + t < chunks) {
        const uint4* xc = reinterpret_cast<const uint4*>(xs + st * kStep + t * 32);
#pragma unroll
        for (int i = 0; i < 4; ++i) xb[i] = xc[i];
      }
      float d[4] = {};
#pragma unroll
      for (int i = 0; i < 8; ++i) {  // mma i: bytes 2i, 2i + 1 of each row's chunk
        const uint32_t wa = word_of(la[u].q, i / 2), wb = word_of(lb[u].q, i / 2);
        const int b0 = (i % 2) * 2;
        const uint32_t a[4] = {
            table_entry(table, wa, b0, lane_offset), table_entry(table, wb, b0, lane_offset),
            table_entry(table, wa, b0 + 1, lane_offset), table_entry(table, wb, b0 + 1, lane_offset)};
        const uint4& xv = xb[i / 2];
        mma<T>(d, a, i % 2 ? xv.z : xv.x, i % 2 ? xv.w : xv.y);
      }
      // d: rows g, g, g + 8, g + 8 by chunks 2t, 2t + 1 (zero for t >= 2).
      float scale_a = 0.0f, scale_b = 0.0f;
      if constexpr (kS == Scales::kHeld) {
        scale_a = held_scale(held_a, st - first, lane, t);
        scale_b = held_scale(held_b, st - first, lane, t);
      }
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        acc[h] =
            fmaf(d[h], chunk_scale<kNested, kS>(la[u], h, ra_ok, map, w.offset, absmax2_a, scale_a), acc[h]);
        acc[2 + h] =
            fmaf(d[2 + h], chunk_scale<kNested, kS>(lb[u], h, rb_ok, map, w.offset, absmax2_b, scale_b),
                 acc[2 + h]);
      }
      if (st + kUnroll < last) load(u, st + kUnroll);
    }
  }

  LQ_PHASE(5);  // warp 0's steps consumed
  // Lanes t = 0, 1 hold the row's four chunk sums of each step; then the slices in order.
  float top = acc[0] + acc[1], bottom = acc[2] + acc[3];
  top += __shfl_xor_sync(kFullMask, top, 1);
  bottom += __shfl_xor_sync(kFullMask, bottom, 1);
  if (t == 0) {
    partial[warp][g] = top;
    partial[warp][g + 8] = bottom;
  }
  __syncthreads();
  LQ_PHASE(6);  // every warp's sums in shared memory
  if constexpr (kGate) {
    if (threadIdx.x >= row_tiles * 16) return;
    const int pair = threadIdx.x / 16, r = threadIdx.x % 16;
    const int64_t row = cta_row0 + pair * 16 + r;
    if (row >= rows) return;
    float gate_sum = 0.0f, up_sum = 0.0f;
    for (int sl = 0; sl < slices; ++sl) {
      gate_sum += partial[2 * pair * slices + sl][r];
      up_sum += partial[(2 * pair + 1) * slices + sl][r];
    }
    y[row] = lq::cuda::silu_mul_round_of_sums<T>(gate_sum, up_sum);
    LQ_PHASE_END();  // phase 7: thread 0's row stored
    return;
  }
  if (threadIdx.x >= tiles_per_cta * 16) return;
  const int my_tile = threadIdx.x / 16, r = threadIdx.x % 16;
  const int64_t row = cta_row0 + my_tile * 16 + r;
  if (row >= rows) return;
  float sum = 0.0f;
  for (int sl = 0; sl < slices; ++sl) sum += partial[my_tile * slices + sl][r];
  const int64_t at = args.col0[s] + row;
  y[at] = store_value<T>(sum, residual != nullptr, residual_value);
  LQ_PHASE_END();
}

int64_t pow2_at_least(int64_t n) {
  int64_t p = 1;
  while (p < n) p *= 2;
  return p;
}

// Warps per tile (slices of K) and tiles per CTA: as few slices as keep a warp at <= 8 steps, then as many
// tiles per CTA as still give ~0.7 of the SMs a CTA (one table build per CTA; the rest of the SMs would sit
// idle only on layers too small to fill them anyway), at least min_tiles, then every warp of the CTA in use.
Shape pick_shape(const WeightGroup& group, int64_t K, int64_t min_tiles) {
  const int64_t steps = (K + kStep - 1) / kStep;
  const int64_t min_slices = std::min<int64_t>(kMaxWarps / min_tiles, pow2_at_least((steps + 7) / 8));
  const int64_t sms = multiprocessors();
  int64_t tiles = kMaxWarps / min_slices;
  for (; tiles > min_tiles; tiles /= 2)
    if (GroupLayout(group, tiles * 16).blocks() * 10 >= sms * 7) break;
  const int64_t slices = std::min<int64_t>(kMaxWarps / tiles, pow2_at_least(steps));
  const int per = static_cast<int>((steps + slices - 1) / slices), unroll = per >= 4 ? 4 : per >= 2 ? 2 : 1;
  return {static_cast<int>(tiles), static_cast<int>(slices), unroll, per};
}

// One launch's arguments; `gated`: the group is [gate, up] and y gets SwiGLU's gate of each row.
template <typename T>
struct Call {
  const T* x;
  int64_t K;
  const WeightGroup& group;
  const T* residual;
  const T* norm_weight;
  float eps;
  T* y;
  cudaStream_t stream;
  bool gated;
};

Split split_of(Shape shape) {
  int shift = 0;
  while ((1 << shift) < shape.slices) ++shift;  // slices is a power of two (pick_shape)
  return {shape.tiles_per_cta, shift, shape.per};
}

template <typename T, int kUnroll, bool kNested, Scales kS, bool kNorm, bool kGate>
cudaError_t launch(const Call<T>& c, Shape shape) {
  // Gated: the layout of the gate weight alone, half a CTA's tiles of rows per block.
  WeightGroup layout_group = c.group;
  if constexpr (kGate) layout_group.count = 1;
  const int64_t rows_per_block =
      static_cast<int64_t>(kGate ? shape.tiles_per_cta / 2 : shape.tiles_per_cta) * 16;
  const GroupLayout args(layout_group, rows_per_block);
  if (args.blocks() > 0x7fffffff) return cudaErrorInvalidValue;
  constexpr auto kernel = matvec_mma_kernel<T, kUnroll, kNested, kS, kNorm, kGate>;
  const size_t smem = kTableBytes + static_cast<size_t>(c.K) * sizeof(T);
  // The most dynamic shared memory the kernel can ask for: the table and x at their limit.
  if (const cudaError_t e =
          lq::cuda::set_attribute_once_per_device<kernel, cudaFuncAttributeMaxDynamicSharedMemorySize>(
              static_cast<int>(kTableBytes + kMatvecMaxXBytes));
      e != cudaSuccess)
    return e;
  return lq::cuda::launch_chained<kernel>(dim3(static_cast<unsigned>(args.blocks())),
                                          dim3(shape.tiles_per_cta * shape.slices * 32), smem, c.stream, c.x,
                                          c.K, args, c.group.w[kGate ? 1 : 0], split_of(shape),
                                          table16(args.g.w[0].type), c.residual, c.norm_weight, c.eps, c.y);
}

template <typename T, bool kNested, Scales kS, bool kNorm, bool kGate>
cudaError_t launch_unrolled(const Call<T>& c, Shape shape) {
  if (shape.unroll == 4) return launch<T, 4, kNested, kS, kNorm, kGate>(c, shape);
  if (shape.unroll == 2) return launch<T, 2, kNested, kS, kNorm, kGate>(c, shape);
  return launch<T, 1, kNested, kS, kNorm, kGate>(c, shape);
}

// How the group's scales reach the lanes (Scales) for this K and `per` steps a warp.
Scales scales_of(const WeightGroup& group, int64_t K, int per) {
  if (K % 64 != 0) return Scales::kPerChunk;
  bool held = K % 1024 == 0 && (per == 1 || per == 2 || per == 4 || per == 8);
  for (int i = 0; i < group.count; ++i) {
    const int64_t bs = group.w[i].blocksize;
    if (bs < 64) return Scales::kPerChunk;
    if (group.w[i].nested() && (K % bs != 0 || kNestedBlocksize % (K / bs) != 0)) return Scales::kPerChunk;
    held = held && bs == 64;
  }
  return held ? Scales::kHeld : Scales::kPaired;
}

template <typename T, bool kNested, bool kNorm, bool kGate>
cudaError_t dispatch_scales(const Call<T>& c) {
  const Shape shape = pick_shape(c.group, c.K, kGate ? 2 : 1);
  switch (scales_of(c.group, c.K, shape.per)) {
    case Scales::kHeld:
      return launch_unrolled<T, kNested, Scales::kHeld, kNorm, kGate>(c, shape);
    case Scales::kPaired:
      return launch_unrolled<T, kNested, Scales::kPaired, kNorm, kGate>(c, shape);
    default:
      return launch_unrolled<T, kNested, Scales::kPerChunk, kNorm, kGate>(c, shape);
  }
}

// Gated launches always carry the norm (decode's gate/up), so only those variants are built.
template <typename T>
cudaError_t dispatch(const Call<T>& c) {
  const bool nested = c.group.w[0].nested();
  if (c.gated)
    return nested ? dispatch_scales<T, true, true, true>(c) : dispatch_scales<T, false, true, true>(c);
  if (c.norm_weight)
    return nested ? dispatch_scales<T, true, true, false>(c) : dispatch_scales<T, false, true, false>(c);
  return nested ? dispatch_scales<T, true, false, false>(c) : dispatch_scales<T, false, false, false>(c);
}

// Whether the kernel takes this activation type and K (x staged whole in shared memory).
bool takes(ElemType x_type, int64_t K) {
  return x_type != ElemType::kF32 && K * elem_size(x_type) <= kMatvecMaxXBytes;
}

// A gated launch's shapes: a gate/up pair of equal rows, K and the type as the normed tensor-core kernel
// takes them.
bool gate_pair_fits(int64_t K, ElemType x_type, const WeightGroup& group) {
  return group.count == 2 && group.rows[0] == group.rows[1] && matvec_normed_supported(K, x_type) &&
         takes(x_type, K);
}

template <typename T>
cudaError_t run(const void* x, int64_t K, const WeightGroup& group, const void* residual,
                const void* norm_weight, float eps, void* y, cudaStream_t stream, bool gated) {
  return dispatch<T>(Call<T>{static_cast<const T*>(x), K, group, static_cast<const T*>(residual),
                             static_cast<const T*>(norm_weight), eps, static_cast<T*>(y), stream, gated});
}

}  // namespace

bool matvec_tensor_cores_take(ElemType x_type, int64_t K) {
  return takes(x_type, K) && has_tensor_core_mma();
}

cudaError_t matvec_4bit_tensor_cores(const void* x, ElemType x_type, int64_t K, const WeightGroup& group,
                                     const void* residual, const void* norm_weight, float eps, void* y,
                                     cudaStream_t stream) {
  if (!takes(x_type, K)) return cudaErrorInvalidValue;
  if (const cudaError_t e = check_group_args(x, 1, K, group); e != cudaSuccess) return e;
  if (!has_tensor_core_mma()) return cudaErrorNotSupported;
  BNB4_DISPATCH_ELEM(x_type, {
    if constexpr (!std::is_same_v<T, float>)
      return run<T>(x, K, group, residual, norm_weight, eps, y, stream, false);
  });
  return cudaErrorInvalidValue;
}

bool matvec_normed_swiglu_supported(int64_t K, ElemType x_type, const WeightGroup& group) {
  return gate_pair_fits(K, x_type, group) && has_tensor_core_mma();
}

cudaError_t matvec_4bit_normed_swiglu_cuda(const void* h, ElemType x_type, int64_t K,
                                           const WeightGroup& group, const void* norm_weight, float eps,
                                           void* y, cudaStream_t stream) {
  if (!norm_weight || !gate_pair_fits(K, x_type, group)) return cudaErrorInvalidValue;
  if (const cudaError_t e = check_group_args(h, 1, K, group); e != cudaSuccess) return e;
  if (!aligned16(norm_weight)) return cudaErrorMisalignedAddress;  // rms_norm_into's loads
  if (!has_tensor_core_mma()) return cudaErrorNotSupported;
  BNB4_DISPATCH_ELEM(x_type, {
    if constexpr (!std::is_same_v<T, float>)
      return run<T>(h, K, group, nullptr, norm_weight, eps, y, stream, true);
  });
  return cudaErrorInvalidValue;
}

}  // namespace bnb4
