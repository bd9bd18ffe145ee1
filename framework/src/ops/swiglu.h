// SwiGLU's gate of the Llama MLP: silu(gate) * up, each rounded to the activation dtype as libtorch's
// silu and multiply round it.
#pragma once

#include <ATen/ATen.h>

#include "ops/op_impl.h"

namespace lq {

// gate, up: [..., intermediate] of one dtype (views of a fused product are fine); one kernel on CUDA
// (kFused), at::silu(gate) * up otherwise.
at::Tensor silu_mul(const at::Tensor& gate, const at::Tensor& up, OpImpl impl = OpImpl::kFused);
// silu_mul of the two halves [gate | up] of gate_up's last dimension (a fused gate/up product's output).
at::Tensor swiglu(const at::Tensor& gate_up, OpImpl impl = OpImpl::kFused);

}  // namespace lq
