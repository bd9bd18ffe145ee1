// The product of a plain dense layer, x W^T (+ residual), as the model runs it.
#pragma once

#include <ATen/ATen.h>

#include "ops/op_impl.h"

namespace lq {

// x: [..., K]; w: [N, K]; residual: [..., N] or undefined. One row of fp16/bf16 on CUDA (batch-1 decode)
// goes through the framework's GEMV kernel (kFused, ops/gemv.cu); everything else through matmul, or
// addmm with the residual in the GEMM epilogue (one kernel, the sum rounded once).
at::Tensor dense(const at::Tensor& x, const at::Tensor& w, const at::Tensor& residual,
                 OpImpl impl = OpImpl::kFused);

}  // namespace lq
