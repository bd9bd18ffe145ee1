// Rotary position embeddings: the inverse frequencies (plain or Llama 3 `rope_scaling`) and their
// application to queries and keys, in the "rotate half" layout of Hugging Face checkpoints.
#pragma once

#include <ATen/ATen.h>

#include "model/model_config.h"
#include "ops/op_impl.h"

namespace lq {

// The per-pair inverse frequencies [head_dim / 2], fp32 on the CPU, computed as transformers computes
// them (fp32 arithmetic), with the Llama 3 low/high frequency scaling when config.rope_scaling asks.
at::Tensor rope_inv_freq(const LlamaConfig& config);

// cos and sin for each position: positions [B, T] (int64), inv_freq [head_dim / 2] (fp32, on the
// positions' device). Both results are [B, T, head_dim] in `dtype`.
struct RopeAngles {
  at::Tensor cos, sin;
};
// On CUDA (kFused) one kernel (ops/fused_kernels.cu), the same values bit for bit.
RopeAngles rope_angles(const at::Tensor& positions, const at::Tensor& inv_freq, at::ScalarType dtype,
                       OpImpl impl = OpImpl::kFused);

// x: [B, heads, T, head_dim]; returns x rotated by the angles (which broadcast over heads), as libtorch
// operators (the formula; the fused form is rope_and_append's).
at::Tensor apply_rope(const at::Tensor& x, const RopeAngles& angles);

// A step's attention inputs: q [B, H, T, D], k and v [B, kv_heads, T, D] (views of the projections) go
// in; the rotated keys and the values are written to keys/values [B, kv_heads, capacity, D] at cache
// slots `slots` ([T] int64 on the device), and the rotated queries come back. One kernel on CUDA
// (kFused); apply_rope twice plus two index_copy_ otherwise.
at::Tensor rope_and_append(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                           const RopeAngles& angles, at::Tensor& keys, at::Tensor& values,
                           const at::Tensor& slots, OpImpl impl = OpImpl::kFused);

}  // namespace lq
