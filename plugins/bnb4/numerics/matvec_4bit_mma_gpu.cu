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
//    while the previous kernel finishes;
//  - the next product's weights (WeightGroup::next, at decode) are asked of L2 once this CTA's first loads
//    are issued, each CTA a share: HBM keeps streaming through this kernel's tail and the kernels between,
//    and the next product's first loads hit L2;
//  - x (or RMSNorm(h), rounded as the engine's norm kernel rounds it) is staged once per CTA in shared
//    memory; warps reduce through shared memory in a fixed order (deterministic);
//  - gated (gate/up at decode, matvec_4bit_normed_swiglu_cuda): a CTA's tiles alternate between gate and up
//    over the same rows, so that the CTA ends with both sums of each row and stores SwiGLU's gate of them:
//    no separate gate kernel, and the same sums as the plain launch where both pick the same tiles and
//    slices (Llama's gate/up);
//  - block tail (block_tail_4bit_cuda): o + residual, norm + gate/up + SwiGLU and down + residual as the
//    phases of one launch, separated by grid barriers, each phase the same work per CTA as its own launch:
//    a CTA issues its next phase's first loads before it waits at the barrier, where separate launches
//    would leave the SM empty until the next kernel's CTA is resident.
// Values: as the M = 2..16 tensor-core kernel, the 16 code values are rounded to T once; products and sums
// are float32 and the scale is applied in float32. (Measured against the CUDA-core kernel: BENCHMARKS.md.)
#include <algorithm>

#include "matmul_4bit_args.cuh"
#include "matvec_4bit_kernels.h"
#include "mma_common.cuh"
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

// Nested: a row's absmax2 where one value serves all of this warp's steps of the row (`once`, known from
// indices alone), else each step loads its own. The value is only read when a step is consumed, so that no
// load waits for it: a choice of load by the loaded value would hold every later load of the warp until
// the first one returned (a memory latency per launch, as the SASS of the first version showed).
struct RowAbsmax2 {
  bool once;
  float value;
};

// Chunk `chunk` of `row` (zeros unless code_ok and the chunk lies within K) and the scales of chunks
// scale_chunk and scale_chunk + 1 (zero unless scale_ok and within K). Codes stream past L1 (read once);
// scales go through it (a 32-byte sector holds the next steps' scales). kPair: the two chunks (scale_chunk
// is even) lie in one scale block — blocksize >= 64 and K a multiple of 64 — and one scale serves both.
// Nested: absmax2 is loaded here unless the row's serves every step (once).
template <bool kNested, bool kPair>
__device__ __forceinline__ RowLoad load_row(const Packed4bit& w, int64_t row, bool code_ok, bool scale_ok,
                                            int64_t K, int64_t chunk, int64_t scale_chunk, int shift,
                                            bool absmax2_once) {
  RowLoad r;
  const int64_t chunks = K / 32;
  const bool ok = code_ok && chunk < chunks;
  r.q = ok ? __ldcs(reinterpret_cast<const uint4*>(w.packed + (row * K + chunk * 32) / 2))
           : make_uint4(0, 0, 0, 0);
#pragma unroll
  for (int h = 0; h < (kPair ? 1 : 2); ++h) {
    const bool s_ok = scale_ok && scale_chunk + h < chunks;
    const int64_t b = (row * K + (scale_chunk + h) * 32) >> shift;
    if constexpr (kNested) {
      r.code[h] = s_ok ? __ldg(w.nested_codes + b) : 0u;
      r.scale[h] = s_ok && !absmax2_once ? __ldg(w.absmax2 + b / kNestedBlocksize) : 0.0f;
    } else {
      r.code[h] = 0;
      r.scale[h] = s_ok ? __ldg(w.absmax + b) : 0.0f;
    }
  }
  return r;
}

