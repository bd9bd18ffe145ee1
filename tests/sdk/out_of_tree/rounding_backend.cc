// The example of docs/PLUGINS.md: a backend that rounds weights to a fixed number of bits per value
// with one scale per output row ("round-to-nearest", the simplest weight-only quantization).
#include <llama_quant/sdk.h>

#include <cmath>

namespace {

class RoundedLinear final : public lq::Linear {
 public:
  RoundedLinear(at::Tensor codes, at::Tensor scales, int bits)
      : codes_(std::move(codes)), scales_(std::move(scales)), bits_(bits) {}

  at::Tensor forward(const at::Tensor& x) const override {
    at::Tensor w = codes_.to(x.scalar_type()) * scales_.to(x.scalar_type());
    return at::matmul(x, w.t());
  }
  int64_t in_features() const override { return codes_.size(1); }
  int64_t out_features() const override { return codes_.size(0); }
  int64_t bytes() const override { return codes_.numel() + scales_.numel() * 4; }  // int8 codes, fp32 scales
  std::string describe() const override { return "rtn int" + std::to_string(bits_) + " per-row"; }

 private:
  at::Tensor codes_, scales_;
  int bits_;
};

class RoundingBackend final : public lq::QuantBackend {
 public:
  void configure(const lq::Params& params, lq::Diagnostics& diag) override {
    params.check_keys({"bits"}, diag);
    bits_ = params.one_of("bits", int64_t{8}, {2, 3, 4, 5, 6, 7, 8}, diag);
  }
  bool wants(const std::string& name) const override { return name != "lm_head"; }
  std::shared_ptr<lq::Linear> quantize(const std::string&, const at::Tensor& weight,
                                       const lq::QuantizeContext& ctx) override {
    const double qmax = std::pow(2.0, bits_ - 1) - 1;
    at::Tensor w = weight.to(at::kFloat);
    at::Tensor scales = w.abs().amax({1}, /*keepdim=*/true).clamp_min(1e-12) / qmax;
    at::Tensor codes = (w / scales).round().clamp(-qmax, qmax).to(at::kChar);
    return std::make_shared<RoundedLinear>(codes.to(ctx.device), scales.to(ctx.device),
                                           static_cast<int>(bits_));
  }
  lq::json settings() const override { return {{"bits", bits_}}; }

 private:
  int64_t bits_ = 8;
};

}  // namespace

LQ_BACKEND_PLUGIN(RoundingBackend, "rounding", "0.1.0", "example: per-row round-to-nearest integers")
