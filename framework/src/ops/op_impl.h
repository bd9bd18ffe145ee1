// Which implementation an op runs on CUDA tensors. The fused kernels are the fast path; libtorch's own
// operators, as the formulas read, are the reference it is tested against (`generation.fused_kernels:
// false` runs a whole model on them). CPU tensors always take the formulas.
#pragma once

namespace lq {

enum class OpImpl { kFused, kLibtorch };

}  // namespace lq
