#include "ops/swiglu.h"

#include "ops/fused_ops.h"

namespace lq {

at::Tensor silu_mul(const at::Tensor& gate, const at::Tensor& up, OpImpl impl) {
#ifdef LQ_HAVE_CUDA
  if (gate.is_cuda() && impl == OpImpl::kFused) return silu_mul_cuda(gate, up);
#else
  (void)impl;
#endif
  return at::silu(gate) * up;
}

}  // namespace lq