// The scale of a loaded chunk: the float32 absmax, or its nested form decoded through the dynamic map.
template <bool kNested, bool kPair>
__device__ __forceinline__ float chunk_scale(const RowLoad& r, int h, bool ok, const float* map, float offset,
                                             const RowAbsmax2& absmax2) {
  const int i = kPair ? 0 : h;
  if constexpr (kNested)
    return ok ? nested_absmax(map[r.code[i]], absmax2.once ? absmax2.value : r.scale[i], offset) : 0.0f;
  return r.scale[i];
}

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
};

// SwiGLU's gate of one row from its gate and up sums, rounded as the engine's gate kernel rounds it: each
// sum to T (the product's output), then dtype(dtype(silu(g)) * u).
template <typename T>
__device__ __forceinline__ T gate_round(float gate_sum, float up_sum) {
  const float g = to_float(from_float<T>(gate_sum)), u = to_float(from_float<T>(up_sum));
  return from_float<T>(to_float(from_float<T>(g / (1.0f + expf(-g)))) * u);
}

// Shared memory, all dynamic: the table, the map, the warps' sums, then x (K elements).
constexpr size_t kMapBytes = 256 * sizeof(float), kPartialBytes = kMaxWarps * 16 * sizeof(float);
constexpr size_t kFixedSharedBytes = kTableBytes + kMapBytes + kPartialBytes;
struct Shared {
  unsigned char* table;
  float* map;
  float (*partial)[16];
  void* xs;
};
__device__ __forceinline__ Shared shared_memory() {
  extern __shared__ uint4 smem[];
  unsigned char* const base = reinterpret_cast<unsigned char*>(smem);
  return {base, reinterpret_cast<float*>(base + kTableBytes),
          reinterpret_cast<float(*)[16]>(base + kTableBytes + kMapBytes), base + kFixedSharedBytes};
}

// One product of a launch: x [K] (or, kNorm, RMSNorm(x) with norm_weight), the weights laid out over the CTAs
// in `args`, y (+ residual). Gated: args lays out the gate weight alone (half a CTA's tiles of rows per
// block) and `up` is the up weight of the same shape; even tiles of a CTA read gate, odd ones up, over the
// same rows, and y gets SwiGLU's gate. tiles_per_cta x slices warps work; a CTA's further warps idle.
template <typename T>
struct Product {
  const T* x;
  int64_t K;
  GroupLayout args;
  Packed4bit up;
  int tiles_per_cta, slices;
  const T* residual;
  const T* norm_weight;
  float eps;
  T* y;
};

// A product as one CTA runs it: begin() issues the CTA's first weight loads (and asks L2 for the rest of
// its rows and its share of the next product's), which may precede the wait for the input; finish() stages
// x, runs the steps and stores this CTA's outputs.
template <typename T, int kUnroll, bool kNested, bool kPair, bool kNorm, bool kGate>
struct MatvecPhase {
  Packed4bit w;
  int64_t rows, cta_row0, ra, rb, first, last;
  int s, row_tiles, tile, shift;
  bool active, ra_ok, rb_ok;
  RowAbsmax2 absmax2_a, absmax2_b;
  RowLoad la[kUnroll], lb[kUnroll];

  __device__ __forceinline__ void load(int u, int64_t st, int64_t K) {
    const int t = threadIdx.x % 4;
    const bool in = st < last;
    const int64_t chunk = st * 4 + t, scale_chunk = st * 4 + 2 * t;
    la[u] = load_row<kNested, kPair>(w, ra, ra_ok && in, ra_ok && in && t < 2, K, chunk, scale_chunk, shift,
                                     absmax2_a.once);
    lb[u] = load_row<kNested, kPair>(w, rb, rb_ok && in, rb_ok && in && t < 2, K, chunk, scale_chunk, shift,
                                     absmax2_b.once);
  }

