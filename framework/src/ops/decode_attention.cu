// Decode attention (one query token per row) as flash-decoding: SDPA runs a decode step as a few CTAs
// per head over the whole cache plus mask kernels; here every (row, query head) splits the slots into
// chunks over enough CTAs to cover the SMs, each CTA keeps an online softmax per group of lanes, merges
// its groups in shared memory and leaves (max, sum, weighted values) for its chunk. The chunks are merged
// by the first CTA of a thread-block cluster of the row's chunks, which reads the others' records from their
// shared memory (compute capability 9.0+, up to 16 chunks), else by a second kernel through a global
// workspace; both merge in chunk order with the same arithmetic, so they give the same bits. In a cluster
// every CTA pushes its record into the first CTA's shared memory (remote stores, one barrier) rather than
// the first CTA reading each record remotely in turn (a round trip per chunk, and a second barrier so that
// no CTA leaves while its record is read). A group of
// kLanes lanes reads one 16-byte unit of a key row each (D = kLanes x 16 bytes / element size), so a key
// costs one load per lane and a shuffle reduction. The rep query heads of a kv head read its keys in separate
// CTAs, from L2 after the first.
#include <cooperative_groups.h>

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "ops/fused_kernels.h"
#include "ops/kernel_common.cuh"

namespace lq::kernels {
namespace {

constexpr int kThreads = 128, kSlots = 4;
constexpr int kMaxClusterSplits = 16;  // the largest (non-portable) cluster on an H100

// A CTA of a cluster may write another's shared memory only once that CTA runs: each arrives at the
// cluster barrier as it starts and waits on it just before its remote stores, by when all have arrived.
__device__ __forceinline__ void cluster_arrive_relaxed() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("barrier.cluster.arrive.relaxed.aligned;" ::: "memory");
#endif
}
__device__ __forceinline__ void cluster_wait() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("barrier.cluster.wait.aligned;" ::: "memory");
#endif
}

// exp(a - b) where a may be -inf (a chunk or group that saw no allowed slot) and b is finite.
__device__ __forceinline__ float weight(float a, float b) { return a == -INFINITY ? 0.0f : expf(a - b); }

// Output element d of a row from its chunks' records (max, sum, weighted values[D]), chunk s's record at
// record(s): the chunks in order, each weighted by exp(its max - the row's max).
template <class Record>
__device__ __forceinline__ float merged(Record record, int splits, int d) {
  float top = -INFINITY;
  for (int s = 0; s < splits; ++s) top = fmaxf(top, record(s)[0]);
  float sum = 0.0f, total = 0.0f;
  for (int s = 0; s < splits; ++s) {
    const float* r = record(s);
    const float w = weight(r[0], top);
    sum = fmaf(r[1], w, sum);
    total = fmaf(r[2 + d], w, total);
  }
  return total / sum;
}

// One 16-byte unit of a [.., D] row rotated as rope_append() rotates it (rotated_round): lane L of
// kLanes holds elements [L kElems, L kElems + kElems), and its partner across the half, L ^ kLanes / 2 in the
// same group, holds the other element of each pair. cos/sin point at the unit's angles.
template <typename T, int kLanes>
__device__ __forceinline__ uint4 rotate_unit(const uint4& x, const T* cos, const T* sin, int lane,
                                             unsigned group_mask) {
  constexpr int kElems = 16 / sizeof(T);
  const uint4 other =
      make_uint4(__shfl_xor_sync(group_mask, x.x, kLanes / 2), __shfl_xor_sync(group_mask, x.y, kLanes / 2),
                 __shfl_xor_sync(group_mask, x.z, kLanes / 2), __shfl_xor_sync(group_mask, x.w, kLanes / 2));
  float mine[kElems], partner[kElems], c[kElems], sn[kElems];
  unit_to_floats<T>(x, mine);
  unit_to_floats<T>(other, partner);
  unit_to_floats<T>(*reinterpret_cast<const uint4*>(cos), c);
  unit_to_floats<T>(*reinterpret_cast<const uint4*>(sin), sn);
  const bool low = lane < kLanes / 2;  // elements d < D / 2: rotate_half gives -x[d + D / 2]
  alignas(16) T out[kElems];
#pragma unroll
  for (int e = 0; e < kElems; ++e)
    out[e] = rotated_round<T>(mine[e], low ? -partner[e] : partner[e], c[e], sn[e]);
  return *reinterpret_cast<const uint4*>(out);
}

