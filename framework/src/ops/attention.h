// Attention over a key/value cache: grouped-query, masked, scaled by 1/sqrt(head_dim).
#pragma once

#include <ATen/ATen.h>

#include "ops/op_impl.h"
#include "ops/rope.h"

namespace lq {

// q: [B, heads, T, D]; k, v: [B, kv_heads, S, D] with heads a multiple of kv_heads (query head h reads
// key/value head h / (heads / kv_heads)); allowed: [B, 1, T, S] bool, true where a query may attend to a
// key. Every query row must allow at least one key. Returns [B, heads, T, D] in q's dtype.
// One query token on CUDA (kFused): the decode-attention kernel (ops/decode_attention.cu). Otherwise
// at::scaled_dot_product_attention where libtorch has it (>= 2.0), else naive_attention, on the query
// heads grouped by their key/value head (no copies of k and v).
at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& allowed,
                     OpImpl impl = OpImpl::kFused);

// Decode's rotary embeddings, cache append and attention for one new token per row: q [B, heads, 1, D],
// k and v [B, kv_heads, 1, D] before rotary embeddings; the token's rotated key and its value go to
// keys/values [B, kv_heads, capacity, D] at slots[0], which must lie in [0, S), and the rotated query attends
// over slots [0, S) under `allowed` [B, 1, 1, S]. On CUDA (kFused) one kernel where the decode-attention
// kernel takes the shapes (the rotated query and key never leave registers before use); otherwise, and for
// more tokens, rope_and_append() then attention(): the same values either way.
at::Tensor rope_append_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                 const RopeAngles& angles, at::Tensor& keys, at::Tensor& values,
                                 const at::Tensor& slots, int64_t S, const at::Tensor& allowed,
                                 OpImpl impl = OpImpl::kFused);

// The explicit formula: softmax(q k^T / sqrt(D) + mask) v with the softmax in fp32, as transformers'
// eager attention computes it.
at::Tensor naive_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                           const at::Tensor& allowed);

// Repeats each key/value head heads / kv_heads times along dim 1.
at::Tensor expand_kv_heads(const at::Tensor& kv, int64_t heads);

// The mask for the queries written at cache slots `slots` ([T] int64 on valid's device) attending to
// slots [0, S): allowed[b, 0, i, j] = valid[b, j] && j <= slots[i], and always j == slots[i] (so that a
// padding query, whose result is discarded, still has a key). valid: [B, >= S] bool. Device-side only
// (no host reads), so it can be captured in a CUDA graph.
// On CUDA (kFused) one kernel.
at::Tensor causal_mask(const at::Tensor& valid, const at::Tensor& slots, int64_t S,
                       OpImpl impl = OpImpl::kFused);

}  // namespace lq
