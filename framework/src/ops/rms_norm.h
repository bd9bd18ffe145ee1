// RMSNorm as Llama defines it: normalise in fp32, cast back, then scale by the weight.
#pragma once

#include <ATen/ATen.h>

namespace lq {

// x: [..., hidden] in the activation dtype; weight: [hidden] in the same dtype.
at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps);

}  // namespace lq
