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

// The product of a block's normalized hidden state, as decode runs it: dense(rms_norm(h, norm_weight, eps),
// w) and, with `swiglu`, silu_mul of its two halves [gate | up] (w [2I, K] gives [..., I]). One row of
// fp16/bf16 on CUDA (kFused) is one GEMV kernel that normalizes its input itself; anything else runs the
// three ops.
at::Tensor norm_dense(const at::Tensor& h, const at::Tensor& norm_weight, double eps, const at::Tensor& w,
                      bool swiglu, OpImpl impl = OpImpl::kFused);

}  // namespace lq