  // Lane t scales chunks 2t and 2t + 1 of its rows (columns 2t, 2t + 1 of the product); lanes 2, 3 none.
  // Nested and paired: a row's absmax2 is loaded once where this warp's blocks of the row lie in one group
  // of kNestedBlocksize (every row of the Llama shapes), not once a step: a nested step then loads what a
  // plain one does (codes and one scale each). Unpaired variants, short of registers, load it each step.
  __device__ __forceinline__ RowAbsmax2 row_absmax2(int64_t row, bool ok, int64_t K) const {
    if (!kNested || !kPair || !ok || threadIdx.x % 4 >= 2 || first >= last) return {false, 0.0f};
    const int64_t b0 = (row * K + first * kStep) >> shift;
    const int64_t b1 = (row * K + (last * kStep < K ? last * kStep : K) - 1) >> shift;
    if (b0 / kNestedBlocksize != b1 / kNestedBlocksize) return {false, 0.0f};
    return {true, __ldg(w.absmax2 + b0 / kNestedBlocksize)};
  }

  __device__ __forceinline__ void begin(const Product<T>& p, int64_t block) {
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, g = lane / 4;
    const int working = p.tiles_per_cta * p.slices;
    active = block < p.args.end[p.args.g.count - 1];
    s = active ? p.args.weight_of(block) : 0;
    tile = warp / p.slices;
    const int slice = warp % p.slices;
    w = kGate && tile % 2 ? p.up : p.args.g.w[s];  // a copy: a reference to either would sit on the stack
    rows = p.args.g.rows[s];
    row_tiles = kGate ? p.tiles_per_cta / 2 : p.tiles_per_cta;  // tiles of distinct rows
    cta_row0 = (block - p.args.first_block(s)) * row_tiles * 16;
    const int64_t row0 = cta_row0 + (kGate ? tile / 2 : tile) * 16;
    ra = row0 + g, rb = row0 + g + 8;
    ra_ok = active && warp < working && ra < rows, rb_ok = active && warp < working && rb < rows;
    shift = __ffs(w.blocksize) - 1;
    // This warp's steps of 128 weights: [first, last).
    const int64_t steps = (p.K + kStep - 1) / kStep, per = (steps + p.slices - 1) / p.slices;
    first = slice * per, last = first + per < steps ? first + per : steps;
    if (!active || warp >= working) last = first;
    absmax2_a = row_absmax2(ra, ra_ok, p.K), absmax2_b = row_absmax2(rb, rb_ok, p.K);
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) load(u, first + u, p.K);
    if (!active) return;
    if (threadIdx.x == 0 && per > kUnroll) {
      prefetch_rows_l2(p.args.g.w[s], cta_row0, row_tiles * 16, p.K);
      if constexpr (kGate) prefetch_rows_l2(p.up, cta_row0, row_tiles * 16, p.K);
    }
    prefetch_share_l2(p.args.g.next, block, p.args.end[p.args.g.count - 1], blockDim.x > 32 ? 32 : 0);
  }

  // After the wait for x. A next product of the same CTA may write xs and partial only after a barrier.
  __device__ __forceinline__ void finish(const Product<T>& p, const Shared& sm) {
    if (!active) return;
    const unsigned char* const table = sm.table;
    const float* const map = sm.map;
    float(*const partial)[16] = sm.partial;
    T* const xs = static_cast<T*>(sm.xs);
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    const int g = lane / 4, t = lane % 4;
    const int64_t K = p.K;
    if constexpr (kNorm) {
      rms_norm_into<T>(p.x, p.norm_weight, p.eps, K, xs);  // ends with a barrier
    } else {
      // L2, not the read-only path: x may have been written by this kernel's other CTAs (the block tail).
      for (int64_t i = threadIdx.x; i < K * static_cast<int64_t>(sizeof(T)) / 16; i += blockDim.x)
        reinterpret_cast<uint4*>(xs)[i] = __ldcg(reinterpret_cast<const uint4*>(p.x) + i);
      __syncthreads();
    }

    // B: lane (g, t) holds column g at k-slots of chunk t, so only lanes with g == t carry x (of chunk t).
    const bool b_lane = g == t;
    const uint32_t lane_offset = static_cast<uint32_t>(lane) * 4;
    float acc[4] = {};
    for (int64_t st0 = first; st0 < last; st0 += kUnroll) {
#pragma unroll
      for (int u = 0; u < kUnroll; ++u) {
        const int64_t st = st0 + u;
        if (st >= last) break;  // uniform across the warp
        uint4 xb[4] = {};
        if (b_lane && st * 4 + t < K / 32) {
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
#pragma unroll
        for (int h = 0; h < 2; ++h) {
          acc[h] = fmaf(d[h], chunk_scale<kNested, kPair>(la[u], h, ra_ok, map, w.offset, absmax2_a), acc[h]);
          acc[2 + h] = fmaf(d[2 + h], chunk_scale<kNested, kPair>(lb[u], h, rb_ok, map, w.offset, absmax2_b),
                            acc[2 + h]);
        }
        if (st + kUnroll < last) load(u, st + kUnroll, K);
      }
    }

    // Lanes t = 0, 1 hold the row's four chunk sums of each step; then the slices in order.
    float top = acc[0] + acc[1], bottom = acc[2] + acc[3];
    top += __shfl_xor_sync(kFullMask, top, 1);
    bottom += __shfl_xor_sync(kFullMask, bottom, 1);
    if (t == 0) {
      partial[warp][g] = top;
      partial[warp][g + 8] = bottom;
    }
    __syncthreads();
    store(p, partial);
  }

  __device__ __forceinline__ void store(const Product<T>& p, float (*partial)[16]) const {
    const int slices = p.slices;
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
      p.y[row] = gate_round<T>(gate_sum, up_sum);
    } else {
      if (threadIdx.x >= p.tiles_per_cta * 16) return;
      const int my_tile = threadIdx.x / 16, r = threadIdx.x % 16;
      const int64_t row = cta_row0 + my_tile * 16 + r;
      if (row >= rows) return;
      float sum = 0.0f;
      for (int sl = 0; sl < slices; ++sl) sum += partial[my_tile * slices + sl][r];
      const int64_t at = p.args.col0[s] + row;
      p.y[at] = store_value(sum, p.residual, at);
    }
  }
};