// kCluster: the row's chunks form one cluster (gridDim.x CTAs) and its first CTA merges them.
// kFresh: q is the projection before rotary embeddings and the step's token comes as `fresh` (see
// FreshToken): every CTA rotates its query and the token's key in registers, the chunk holding the token's
// slot attends to them instead of reading the cache there, and its first query head of each kv head writes
// the rotated key and the value to the cache.
template <typename T, int kLanes, bool kCluster, bool kFresh>
__global__ void __launch_bounds__(kThreads)
    partial_kernel(AttentionView q, AttentionView k, AttentionView v, const bool* allowed,
                   int64_t allowed_stride_b, T* __restrict__ out, float* __restrict__ workspace, int64_t H,
                   int64_t rep, int64_t S, int64_t chunk, float scale, FreshToken fresh) {
  constexpr int kElems = 16 / sizeof(T), kD = kLanes * kElems, kGroups = kThreads / kLanes;
  let_next_kernel_start();
  if constexpr (kCluster) cluster_arrive_relaxed();
  const int split = blockIdx.x, splits = gridDim.x;
  const int64_t h = blockIdx.y, b = blockIdx.z, kv_head = h / rep;
  const int64_t first = split * chunk, last = min(S, first + chunk);
  const int lane = threadIdx.x % kLanes, group = threadIdx.x / kLanes;
  const T* keys = static_cast<const T*>(k.data) + b * k.stride_b + kv_head * k.stride_h + lane * kElems;
  const T* values = static_cast<const T*>(v.data) + b * v.stride_b + kv_head * v.stride_h + lane * kElems;
  // One round: kSlots slots of this group from s0, kGroups apart, their keys and values loaded together
  // (zeros past the chunk; the step's own slot is not read: its token comes from registers).
  const int64_t fresh_slot = kFresh ? *fresh.slot : -1;
  auto load_round = [&](int64_t s0, uint4(&key)[kSlots], uint4(&value)[kSlots]) {
#pragma unroll
    for (int i = 0; i < kSlots; ++i) {
      const int64_t s = s0 + i * kGroups;
      const bool read = s < last && s != fresh_slot;
      key[i] = read ? *reinterpret_cast<const uint4*>(keys + s * k.stride_s) : make_uint4(0, 0, 0, 0);
      value[i] = read ? *reinterpret_cast<const uint4*>(values + s * v.stride_s) : make_uint4(0, 0, 0, 0);
    }
  };
  // kEarly: the first round is loaded before the wait. Only the step's own slot of the cache, and the mask,
  // are written in this step (the step begins with a plain launch, which waits for all earlier work: see
  // LlamaModel::run), and neither is read before the wait; the slot index was written by the step before.
  // Clusters only (a row's chunks at small batches), where the step waits on attention's latency.
  constexpr bool kEarly = kCluster && kFresh;
  uint4 first_key[kSlots], first_value[kSlots];
  if constexpr (kEarly) load_round(first + group, first_key, first_value);
  wait_for_previous_kernel();
  if constexpr (!kEarly) load_round(first + group, first_key, first_value);
  // The lanes of this group within its warp: shuffles name only them, as groups diverge on the mask.
  const unsigned group_mask =
      kLanes == 32 ? 0xffffffffu : ((1u << kLanes) - 1) << ((threadIdx.x % 32) / kLanes * kLanes);

  float qv[kElems];
  uint4 q_unit = *reinterpret_cast<const uint4*>(static_cast<const T*>(q.data) + b * q.stride_b +
                                                 h * q.stride_h + lane * kElems);
  // `allowed` carries no __restrict__: read-only for the kernel's lifetime would let the compiler hoist
  // these loads (as non-coherent ones) above the wait, and the mask is written by this step's kernels.
  const bool* mask = allowed + b * allowed_stride_b;
  // Which of a round's slots count: in the chunk and allowed by the mask.
  auto load_mask = [&](int64_t s0, bool(&ok)[kSlots]) {
#pragma unroll
    for (int i = 0; i < kSlots; ++i) ok[i] = s0 + i * kGroups < last && mask[s0 + i * kGroups];
  };
  bool first_ok[kSlots];
  load_mask(first + group, first_ok);  // with the query, before the token's rotation and append
  // The step's token (kFresh): its rotated key and value.
  uint4 fresh_key = make_uint4(0, 0, 0, 0), fresh_value = make_uint4(0, 0, 0, 0);
  if constexpr (kFresh) {
    const T* cos = static_cast<const T*>(fresh.cos) + b * fresh.angles_stride_b + lane * kElems;
    const T* sin = static_cast<const T*>(fresh.sin) + b * fresh.angles_stride_b + lane * kElems;
    q_unit = rotate_unit<T, kLanes>(q_unit, cos, sin, lane, group_mask);
    const uint4 raw_key =
        *reinterpret_cast<const uint4*>(static_cast<const T*>(fresh.k.data) + b * fresh.k.stride_b +
                                        kv_head * fresh.k.stride_h + lane * kElems);
    fresh_key = rotate_unit<T, kLanes>(raw_key, cos, sin, lane, group_mask);
    fresh_value = *reinterpret_cast<const uint4*>(static_cast<const T*>(fresh.v.data) + b * fresh.v.stride_b +
                                                  kv_head * fresh.v.stride_h + lane * kElems);
    if (h % rep == 0 && group == 0 && first <= fresh_slot && fresh_slot < last) {
      T* const key_row = static_cast<T*>(fresh.keys.data) + b * fresh.keys.stride_b +
                         kv_head * fresh.keys.stride_h + fresh_slot * fresh.keys.stride_s;
      T* const value_row = static_cast<T*>(fresh.values.data) + b * fresh.values.stride_b +
                           kv_head * fresh.values.stride_h + fresh_slot * fresh.values.stride_s;
      *reinterpret_cast<uint4*>(key_row + lane * kElems) = fresh_key;
      *reinterpret_cast<uint4*>(value_row + lane * kElems) = fresh_value;
    }
  }
  unit_to_floats<T>(q_unit, qv);

  float m = -INFINITY, l = 0.0f, acc[kElems] = {};
  auto accumulate = [&](const uint4& key, const uint4& value) {
    float kv[kElems], vv[kElems];
    unit_to_floats<T>(key, kv);
    unit_to_floats<T>(value, vv);
    float dot = 0.0f;
#pragma unroll
    for (int e = 0; e < kElems; ++e) dot = fmaf(qv[e], kv[e], dot);
#pragma unroll
    for (int off = kLanes / 2; off > 0; off /= 2) dot += __shfl_xor_sync(group_mask, dot, off);
    const float score = dot * scale, m_new = fmaxf(m, score);
    const float correction = weight(m, m_new), p = expf(score - m_new);
    l = fmaf(l, correction, p);
#pragma unroll
    for (int e = 0; e < kElems; ++e) acc[e] = fmaf(acc[e], correction, p * vv[e]);
    m = m_new;
  };
  // A round's mask, key and value loads are all in flight before any is used (a masked slot's key and value
  // are read and dropped): one memory round trip per round rather than two per slot. The slots are taken in
  // the same order as one at a time.
  auto consume_round = [&](int64_t s0, const bool(&ok)[kSlots], const uint4(&key)[kSlots],
                           const uint4(&value)[kSlots]) {
#pragma unroll
    for (int i = 0; i < kSlots; ++i) {
      uint4 slot_key = key[i], slot_value = value[i];  // values: a reference to either would need memory
      if (kFresh && s0 + i * kGroups == fresh_slot) slot_key = fresh_key, slot_value = fresh_value;
      if (ok[i]) accumulate(slot_key, slot_value);
    }
  };
  consume_round(first + group, first_ok, first_key, first_value);
  for (int64_t s0 = first + group + kSlots * kGroups; s0 < last; s0 += kSlots * kGroups) {
    bool ok[kSlots];
    uint4 key[kSlots], value[kSlots];
    load_mask(s0, ok);
    load_round(s0, key, value);
    consume_round(s0, ok, key, value);
  }

  __shared__ float group_max[kGroups], group_sum[kGroups], group_acc[kGroups][kD];
  // kCluster: the first CTA's records of every chunk (max, sum, weighted values), written by their CTAs.
  __shared__ float records[kCluster ? kMaxClusterSplits : 1][kCluster ? kD + 2 : 1];
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  namespace cg = cooperative_groups;
  float* const record =
      kCluster ? cg::this_cluster().map_shared_rank(&records[0][0], 0) + split * (kD + 2) : nullptr;
#else
  float* const record = nullptr;
#endif
  if (lane == 0) group_max[group] = m, group_sum[group] = l;
#pragma unroll
  for (int e = 0; e < kElems; ++e) group_acc[group][lane * kElems + e] = acc[e];
  __syncthreads();
  if constexpr (kCluster) cluster_wait();  // every CTA of the cluster runs: `record` may be written
  for (int d = threadIdx.x; d < kD; d += kThreads) {
    float top = -INFINITY;
    for (int g = 0; g < kGroups; ++g) top = fmaxf(top, group_max[g]);
    float sum = 0.0f, total = 0.0f;
    if (top != -INFINITY)
      for (int g = 0; g < kGroups; ++g) {
        const float w = weight(group_max[g], top);
        sum = fmaf(group_sum[g], w, sum);
        total = fmaf(group_acc[g][d], w, total);
      }
    const int64_t row = b * H + h;
    if (splits == 1) {
      out[row * kD + d] = from_float<T>(total / sum);
    } else if constexpr (kCluster) {
      record[2 + d] = total;
      if (d == 0) record[0] = top, record[1] = sum;
    } else {
      float* part = workspace + (row * splits + split) * (kD + 2);
      part[2 + d] = total;
      if (d == 0) part[0] = top, part[1] = sum;
    }
  }
  if constexpr (kCluster) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    const cg::cluster_group cluster = cg::this_cluster();
    cluster.sync();  // every chunk's record is in the first CTA; the others may leave
    if (cluster.block_rank() == 0) {
      const int64_t row = b * H + h;
      for (int d = threadIdx.x; d < kD; d += kThreads)
        out[row * kD + d] = from_float<T>(merged([&](int s) { return records[s]; }, splits, d));
    }
#endif
  }
}

