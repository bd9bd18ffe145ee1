// QuantBackend: what a quantization plugin implements.
//
// The framework loads a model, then walks its linear layers by name (Hugging Face names such as
// "model.layers.3.self_attn.q_proj", "model.layers.3.mlp.down_proj", "lm_head") and asks the backend,
// for each layer it wants(), to quantize() the dense weight into a Linear of its own. Layers it does
// not want stay dense in the model's activation dtype. See plugins/fp16 for the smallest example and
// docs/PLUGINS.md for a walk-through.
#pragma once

#include <ATen/ATen.h>

#include <memory>
#include <string>
#include <vector>

#include "llama_quant/api.h"
#include "llama_quant/linear.h"
#include "llama_quant/params.h"

namespace lq {

struct QuantizeContext {
  at::Device device = at::kCPU;                  // where the quantized layer will run
  at::ScalarType activation_dtype = at::kFloat;  // dtype of the x its forward() receives
};

class LQ_SDK_API QuantBackend {
 public:
  virtual ~QuantBackend() = default;

  // Reads and checks the `quantization.params` of the experiment. Every problem goes to `diag` with
  // its location; the framework calls this once to validate and once more before quantizing.
  virtual void configure(const Params& params, Diagnostics& diag) = 0;

  // Whether this backend replaces the linear layer called `name` (e.g. false for "lm_head").
  virtual bool wants(const std::string& name) const = 0;

  // Builds the replacement for one layer. `weight` is [out_features, in_features], on ctx.device, in the
  // dtype the model was loaded in. Throw lq::Error for input the backend cannot handle.
  virtual std::shared_ptr<Linear> quantize(const std::string& name, const at::Tensor& weight,
                                           const QuantizeContext& ctx) = 0;

  // One layer that computes `parts` side by side: its output is their outputs concatenated along the
  // last dimension. The engine offers the projections that share an input (q/k/v, gate/up of a block),
  // each already built by this backend's quantize(), so that decode runs one kernel instead of several.
  // Return null to keep them separate (the default). The parts stay owned by the model and are still
  // what it reports sizes and formats of, so the fused layer must not hold a copy of their storage.
  virtual std::shared_ptr<Linear> fuse(const std::vector<std::shared_ptr<Linear>>& parts) const {
    (void)parts;
    return nullptr;
  }

  // The effective settings after configure(), recorded in the result (e.g. {"quant_type":"nf4",...}).
  virtual json settings() const = 0;
};

}  // namespace lq