// The CTA's decode table (and, nested, the dynamic map) in shared memory; the caller synchronizes.
template <typename T, bool kNested>
__device__ __forceinline__ void build_tables(unsigned char* table, float* map, const Table16& values,
                                             const Table256& dynamic_map) {
  for (int e = threadIdx.x; e < 256 * 8; e += blockDim.x) {  // 8 x 16 bytes = a row's 32 lane words
    const uint32_t p = Pair<T>::pack(values.v[(e >> 3) >> 4], values.v[(e >> 3) & 15]);
    reinterpret_cast<uint4*>(table + (e >> 3) * 256)[e & 7] = make_uint4(p, p, p, p);
  }
  if constexpr (kNested)
    for (int e = threadIdx.x; e < 256; e += blockDim.x) map[e] = dynamic_map.v[e];
}

template <typename T, int kUnroll, bool kNested, bool kPair, bool kNorm, bool kGate>
__global__ void __launch_bounds__(kMaxWarps * 32, 1)
    matvec_mma_kernel(const __grid_constant__ Product<T> p, const __grid_constant__ Table16 values,
                      Table256 dynamic_map) {
  const Shared sm = shared_memory();
  lq::cuda::let_next_kernel_start();
  MatvecPhase<T, kUnroll, kNested, kPair, kNorm, kGate> phase;
  phase.begin(p, blockIdx.x);
  build_tables<T, kNested>(sm.table, sm.map, values, dynamic_map);
  lq::cuda::wait_for_previous_kernel();
  phase.finish(p, sm);
}

