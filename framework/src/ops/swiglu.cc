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

at::Tensor swiglu(const at::Tensor& gate_up, OpImpl impl) {
  const int64_t I = gate_up.size(-1) / 2;
  return silu_mul(gate_up.narrow(-1, 0, I), gate_up.narrow(-1, I, I), impl);
}

}  // namespace lq
