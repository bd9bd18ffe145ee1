// The libtorch-CUDA side of bnb4 (bnb4_linear_gpu.cc), built only with a CUDA libtorch
// (LQ_BNB4_HAVE_CUDA): it hands device tensors to the raw kernels of numerics/*_gpu.cu.
#pragma once

#include <vector>

#include "bnb4_linear.h"

namespace bnb4 {

QuantizedWeight quantize_weight_cuda(const at::Tensor& weight, const Config& config);
at::Tensor dequantize_cuda(const QuantizedWeight& w, at::ScalarType dtype);
// x [..., K] times the weights `ws` (all [*, K], one code type and absmax form), outputs side by side
// [..., sum of rows], plus `residual` (that shape) when defined. Picks by batch M and dtype: M = 1 one
// matrix-vector launch for the whole group, residual included; M = 2..16 in float16 / bfloat16 one
// tensor-core launch likewise; float32 at M = 2..16 the tiled kernel per weight; larger M dequantize +
// cuBLAS per weight.
// `next`: what the next product reads, which the one-row launch asks L2 for (Linear::prefetch_next).
at::Tensor forward_cuda(const std::vector<const QuantizedWeight*>& ws, const at::Tensor& x,
                        const at::Tensor& residual, const std::vector<lq::DeviceBytes>& next = {});

// The group's outputs for RMSNorm(h) with norm_weight (h's dtype) and eps, the norm inside the
// matrix-vector kernel, where h is one row (decode); undefined otherwise (the caller normalizes).
at::Tensor forward_normed_cuda(const std::vector<const QuantizedWeight*>& ws, const at::Tensor& h,
                               const at::Tensor& norm_weight, double eps,
                               const std::vector<lq::DeviceBytes>& next = {});
// SwiGLU's gate of forward_normed_cuda for a gate/up pair (ws = {gate, up}, equal shapes), the gate applied
// in the same kernel: [..., rows]; undefined where the kernel does not take it (the caller falls back).
at::Tensor forward_normed_swiglu_cuda(const std::vector<const QuantizedWeight*>& ws, const at::Tensor& h,
                                      const at::Tensor& norm_weight, double eps,
                                      const std::vector<lq::DeviceBytes>& next = {});

}  // namespace bnb4
