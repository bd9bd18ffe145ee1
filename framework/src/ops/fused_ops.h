// The libtorch-CUDA side of the framework's own kernels (ops/fused_kernels.cu, decode_attention.cu,
// gemv.cu, greedy.cu): the ops in rms_norm.h, rope.h, attention.h, swiglu.h, dense.h and greedy.h call these
// for CUDA tensors when asked for OpImpl::kFused. Declared only where libtorch has CUDA.
#pragma once

#ifdef LQ_HAVE_CUDA

#include <ATen/ATen.h>

#include <utility>

namespace lq {

at::Tensor rms_norm_cuda(const at::Tensor& x, const at::Tensor& weight, double eps);
at::Tensor rope_append_cuda(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                            const at::Tensor& cos, const at::Tensor& sin, at::Tensor& keys,
                            at::Tensor& values, const at::Tensor& slots);
at::Tensor silu_mul_cuda(const at::Tensor& gate, const at::Tensor& up);
// rope_angles() and causal_mask() in one kernel each (positions, slots int64; valid bool).
std::pair<at::Tensor, at::Tensor> rope_angles_cuda(const at::Tensor& positions, const at::Tensor& inv_freq,
                                                   at::ScalarType dtype);
at::Tensor causal_mask_cuda(const at::Tensor& valid, const at::Tensor& slots, int64_t S);
// Whether decode_attention_cuda takes these tensors (one query token, a head size and dtype it has a
// kernel for, 16-byte aligned rows); else attention() uses SDPA.
bool decode_attention_cuda_supports(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                    const at::Tensor& allowed);
at::Tensor decode_attention_cuda(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                 const at::Tensor& allowed);
// rope_and_append() then attention() for decode (q [B, H, 1, D], k and v [B, kv, 1, D] before rotary
// embeddings) in the decode-attention kernel: the cache over slots [0, S) is keys/values narrowed to S, and
// the token's slot (slots [1]) must lie in it; the _supports form says whether the kernel takes the tensors.
bool rope_append_attention_cuda_supports(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                         const at::Tensor& keys, const at::Tensor& values, int64_t S,
                                         const at::Tensor& allowed);
at::Tensor rope_append_attention_cuda(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                      const at::Tensor& cos, const at::Tensor& sin, at::Tensor& keys,
                                      at::Tensor& values, const at::Tensor& slots, int64_t S,
                                      const at::Tensor& allowed);
// One row x [..., K] times w [N, K]^T (+ residual [..., N], or undefined) through the GEMV kernel, when
// gemv_cuda_supports says it takes them (fp16/bf16, contiguous, aligned).
bool gemv_cuda_supports(const at::Tensor& x, const at::Tensor& w, const at::Tensor& residual);
at::Tensor gemv_cuda(const at::Tensor& x, const at::Tensor& w, const at::Tensor& residual);
// The same of rms_norm(h, norm_weight, eps) in one kernel, and with `swiglu` silu_mul of the product's two
// halves (w [2I, K] gives [..., I]), when norm_gemv_cuda_supports says the GEMV kernel takes them.
bool norm_gemv_cuda_supports(const at::Tensor& h, const at::Tensor& norm_weight, const at::Tensor& w,
                             bool swiglu);
at::Tensor norm_gemv_cuda(const at::Tensor& h, const at::Tensor& norm_weight, double eps, const at::Tensor& w,
                          bool swiglu);

// greedy_step() of logits [B, V] (fp32/fp16/bf16) and bias [V] float32 in two kernels.
struct GreedyStep;
void greedy_step_cuda(const at::Tensor& logits, const at::Tensor& bias, const GreedyStep& step);

}  // namespace lq

#endif
