// Linear: the one interface every linear layer of a model goes through.
//
// The engine calls forward() for each projection of each block (q/k/v/o, gate/up/down) and for the
// output head. A quantization backend replaces the dense layers with its own Linear implementations.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <vector>

#include "llama_quant/api.h"

namespace lq {

// A run of device memory: `bytes` from `data`.
struct DeviceBytes {
  const void* data = nullptr;
  int64_t bytes = 0;
};

class LQ_SDK_API Linear {
 public:
  virtual ~Linear() = default;

  // x: [..., in_features] in the model's activation dtype, on device(). Returns [..., out_features]
  // in the same dtype. Must not modify x.
  virtual at::Tensor forward(const at::Tensor& x) const = 0;
  // residual + forward(x), residual [..., out_features] like the output. The engine calls this where a
  // block adds its residual (o_proj, down_proj), so that a layer can add it in its product's epilogue
  // instead of in a separate pass over the output.
  virtual at::Tensor forward_add(const at::Tensor& x, const at::Tensor& residual) const {
    return residual + forward(x);
  }

  // forward() of the RMSNorm of h, where the layer normalizes inside its own kernel: the engine offers it
  // for the products that follow a block's norm (q/k/v, gate/up) on the fused path, before running its
  // own norm kernel. norm_weight is [in_features] in h's dtype; each element of the normalized input is
  // dtype(norm_weight * dtype(h * rsqrt(mean(h^2) + eps))) with the mean and rsqrt in float32, as the
  // engine's own norm rounds it. Return an undefined tensor where this layer does not fuse the norm for
  // this input (the default): the engine then normalizes and calls forward().
  virtual at::Tensor forward_rms_normed(const at::Tensor& h, const at::Tensor& norm_weight,
                                        double eps) const {
    (void)h, (void)norm_weight, (void)eps;
    return {};
  }

  // For a gate/up layer (its output [gate | up], two halves of out_features / 2): SwiGLU's gate of
  // forward_rms_normed(h, ...) where the layer applies it inside its own kernel, so that decode needs no
  // separate gate kernel. Returns [..., out_features / 2] in h's dtype, each element
  // dtype(dtype(silu(g)) * u) of the halves' elements g and u (each rounded to the dtype first), as the
  // engine's gate rounds it; the norm as forward_rms_normed specifies. The engine offers it for gate/up
  // groups on the fused path before forward_rms_normed; return an undefined tensor (the default) to decline.
  virtual at::Tensor forward_rms_normed_swiglu(const at::Tensor& h, const at::Tensor& norm_weight,
                                               double eps) const {
    (void)h, (void)norm_weight, (void)eps;
    return {};
  }

  // The device memory every product of this layer reads (weights and quantization state), for the layer
  // before it to ask the cache for; empty (the default) where the layer does not say.
  virtual std::vector<DeviceBytes> device_bytes() const { return {}; }
  // The memory the engine's next product reads at decode: the next projection's device_bytes() (q/k/v, o,
  // gate/up, down, then the next block's q/k/v), and those of the ones after it where the engine looks
  // further ahead (LQ_L2_PREFETCH). A layer may ask L2 for it while its own one-token product runs, so that
  // the next product's first loads come from L2 rather than HBM; the default ignores it. The engine calls
  // it once, after loading, for each projection of the fused path but the last block's down.
  virtual void prefetch_next(std::vector<DeviceBytes> next) { (void)next; }

  virtual int64_t in_features() const = 0;
  virtual int64_t out_features() const = 0;
  // Exact bytes of storage this layer holds (weights and all quantization state).
  virtual int64_t bytes() const = 0;
  // A short human-readable description of the layer's format, e.g. "nf4 blocksize=64 dq".
  virtual std::string describe() const = 0;
};

// A plain dense layer: y = x W^T with W [out_features, in_features]. Used for every layer a backend
// leaves alone, and by the fp16 baseline.
class LQ_SDK_API DenseLinear : public Linear {
 public:
  explicit DenseLinear(at::Tensor weight) : weight_(std::move(weight)) {}

  at::Tensor forward(const at::Tensor& x) const override { return at::matmul(x, weight_.t()); }
  std::vector<DeviceBytes> device_bytes() const override {
    if (!weight_.is_contiguous()) return {};
    return {{weight_.data_ptr(), bytes()}};
  }
  int64_t in_features() const override { return weight_.size(1); }
  int64_t out_features() const override { return weight_.size(0); }
  int64_t bytes() const override { return weight_.numel() * static_cast<int64_t>(weight_.element_size()); }
  std::string describe() const override {
    return std::string("dense ") + at::toString(weight_.scalar_type());
  }
  const at::Tensor& weight() const { return weight_; }

 private:
  at::Tensor weight_;
};

}  // namespace lq
