#include "ops/dense.h"

#include "ops/fused_ops.h"

namespace lq {

at::Tensor dense(const at::Tensor& x, const at::Tensor& w, const at::Tensor& residual, OpImpl impl) {
#ifdef LQ_HAVE_CUDA
  if (x.is_cuda() && impl == OpImpl::kFused && x.numel() == x.size(-1) && gemv_cuda_supports(x, w, residual))
    return gemv_cuda(x, w, residual);
#else
  (void)impl;
#endif
  if (!residual.defined()) return at::matmul(x, w.t());
  return at::addmm(residual.reshape({-1, w.size(0)}), x.reshape({-1, w.size(1)}), w.t())
      .view(residual.sizes());
}

}  // namespace lq
