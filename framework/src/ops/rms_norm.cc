#include "ops/rms_norm.h"

#include "ops/fused_ops.h"

namespace lq {

at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps, OpImpl impl) {
#ifdef LQ_HAVE_CUDA
  if (x.is_cuda() && impl == OpImpl::kFused) return rms_norm_cuda(x, weight, eps);
#else
  (void)impl;
#endif
  // The order of casts matches transformers' LlamaRMSNorm, so fp16/bf16 results round the same way.
  at::Tensor h = x.to(at::kFloat);
  at::Tensor inv = at::rsqrt(h.pow(2).mean(-1, /*keepdim=*/true) + eps);
  return weight * (h * inv).to(x.scalar_type());
}

}  // namespace lq
