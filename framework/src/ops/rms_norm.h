// RMSNorm as Llama defines it: normalise in fp32, cast back, then scale by the weight.
#pragma once

#include <ATen/ATen.h>

#include "ops/op_impl.h"

namespace lq {

// x: [..., hidden] in the activation dtype; weight: [hidden] in the same dtype.
at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps, OpImpl impl = OpImpl::kFused);

}  // namespace lq
