// libtorch-CUDA glue of ops/fused_kernels.cu: checks layouts, takes the current stream.
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include <string>

#include "llama_quant/diagnostics.h"
#include "ops/fused_kernels.h"
#include "ops/fused_ops.h"

namespace lq {
namespace {

kernels::Dtype kernel_dtype(at::ScalarType t) {
  switch (t) {
    case at::kFloat:
      return kernels::Dtype::kF32;
    case at::kHalf:
      return kernels::Dtype::kF16;
    case at::kBFloat16:
      return kernels::Dtype::kBF16;
    default:
      throw Error(std::string("fused CUDA ops: unsupported dtype ") + at::toString(t));
  }
}

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw Error(std::string(what) + ": " + cudaGetErrorString(e));
}

}  // namespace

at::Tensor rms_norm_cuda(const at::Tensor& x, const at::Tensor& weight, double eps) {
  c10::cuda::CUDAGuard guard(x.device());
  const at::Tensor xc = x.contiguous(), w = weight.contiguous();
  TORCH_CHECK(w.scalar_type() == x.scalar_type() && w.numel() == x.size(-1),
              "rms_norm: weight [hidden] of x's dtype");
  at::Tensor y = at::empty_like(xc);
  const int64_t cols = x.size(-1);
  check(kernels::rms_norm(xc.data_ptr(), w.data_ptr(), y.data_ptr(), xc.numel() / cols, cols,
                          static_cast<float>(eps), kernel_dtype(x.scalar_type()),
                          c10::cuda::getCurrentCUDAStream().stream()),
        "rms_norm kernel");
  return y;
}

at::Tensor apply_rope_cuda(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
  c10::cuda::CUDAGuard guard(x.device());
  TORCH_CHECK(x.dim() == 4 && x.stride(3) == 1, "apply_rope: x [B, H, T, D] with unit stride in D");
  const at::Tensor c = cos.contiguous(), s = sin.contiguous();
  TORCH_CHECK(c.scalar_type() == x.scalar_type() && c.sizes() == s.sizes() && c.size(0) == x.size(0) &&
                  c.size(1) == x.size(2) && c.size(2) == x.size(3),
              "apply_rope: cos and sin [B, T, D] of x's dtype");
  at::Tensor y = at::empty_like(x);  // the same strides as x
  TORCH_CHECK(y.stride(3) == 1, "apply_rope: output layout");
  kernels::RopeView xv{x.data_ptr(), x.stride(0), x.stride(1), x.stride(2)};
  kernels::RopeView yv{y.data_ptr(), y.stride(0), y.stride(1), y.stride(2)};
  check(kernels::rope(xv, yv, c.data_ptr(), s.data_ptr(), x.size(0), x.size(1), x.size(2), x.size(3),
                      kernel_dtype(x.scalar_type()), c10::cuda::getCurrentCUDAStream().stream()),
        "rope kernel");
  return y;
}

}  // namespace lq
