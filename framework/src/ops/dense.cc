#include "ops/dense.h"

#include "ops/fused_ops.h"
#include "ops/rms_norm.h"
#include "ops/swiglu.h"

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

at::Tensor norm_dense(const at::Tensor& h, const at::Tensor& norm_weight, double eps, const at::Tensor& w,
                      bool swiglu, OpImpl impl) {
#ifdef LQ_HAVE_CUDA
  if (h.is_cuda() && impl == OpImpl::kFused && h.numel() == h.size(-1) &&
      norm_gemv_cuda_supports(h, norm_weight, w, swiglu))
    return norm_gemv_cuda(h, norm_weight, eps, w, swiglu);
#endif
  const at::Tensor y = dense(rms_norm(h, norm_weight, eps, impl), w, {}, impl);
  return swiglu ? lq::swiglu(y, impl) : y;
}

}  // namespace lq
