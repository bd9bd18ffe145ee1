// Raw CUDA launchers for the ops the eager formulas spread over many kernels (RMSNorm: eight, rotary
// embeddings and the cache append: twelve, SwiGLU's gate: two, decode attention: SDPA's mask handling and
// kernels, the one-row product: cuBLAS's GEMM).
// Pointers and a stream, no libtorch, so they compile wherever nvcc is; ops/*_gpu.cc hands them libtorch
// tensors. Each reproduces the rounding of the libtorch formula in ops/*.cc step by step (only RMSNorm's sum
// of squares is reduced in another order).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace lq::kernels {

enum class Dtype { kF32, kF16, kBF16 };

// y[r, :] = w * dtype(x[r, :] * rsqrt(mean(x[r, :]^2) + eps)), fp32 inside; x and y contiguous [rows, cols].
cudaError_t rms_norm(const void* x, const void* w, void* y, int64_t rows, int64_t cols, float eps,
                     Dtype dtype, cudaStream_t stream);

// Rotary embeddings of a step's queries and keys plus the cache append, in one kernel: q, k, v are
// [B, T, heads, D] views (unit stride in D) of the projections; q_out [B, T, H, D] contiguous gets the
// rotated queries, and the rotated keys and the values go to keys/values [B, kv_heads, capacity, D] at
// slot slots[t] (int64, on the device) for token t. Each product rounds to the dtype, then their sum, as
// the formula apply_rope() does in libtorch.
struct HeadsView {
  const void* data;
  int64_t stride_b, stride_t, stride_h;
};
struct CacheView {
  void* data;
  int64_t stride_b, stride_h, stride_s;
};
cudaError_t rope_append(const HeadsView& q, const HeadsView& k, const HeadsView& v, void* q_out,
                        const CacheView& keys, const CacheView& values, const int64_t* slots, const void* cos,
                        const void* sin, int64_t B, int64_t T, int64_t H, int64_t kv_heads, int64_t D,
                        Dtype dtype, cudaStream_t stream);

// The rotary angles of `count` positions (int64): cos/sin [count, 2 half] in dtype, element d of position p
// from the fp32 product float(p) * inv_freq[d % half] through cosf/sinf, rounded once, as rope_angles()
// computes it in libtorch (one kernel instead of seven).
cudaError_t rope_angles(const int64_t* positions, const float* inv_freq, void* cos, void* sin, int64_t count,
                        int64_t half, Dtype dtype, cudaStream_t stream);

// causal_mask() of attention.h: allowed [B, T, S] (contiguous) from valid [B, >= S] (row stride
// valid_stride, unit column stride) and the T query slots (int64, on the device), in one kernel.
cudaError_t causal_mask(const bool* valid, int64_t valid_stride, const int64_t* slots, bool* allowed,
                        int64_t B, int64_t T, int64_t S, cudaStream_t stream);

// SwiGLU's gate: out[r, i] = dtype(dtype(silu(gate[r, i])) * up[r, i]), rounded as silu() then a multiply
// in libtorch; gate and up are [rows, cols] with unit column stride and the given row strides, out is
// contiguous.
cudaError_t silu_mul(const void* gate, int64_t gate_row_stride, const void* up, int64_t up_row_stride,
                     void* out, int64_t rows, int64_t cols, Dtype dtype, cudaStream_t stream);

// Attention of one query token per row over a cache (flash-decoding): the S slots are split into
// `splits` chunks, each chunk's partial softmax state goes to `workspace`, a second kernel merges them.
// q: [B, H, D] through q.stride_b/stride_h; k, v: [B, kv_heads, S, D] (H a multiple of kv_heads; query
// head h reads kv head h / (H / kv_heads)); allowed[b * allowed_stride_b + s]: whether slot s may be
// read (at least one per row); out: [B, H, D] contiguous. Scores and softmax in fp32.
struct AttentionView {
  const void* data;
  int64_t stride_b, stride_h, stride_s;
};
// Whether decode_attention() takes this head size and dtype (D / (16 bytes / element size) in {4..32}).
bool decode_attention_supports(int64_t D, Dtype dtype);
// The chunk count for B x H queries over S slots of head size D on `multiprocessors` SMs, and the
// workspace it needs.
int decode_attention_splits(int64_t B, int64_t H, int64_t S, int64_t D, Dtype dtype, int multiprocessors);
int64_t decode_attention_workspace_floats(int64_t B, int64_t H, int64_t D, int splits);
// With `fresh` (decode's one new token per row, rope_append() folded in): q is the query projection before
// rotary embeddings; each CTA rotates it and the token's key in registers (rope_append()'s rounding), the
// token's slot is attended from registers, and the rotated key and the value are written to the cache at
// that slot (which must lie in [0, S)), so that no separate rope_append() runs.
struct FreshToken {
  AttentionView k, v;         // the token's key and value projections [B, kv_heads, D] (stride_s unused)
  const void* cos = nullptr;  // its angles, [B, D] rows angles_stride_b apart, q's dtype
  const void* sin = nullptr;
  int64_t angles_stride_b = 0;
  const int64_t* slot = nullptr;  // its cache slot (device)
  CacheView keys, values;         // the cache k and v read, to append to
};
cudaError_t decode_attention(const AttentionView& q, const AttentionView& k, const AttentionView& v,
                             const bool* allowed, int64_t allowed_stride_b, void* out, float* workspace,
                             int64_t B, int64_t H, int64_t kv_heads, int64_t S, int64_t D, int splits,
                             float scale, Dtype dtype, const FreshToken* fresh, cudaStream_t stream);

// y[N] = W[N, K] x[K] (+ residual[N]) for one row, fp16 or bf16, fp32 sums, rounded once; W row-major and
// every pointer 16-byte aligned, K a multiple of 8 (gemv_supports).
bool gemv_supports(int64_t K, Dtype dtype);
cudaError_t gemv(const void* w, const void* x, const void* residual, void* y, int64_t N, int64_t K,
                 Dtype dtype, cudaStream_t stream);
// gemv() of the RMSNorm of x: each CTA normalizes x with norm_weight [K] (rms_norm()'s rounding) into
// shared memory first, so that decode needs no separate norm kernel; K <= kGemvNormMaxK. With `swiglu`,
// W is [2N, K] = [gate; up] and y[i] = silu_mul(row i, row N + i), rounded as dense() then silu_mul().
constexpr int64_t kGemvNormMaxK = 16384;
bool gemv_norm_supports(int64_t K, Dtype dtype);
cudaError_t gemv_norm(const void* w, const void* x, const void* norm_weight, float eps, bool swiglu, void* y,
                      int64_t N, int64_t K, Dtype dtype, cudaStream_t stream);

// Greedy choice over logits [rows, vocab] (contiguous): next[r] = argmax of float(logits[r, :]) + bias
// (bias [vocab] fp32; the first index on ties, NaN the largest, as at::argmax), and where `margins` is
// not null, margins[r] = that score minus the runner-up's (a second copy of the best counts).
// `workspace` holds greedy_workspace_bytes(rows, vocab). Where `advance` names them, a decode step's
// counters move on in the same kernel: positions[r] += 1 for every row and *slot += 1.
int64_t greedy_workspace_bytes(int64_t rows, int64_t vocab);
struct StepCounters {
  int64_t* positions = nullptr;
  int64_t* slot = nullptr;
};
cudaError_t greedy(const void* logits, const float* bias, int64_t rows, int64_t vocab, int64_t* next,
                   float* margins, void* workspace, Dtype dtype, cudaStream_t stream,
                   StepCounters advance = {});

}  // namespace lq::kernels