template <typename T>
__global__ void merge_kernel(const float* __restrict__ workspace, T* __restrict__ out, int D, int splits) {
  let_next_kernel_start();
  wait_for_previous_kernel();
  const int64_t row = blockIdx.x;
  const float* parts = workspace + row * splits * (D + 2);
  for (int d = threadIdx.x; d < D; d += blockDim.x)
    out[row * D + d] = from_float<T>(merged([&](int s) { return parts + s * (D + 2); }, splits, d));
}

// Whether the current device launches thread-block clusters (compute capability 9.0+).
bool clusters_supported() {
  int device = 0, supported = 0;
  return cudaGetDevice(&device) == cudaSuccess &&
         cudaDeviceGetAttribute(&supported, cudaDevAttrClusterLaunch, device) == cudaSuccess && supported;
}

// The partial kernel with each row's `splits` chunks as one cluster, chained like every decode kernel.
template <typename T, int kLanes, bool kFresh, typename... Args>
cudaError_t launch_clustered(dim3 grid, int splits, cudaStream_t stream, Args&&... args) {
  constexpr auto kernel = partial_kernel<T, kLanes, true, kFresh>;
  // Clusters over 8 CTAs need the non-portable size allowed.
  if (const cudaError_t e =
          lq::cuda::set_attribute_once_per_device<kernel, cudaFuncAttributeNonPortableClusterSizeAllowed>(1);
      e != cudaSuccess)
    return e;
  return lq::cuda::launch_chained_in_clusters<kernel>(
      grid, dim3(kThreads), 0, stream, static_cast<unsigned>(splits), std::forward<Args>(args)...);
}

