#include "ops/attention.h"

#include <torch/version.h>

#include <cmath>
#include <limits>

#include "ops/fused_ops.h"

namespace lq {

at::Tensor expand_kv_heads(const at::Tensor& kv, int64_t heads) {
  const int64_t kv_heads = kv.size(1);
  if (kv_heads == heads) return kv;
  const int64_t rep = heads / kv_heads;
  return kv.unsqueeze(2)
      .expand({kv.size(0), kv_heads, rep, kv.size(2), kv.size(3)})
      .reshape({kv.size(0), heads, kv.size(2), kv.size(3)});
}

at::Tensor naive_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                           const at::Tensor& allowed) {
  const int64_t heads = q.size(1);
  at::Tensor keys = expand_kv_heads(k, heads);
  at::Tensor values = expand_kv_heads(v, heads);
  at::Tensor scores =
      at::matmul(q, keys.transpose(-1, -2)).to(at::kFloat) / std::sqrt(static_cast<double>(q.size(-1)));
  scores = scores.masked_fill(allowed.logical_not(), -std::numeric_limits<float>::infinity());
  at::Tensor probs = at::softmax(scores, -1).to(q.scalar_type());
  return at::matmul(probs, values);
}

at::Tensor rope_append_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                 const RopeAngles& angles, at::Tensor& keys, at::Tensor& values,
                                 const at::Tensor& slots, int64_t S, const at::Tensor& allowed, OpImpl impl) {
#ifdef LQ_HAVE_CUDA
  if (q.is_cuda() && impl == OpImpl::kFused && q.size(2) == 1 && slots.numel() == 1 &&
      rope_append_attention_cuda_supports(q, k, v, keys, values, S, allowed))
    return rope_append_attention_cuda(q, k, v, angles.cos, angles.sin, keys, values, slots, S, allowed);
#endif
  const at::Tensor rotated = rope_and_append(q, k, v, angles, keys, values, slots, impl);
  return attention(rotated, keys.narrow(2, 0, S), values.narrow(2, 0, S), allowed, impl);
}

at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& allowed,
                     OpImpl impl) {
#ifdef LQ_HAVE_CUDA
  if (q.is_cuda() && impl == OpImpl::kFused && decode_attention_cuda_supports(q, k, v, allowed))
    return decode_attention_cuda(q, k, v, allowed);
#else
  (void)impl;
#endif
  // Grouped-query attention without copying key/value heads: the rep query heads that share a kv head
  // are stacked as rep * T query rows of that head ([B, kv_heads, rep * T, D]), and each row keeps its
  // own mask row. Expanding k and v instead would read and write the whole cache rep times per layer.
  const int64_t B = q.size(0), heads = q.size(1), T = q.size(2), D = q.size(3);
  const int64_t kv_heads = k.size(1), rep = heads / kv_heads, S = k.size(2);
  at::Tensor grouped_q = q.reshape({B, kv_heads, rep * T, D});
  at::Tensor grouped_mask = rep == 1 || T == 1
                                ? allowed
                                : allowed.unsqueeze(2).expand({B, 1, rep, T, S}).reshape({B, 1, rep * T, S});
#if TORCH_VERSION_MAJOR >= 2
  at::Tensor out = at::scaled_dot_product_attention(grouped_q, k, v, grouped_mask, /*dropout_p=*/0.0,
                                                    /*is_causal=*/false);
#else
  at::Tensor out = naive_attention(grouped_q, k, v, grouped_mask);
#endif
  return out.reshape({B, heads, T, D});
}

at::Tensor causal_mask(const at::Tensor& valid, const at::Tensor& slots, int64_t S, OpImpl impl) {
#ifdef LQ_HAVE_CUDA
  if (valid.is_cuda() && impl == OpImpl::kFused && valid.scalar_type() == at::kBool && valid.stride(1) == 1)
    return causal_mask_cuda(valid, slots, S);
#else
  (void)impl;
#endif
  at::Tensor key_slot = at::arange(S, slots.options()).unsqueeze(0);  // [1, S]
  at::Tensor query_slot = slots.unsqueeze(1);                         // [T, 1]
  at::Tensor causal = key_slot <= query_slot;                         // [T, S]
  at::Tensor self = key_slot == query_slot;
  at::Tensor allowed = causal.unsqueeze(0).logical_and(valid.narrow(1, 0, S).unsqueeze(1));  // [B, T, S]
  return allowed.logical_or(self.unsqueeze(0)).unsqueeze(1);
}

}  // namespace lq
