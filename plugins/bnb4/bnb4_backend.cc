// The bnb4 plugin: bitsandbytes-exact NF4 / FP4 blockwise 4-bit weights, optionally with double
// quantization of the absmax, on the CPU (reference numerics) or CUDA (fused kernels).
#include <llama_quant/sdk.h>

#include "bnb4_config.h"
#include "bnb4_group.h"
#include "bnb4_linear.h"

namespace bnb4 {
namespace {

at::ScalarType dtype_named(const std::string& name) {
  if (name == "float16") return at::kHalf;
  if (name == "bfloat16") return at::kBFloat16;
  return at::kFloat;
}

class Bnb4Backend final : public lq::QuantBackend {
 public:
  void configure(const lq::Params& params, lq::Diagnostics& diag) override {
    config_ = Config::parse(params, diag);
  }

  bool wants(const std::string& name) const override { return !config_.skips(name); }

  std::shared_ptr<lq::Linear> quantize(const std::string& name, const at::Tensor& weight,
                                       const lq::QuantizeContext& ctx) override {
    // The layer multiplies in the activation dtype; a compute_dtype that differs would silently cast.
    at::ScalarType compute = ctx.activation_dtype;
    if (config_.compute_dtype != "auto" && dtype_named(config_.compute_dtype) != ctx.activation_dtype)
      throw lq::Error(
          "bnb4 backend: compute_dtype '" + config_.compute_dtype + "' differs from the experiment's dtype " +
          std::string(at::toString(ctx.activation_dtype)) + "; set both to the same value or use 'auto'");
    elem_type_of(compute, "bnb4 backend: activation dtype");
    try {
      return std::make_shared<Bnb4Linear>(name, quantize_weight(weight.to(ctx.device), config_), compute);
    } catch (const lq::Error& e) {
      throw lq::Error("bnb4 backend: layer '" + name + "': " + e.what());
    }
  }

  // q/k/v and gate/up as one tensor-core launch each on CUDA (Bnb4Group); apart on the CPU.
  std::shared_ptr<lq::Linear> fuse(const std::vector<std::shared_ptr<lq::Linear>>& parts) const override {
    return Bnb4Group::of(parts);
  }

  lq::json settings() const override { return config_.to_json(); }

 private:
  Config config_;
};

}  // namespace
}  // namespace bnb4

LQ_BACKEND_PLUGIN(bnb4::Bnb4Backend, "bnb4", "1.0.0",
                  "bitsandbytes-exact NF4/FP4 blockwise 4-bit weights, optional double quantization")