int element_size(Dtype dtype) { return dtype == Dtype::kF32 ? 4 : 2; }

template <typename T, int kLanes, bool kFresh>
cudaError_t launch(const AttentionView& q, const AttentionView& k, const AttentionView& v,
                   const bool* allowed, int64_t allowed_stride_b, T* out, float* workspace, int64_t B,
                   int64_t H, int64_t rep, int64_t S, int splits, float scale, const FreshToken& fresh,
                   cudaStream_t stream) {
  const int64_t chunk = (S + splits - 1) / splits;
  const dim3 grid(static_cast<unsigned>(splits), static_cast<unsigned>(H), static_cast<unsigned>(B));
  if (splits > 1 && splits <= kMaxClusterSplits && clusters_supported())
    return launch_clustered<T, kLanes, kFresh>(grid, splits, stream, q, k, v, allowed, allowed_stride_b, out,
                                               workspace, H, rep, S, chunk, scale, fresh);
  cudaError_t e = launch_chained<partial_kernel<T, kLanes, false, kFresh>>(
      grid, dim3(kThreads), 0, stream, q, k, v, allowed, allowed_stride_b, out, workspace, H, rep, S, chunk,
      scale, fresh);
  if (e != cudaSuccess || splits == 1) return e;
  constexpr int kD = kLanes * 16 / static_cast<int>(sizeof(T));
  return launch_chained<merge_kernel<T>>(dim3(static_cast<unsigned>(B * H)), dim3(kD), 0, stream,
                                         static_cast<const float*>(workspace), out, kD, splits);
}

