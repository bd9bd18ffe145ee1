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

// One product of a block tail: its weights, and what the next product reads (Linear::prefetch_next).
struct TailPart {
  std::vector<const QuantizedWeight*> weights;
  const std::vector<lq::DeviceBytes>& next;
};
// A decode block's tail, o + residual, RMSNorm + gate/up + SwiGLU, down + residual, in one launch for one
// row (block_tail_4bit_cuda), the values of forward_cuda, forward_normed_swiglu_cuda and forward_cuda one
// after another: [..., hidden] like residual; undefined where the kernel does not take these shapes, types
// or formats (the caller runs the three). counter: an int32 zero on the device, for one launch at a time.
at::Tensor block_tail_cuda(const TailPart& o, const TailPart& gate_up, const TailPart& down,
                           const at::Tensor& x, const at::Tensor& residual, const at::Tensor& norm_weight,
                           double eps, const at::Tensor& counter);

}  // namespace bnb4
