// The fp16 baseline: keeps every linear layer dense, in fp16, bf16 or fp32. The reference every other
// backend is compared with, and the smallest complete example of a backend plugin.
#include <llama_quant/sdk.h>

namespace {

class Fp16Backend final : public lq::QuantBackend {
 public:
  void configure(const lq::Params& params, lq::Diagnostics& diag) override {
    params.check_keys({"dtype"}, diag);
    dtype_name_ = params.one_of("dtype", "auto", {"auto", "float16", "bfloat16", "float32"}, diag);
  }

  bool wants(const std::string&) const override { return true; }

  std::shared_ptr<lq::Linear> quantize(const std::string&, const at::Tensor& weight,
                                       const lq::QuantizeContext& ctx) override {
    // A dense layer multiplies in its storage dtype, so storage and activations must agree; "auto"
    // follows the experiment's dtype.
    if (dtype_name_ != "auto" && dtype() != ctx.activation_dtype)
      throw lq::Error("fp16 backend: dtype '" + dtype_name_ + "' differs from the experiment's dtype " +
                      std::string(at::toString(ctx.activation_dtype)) + "; set both to the same value");
    return std::make_shared<lq::DenseLinear>(weight.to(ctx.device, ctx.activation_dtype).contiguous());
  }

  lq::json settings() const override { return {{"dtype", dtype_name_}}; }

 private:
  at::ScalarType dtype() const {
    if (dtype_name_ == "bfloat16") return at::kBFloat16;
    if (dtype_name_ == "float32") return at::kFloat;
    return at::kHalf;
  }
  std::string dtype_name_ = "auto";
};

}  // namespace

LQ_BACKEND_PLUGIN(Fp16Backend, "fp16", "1.0.0", "dense baseline: weights kept in fp16, bf16 or fp32")