// The lanes that read one key row, a 16-byte unit each (kLanes of the kernels).
int64_t lanes_per_key(int64_t D, Dtype dtype) { return D / (16 / element_size(dtype)); }

}  // namespace

bool decode_attention_supports(int64_t D, Dtype dtype) {
  if (D % (16 / element_size(dtype)) != 0) return false;
  const int64_t lanes = lanes_per_key(D, dtype);
  return lanes == 4 || lanes == 8 || lanes == 16 || lanes == 32;
}

int decode_attention_splits(int64_t B, int64_t H, int64_t S, int64_t D, Dtype dtype, int multiprocessors) {
  // Two CTAs per SM over all (row, head) pairs, chunks of at least 32 slots.
  const int64_t pairs = B * H, wanted = (2 * static_cast<int64_t>(multiprocessors) + pairs - 1) / pairs;
  const int64_t most = std::max<int64_t>(1, S / 32);
  const int64_t splits = std::min<int64_t>({wanted, most, 1024});
  // Where that leaves a chunk more than one round of loads (small batches: the step's latency is the
  // rounds one after another), as many chunks as make it one round, while they still form a cluster and
  // all CTAs fit in about one wave of light CTAs.
  const int64_t round = kSlots * (kThreads / std::max<int64_t>(1, lanes_per_key(D, dtype)));
  const int64_t one_round = (S + round - 1) / round;
  if (one_round > splits && one_round <= kMaxClusterSplits && pairs * one_round <= 4 * multiprocessors)
    return static_cast<int>(one_round);
  return static_cast<int>(splits);
}

int64_t decode_attention_workspace_floats(int64_t B, int64_t H, int64_t D, int splits) {
  return splits > 1 ? B * H * splits * (D + 2) : 0;
}

cudaError_t decode_attention(const AttentionView& q, const AttentionView& k, const AttentionView& v,
                             const bool* allowed, int64_t allowed_stride_b, void* out, float* workspace,
                             int64_t B, int64_t H, int64_t kv_heads, int64_t S, int64_t D, int splits,
                             float scale, Dtype dtype, const FreshToken* fresh, cudaStream_t stream) {
  if (B <= 0 || H <= 0 || kv_heads <= 0 || H % kv_heads != 0 || S <= 0 || splits < 1 ||
      !decode_attention_supports(D, dtype) || B > 65535 || H > 65535 || (splits > 1 && !workspace) ||
      (fresh && !fresh->slot))
    return cudaErrorInvalidValue;
  const int lanes = static_cast<int>(lanes_per_key(D, dtype));
  const int64_t rep = H / kv_heads;
  const FreshToken none{};
  return dispatch(dtype, [&](auto tag) {
    using E = decltype(tag);
    E* o = static_cast<E*>(out);
    auto run = [&](auto lanes_tag) {
      constexpr int kLanes = decltype(lanes_tag)::value;
      return fresh ? launch<E, kLanes, true>(q, k, v, allowed, allowed_stride_b, o, workspace, B, H, rep, S,
                                             splits, scale, *fresh, stream)
                   : launch<E, kLanes, false>(q, k, v, allowed, allowed_stride_b, o, workspace, B, H, rep, S,
                                              splits, scale, none, stream);
    };
    switch (lanes) {
      case 4:
        return run(std::integral_constant<int, 4>{});
      case 8:
        return run(std::integral_constant<int, 8>{});
      case 16:
        return run(std::integral_constant<int, 16>{});
      default:
        return run(std::integral_constant<int, 32>{});
    }
  });
}

}  // namespace lq::kernels
