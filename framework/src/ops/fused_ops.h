// CUDA versions of rms_norm and apply_rope, one kernel each (ops/fused_kernels.cu); rms_norm() and
// apply_rope() call them for CUDA tensors. Declared only where libtorch has CUDA.
#pragma once

#ifdef LQ_HAVE_CUDA

#include <ATen/ATen.h>

namespace lq {

at::Tensor rms_norm_cuda(const at::Tensor& x, const at::Tensor& weight, double eps);
at::Tensor apply_rope_cuda(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin);

}  // namespace lq

#endif
