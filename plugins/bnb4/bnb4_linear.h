// Bnb4Linear: a linear layer whose weight is stored as bitsandbytes 4-bit blocks (plus float32 or
// double-quantized absmax), on the CPU or a CUDA device.
#pragma once

#include <llama_quant/linear.h>

#include <string>
#include <vector>

#include "bnb4_config.h"
#include "numerics/dequantize_4bit.h"

namespace bnb4 {

// The quantized weight, as tensors on the layer's device.
struct QuantizedWeight {
  int64_t rows = 0, cols = 0;  // out_features, in_features
  int blocksize = 64;
  QuantType type = QuantType::kNF4;
  at::Tensor packed;   // uint8 [packed_bytes(rows * cols)]
  at::Tensor absmax;   // float32 [blocks], when not double-quantized
  at::Tensor codes;    // uint8 [blocks], double-quantized absmax
  at::Tensor absmax2;  // float32 [ceil(blocks / 256)]
  float offset = 0.0f;
  bool nested() const { return codes.defined(); }
  Packed4bit view() const;  // raw pointers for the kernels
  // The device memory a product reads: the packed codes, then the absmax (or the scale codes and absmax2).
  std::vector<lq::DeviceBytes> device_bytes() const;
};

ElemType elem_type_of(at::ScalarType t, const std::string& what);

// A quantized weight's shape, format and buffers, allocated on the device of `w` (a contiguous [rows, cols]
// weight) for a quantize implementation to fill: the packed codes and the first-level float32 absmax
// (which is q.absmax itself unless double_quant, where q's nested codes and absmax2 are allocated too).
struct QuantizeTarget {
  QuantizedWeight q;
  at::Tensor absmax;
  int64_t n = 0, blocks = 0;  // weights and first-level blocks
};
QuantizeTarget quantize_target(const at::Tensor& w, const Config& config);

// Quantizes a 2-D float16/bfloat16/float32 weight on its own device.
QuantizedWeight quantize_weight(const at::Tensor& weight, const Config& config);

class Bnb4Linear final : public lq::Linear {
 public:
  Bnb4Linear(std::string name, QuantizedWeight weight, at::ScalarType compute_dtype);

  at::Tensor forward(const at::Tensor& x) const override;
  // On CUDA the residual is added in the product's epilogue (batches the fused kernels take).
  at::Tensor forward_add(const at::Tensor& x, const at::Tensor& residual) const override;
  std::vector<lq::DeviceBytes> device_bytes() const override { return w_.device_bytes(); }
  // On CUDA the one-row product asks L2 for `next` while it runs.
  void prefetch_next(std::vector<lq::DeviceBytes> next) override { next_ = std::move(next); }
  int64_t in_features() const override { return w_.cols; }
  int64_t out_features() const override { return w_.rows; }
  // Packed codes + absmax (float32), or packed codes + 8-bit codes + float32 absmax2 + offset; plus
  // the per-layer code tables bitsandbytes serializes with them: the 16-entry 4-bit map (64 B) and,
  // with double quantization, the 256-entry 8-bit map (1 KiB).
  int64_t bytes() const override;
  std::string describe() const override;

  const QuantizedWeight& weight() const { return w_; }
  at::ScalarType compute_dtype() const { return compute_dtype_; }
  const std::string& name() const { return name_; }
  // Throws lq::Error unless x is [..., in_features] in the compute dtype on the weight's device.
  void check_input(const at::Tensor& x) const;
  // The dequantized weight [out, in] in `dtype` (bitsandbytes dequantize_4bit).
  at::Tensor dequantize(at::ScalarType dtype) const;

 private:
  std::string name_;
  QuantizedWeight w_;
  at::ScalarType compute_dtype_;
  std::vector<lq::DeviceBytes> next_;  // prefetch_next()
};

}  // namespace bnb4
