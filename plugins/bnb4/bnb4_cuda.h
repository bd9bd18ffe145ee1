// The libtorch-CUDA side of bnb4 (bnb4_linear_gpu.cc), built only with a CUDA libtorch
// (LQ_BNB4_HAVE_CUDA): it hands device tensors to the raw kernels of numerics/*_gpu.cu.
#pragma once

#include "bnb4_linear.h"

namespace bnb4 {

QuantizedWeight quantize_weight_cuda(const at::Tensor& weight, const Config& config);
at::Tensor dequantize_cuda(const QuantizedWeight& w, at::ScalarType dtype);
// Picks by batch: M == 1 matrix-vector kernel, M <= 16 small-batch kernel, else dequantize + cuBLAS.
at::Tensor forward_cuda(const QuantizedWeight& w, const at::Tensor& x);

}  // namespace bnb4