// A grid barrier in two halves, so that a CTA can issue its next loads between them: arrive() once this
// CTA's writes are done, wait() before it reads what the others wrote. arrive() must come before those
// loads: its fence waits for the arriving thread's outstanding memory operations. The grid must be
// co-resident (checked at launch). Each CTA adds 1 to `counter` but the first, which adds
// 2^31 - (CTAs - 1): bit 31 flips when the last arrives and the low bits return to where they were, so a
// counter that starts at zero serves any number of barriers and launches of any grid size, one at a time.
__device__ __forceinline__ unsigned grid_arrive(unsigned* counter) {
  __syncthreads();
  unsigned before = 0;
  if (threadIdx.x == 0) {
    __threadfence();
    before = atomicAdd(counter, blockIdx.x == 0 ? 0x80000000u - (gridDim.x - 1) : 1u);
  }
  return before;
}
__device__ __forceinline__ void grid_wait(const unsigned* counter, unsigned before) {
  if (threadIdx.x == 0) {
    unsigned now = before;
    while (((before ^ now) & 0x80000000u) == 0)
      asm volatile("ld.relaxed.gpu.global.u32 %0, [%1];" : "=r"(now) : "l"(counter) : "memory");
    __threadfence();
  }
  __syncthreads();
}

// A decode block's tail in one launch: h1 = h + o(attn); act = SwiGLU gate of gate/up(RMSNorm(h1));
// y = h1 + down(act), each product as its own launch computes it (the same sums in the same order), with a
// grid barrier between them. Each CTA issues its next product's first loads before it waits at the
// barrier, so that HBM keeps streaming where separate launches would drain and refill the SMs.
template <typename T, bool kNested, bool kPair>
__global__ void __launch_bounds__(kMaxWarps * 32, 1)
    block_tail_kernel(const __grid_constant__ Product<T> o, const __grid_constant__ Product<T> gate_up,
                      const __grid_constant__ Product<T> down, unsigned* counter,
                      const __grid_constant__ Table16 values, Table256 dynamic_map) {
  const Shared sm = shared_memory();
  lq::cuda::let_next_kernel_start();
  {
    MatvecPhase<T, 4, kNested, kPair, false, false> phase;
    phase.begin(o, blockIdx.x);
    build_tables<T, kNested>(sm.table, sm.map, values, dynamic_map);
    lq::cuda::wait_for_previous_kernel();
    phase.finish(o, sm);
  }
  {
    const unsigned arrived = grid_arrive(counter);
    MatvecPhase<T, 4, kNested, kPair, true, true> phase;
    phase.begin(gate_up, blockIdx.x);
    grid_wait(counter, arrived);  // h1 complete
    phase.finish(gate_up, sm);
  }
  {
    const unsigned arrived = grid_arrive(counter);
    MatvecPhase<T, 4, kNested, kPair, false, false> phase;
    phase.begin(down, blockIdx.x);
    grid_wait(counter, arrived);  // act complete
    phase.finish(down, sm);
  }
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
  const int64_t per = (steps + slices - 1) / slices;
  return {static_cast<int>(tiles), static_cast<int>(slices), per >= 4 ? 4 : per >= 2 ? 2 : 1};
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

// Call c over CTAs of `shape`. Gated: the layout of the gate weight alone, half a CTA's tiles of rows per
// block.
template <typename T>
Product<T> product_of(const Call<T>& c, Shape shape) {
  WeightGroup layout_group = c.group;
  if (c.gated) layout_group.count = 1;
  const int64_t rows_per_block =
      static_cast<int64_t>(c.gated ? shape.tiles_per_cta / 2 : shape.tiles_per_cta) * 16;
  return Product<T>{c.x,
                    c.K,
                    GroupLayout(layout_group, rows_per_block),
                    c.group.w[c.gated ? 1 : 0],
                    shape.tiles_per_cta,
                    shape.slices,
                    c.residual,
                    c.norm_weight,
                    c.eps,
                    c.y};
}

size_t shared_bytes(int64_t K, size_t element_size) {
  return kFixedSharedBytes + static_cast<size_t>(K) * element_size;
}

// The most dynamic shared memory `kernel` can ask for (x at its limit), set once per device.
template <auto kernel>
cudaError_t allow_shared_memory() {
  return lq::cuda::set_attribute_once_per_device<kernel, cudaFuncAttributeMaxDynamicSharedMemorySize>(
      static_cast<int>(kFixedSharedBytes + kMatvecMaxXBytes));
}

template <typename T, int kUnroll, bool kNested, bool kPair, bool kNorm, bool kGate>
cudaError_t launch(const Call<T>& c, Shape shape) {
  const Product<T> p = product_of(c, shape);
  if (p.args.blocks() > 0x7fffffff) return cudaErrorInvalidValue;
  constexpr auto kernel = matvec_mma_kernel<T, kUnroll, kNested, kPair, kNorm, kGate>;
  if (const cudaError_t e = allow_shared_memory<kernel>(); e != cudaSuccess) return e;
  return lq::cuda::launch_chained(kernel, dim3(static_cast<unsigned>(p.args.blocks())),
                                  dim3(shape.tiles_per_cta * shape.slices * 32), shared_bytes(c.K, sizeof(T)),
                                  c.stream, p, table16(p.args.g.w[0].type), dynamic_map_table());
}

template <typename T, bool kNested, bool kPair, bool kNorm, bool kGate>
cudaError_t launch_unrolled(const Call<T>& c) {
  const Shape shape = pick_shape(c.group, c.K, kGate ? 2 : 1);
  if (shape.unroll == 4) return launch<T, 4, kNested, kPair, kNorm, kGate>(c, shape);
  if (shape.unroll == 2) return launch<T, 2, kNested, kPair, kNorm, kGate>(c, shape);
  return launch<T, 1, kNested, kPair, kNorm, kGate>(c, shape);
}

// Whether a lane's chunk pair always shares one scale block (load_row's kPair).
bool pairs_share_blocks(const WeightGroup& group, int64_t K) {
  if (K % 64 != 0) return false;
  for (int i = 0; i < group.count; ++i)
    if (group.w[i].blocksize < 64) return false;
  return true;
}

template <typename T, bool kNested, bool kNorm, bool kGate>
cudaError_t dispatch_pair(const Call<T>& c) {
  return pairs_share_blocks(c.group, c.K) ? launch_unrolled<T, kNested, true, kNorm, kGate>(c)
                                          : launch_unrolled<T, kNested, false, kNorm, kGate>(c);
}

// Gated launches always carry the norm (decode's gate/up), so only those variants are built.
template <typename T>
cudaError_t dispatch(const Call<T>& c) {
  const bool nested = c.group.w[0].nested();
  if (c.gated) return nested ? dispatch_pair<T, true, true, true>(c) : dispatch_pair<T, false, true, true>(c);
  if (c.norm_weight)
    return nested ? dispatch_pair<T, true, true, false>(c) : dispatch_pair<T, false, true, false>(c);
  return nested ? dispatch_pair<T, true, false, false>(c) : dispatch_pair<T, false, false, false>(c);
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

// The block tail's three products as their own launches would run them, in one grid of the largest CTA
// count and size: each product keeps its own shape (and so its sums), CTAs past a product's count wait out
// that product at the barriers.
template <typename T, bool kNested, bool kPair>
cudaError_t launch_tail(const BlockTail& b, cudaStream_t stream) {
  const T* const attn = static_cast<const T*>(b.attn);
  T* const h1 = static_cast<T*>(b.h1);
  T* const act = static_cast<T*>(b.act);
  const int64_t inter = b.gate_up.rows[0];
  const Call<T> calls[3] = {
      {attn, b.attn_width, b.o, static_cast<const T*>(b.h), nullptr, 0.0f, h1, stream, false},
      {h1, b.hidden, b.gate_up, nullptr, static_cast<const T*>(b.norm_weight), b.eps, act, stream, true},
      {act, inter, b.down, h1, nullptr, 0.0f, static_cast<T*>(b.y), stream, false}};
  Product<T> products[3] = {product_of(calls[0], pick_shape(b.o, b.attn_width, 1)),
                            product_of(calls[1], pick_shape(b.gate_up, b.hidden, 2)),
                            product_of(calls[2], pick_shape(b.down, inter, 1))};
  int64_t blocks = 0, threads = 0, K = 0;
  for (const Product<T>& p : products) {
    blocks = std::max(blocks, p.args.blocks());
    threads = std::max<int64_t>(threads, p.tiles_per_cta * p.slices * 32);
    K = std::max(K, p.K);
  }
  constexpr auto kernel = block_tail_kernel<T, kNested, kPair>;
  if (const cudaError_t e = allow_shared_memory<kernel>(); e != cudaSuccess) return e;
  const size_t smem = shared_bytes(K, sizeof(T));
  int per_sm = 0;
  if (const cudaError_t e =
          cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, static_cast<int>(threads), smem);
      e != cudaSuccess)
    return e;
  if (blocks > static_cast<int64_t>(per_sm) * multiprocessors()) return cudaErrorCooperativeLaunchTooLarge;
  return lq::cuda::launch_chained(
      kernel, dim3(static_cast<unsigned>(blocks)), dim3(static_cast<unsigned>(threads)), smem, stream,
      products[0], products[1], products[2], b.counter, table16(b.o.w[0].type), dynamic_map_table());
}

// One code type and absmax form across the three products (the kernel builds one table), each product's
// shape as its own launch takes it, and the widths chained: o [hidden x attn_width], gate/up two of
// [inter x hidden], down [hidden x inter].
bool tail_fits(const BlockTail& b, ElemType x_type) {
  const WeightGroup* groups[3] = {&b.o, &b.gate_up, &b.down};
  for (const WeightGroup* g : groups)
    for (int i = 0; i < g->count; ++i)
      if (g->w[i].type != b.o.w[0].type || g->w[i].nested() != b.o.w[0].nested()) return false;
  return b.o.count == 1 && b.down.count == 1 && b.o.rows[0] == b.hidden && b.down.rows[0] == b.hidden &&
         takes(x_type, b.attn_width) && gate_pair_fits(b.hidden, x_type, b.gate_up) &&
         takes(x_type, b.gate_up.rows[0]);
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

bool block_tail_supported(const BlockTail& tail, ElemType x_type) {
  return tail_fits(tail, x_type) && has_tensor_core_mma();
}

cudaError_t block_tail_4bit_cuda(const BlockTail& tail, ElemType x_type, cudaStream_t stream) {
  if (!tail.counter || !tail.norm_weight || !tail_fits(tail, x_type)) return cudaErrorInvalidValue;
  const int64_t inter = tail.gate_up.rows[0];
  if (const cudaError_t e = check_group_args(tail.attn, 1, tail.attn_width, tail.o); e != cudaSuccess)
    return e;
  if (const cudaError_t e = check_group_args(tail.h1, 1, tail.hidden, tail.gate_up); e != cudaSuccess)
    return e;
  if (const cudaError_t e = check_group_args(tail.act, 1, inter, tail.down); e != cudaSuccess) return e;
  if (!aligned16(tail.norm_weight)) return cudaErrorMisalignedAddress;  // rms_norm_into's loads
  if (!has_tensor_core_mma()) return cudaErrorNotSupported;
  const bool nested = tail.o.w[0].nested();
  const bool pair = pairs_share_blocks(tail.o, tail.attn_width) &&
                    pairs_share_blocks(tail.gate_up, tail.hidden) && pairs_share_blocks(tail.down, inter);
  BNB4_DISPATCH_ELEM(x_type, {
    if constexpr (!std::is_same_v<T, float>) {
      if (nested)
        return pair ? launch_tail<T, true, true>(tail, stream) : launch_tail<T, true, false>(tail, stream);
      return pair ? launch_tail<T, false, true>(tail, stream) : launch_tail<T, false, false>(tail, stream);
    }
  });
  return cudaErrorInvalidValue;
}

}  // namespace bnb4
