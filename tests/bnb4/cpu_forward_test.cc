// Bnb4Linear's CPU forward: the fused kernel up to kFastCpuMaxRows rows of x, dequantize + matmul
// beyond; and a tiny model decoding token by token keeps the logits of the dequantize-then-multiply path.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "../model/tiny_model.h"
#include "bnb4_linear.h"
#include "model/llama_model.h"
#include "numerics/matmul_4bit_fast.h"

namespace bnb4 {
namespace {

// The forward before the fused kernel: dequantize to the activation dtype, then at::matmul.
at::Tensor dequantize_then_matmul(const Bnb4Linear& layer, const at::Tensor& x) {
  const at::Tensor w = layer.dequantize(x.scalar_type());
  if (x.scalar_type() == at::kHalf) return at::matmul(x.to(at::kFloat), w.to(at::kFloat).t()).to(at::kHalf);
  return at::matmul(x, w.t());
}

// The kernel called directly on the layer's packed weight, over all output columns at once.
at::Tensor fused(const Bnb4Linear& layer, const at::Tensor& x) {
  const int64_t K = layer.in_features(), N = layer.out_features(), M = x.numel() / K;
  const at::Tensor xf = x.reshape({M, K}).to(at::kFloat).contiguous();
  at::Tensor y = at::empty({M, N}, at::kFloat);
  matmul_4bit_fast_cpu(xf.data_ptr<float>(), M, K, layer.weight().view(), elem_type_of(x.scalar_type(), "x"),
                       N, y.data_ptr<float>(), 0, N);
  return y;
}

TEST(Bnb4CpuForward, FusedUpToSixteenRowsDequantizeBeyond) {
  at::manual_seed(3);
  for (at::ScalarType dtype : {at::kFloat, at::kHalf, at::kBFloat16})
    for (QuantType qt : {QuantType::kNF4, QuantType::kFP4})
      for (bool dq : {false, true}) {
        SCOPED_TRACE(std::string(at::toString(dtype)) + " " + quant_type_name(qt) + (dq ? " dq" : ""));
        Config config;
        config.quant_type = qt;
        config.blocksize = 128;
        config.double_quant = dq;
        const int64_t N = 300, K = 157;  // blocks span rows
        Bnb4Linear layer("model.layers.0.mlp.up_proj",
                         quantize_weight((at::randn({N, K}) * 0.05).to(dtype), config), dtype);
        const at::Tensor w = layer.dequantize(dtype).to(at::kFloat);
        for (int64_t M : {1, 2, 7, 16, 17, 40}) {
          SCOPED_TRACE("M=" + std::to_string(M));
          const at::Tensor x = at::randn({1, M, K}).to(dtype);
          const at::Tensor y = layer.forward(x);
          ASSERT_EQ(y.sizes(), (std::vector<int64_t>{1, M, N}));
          ASSERT_EQ(y.scalar_type(), dtype);
          if (M > kFastCpuMaxRows) {
            EXPECT_TRUE(at::equal(y, dequantize_then_matmul(layer, x)));
            continue;
          }
          // The fused kernel, split across threads: each output is computed the same way regardless.
          EXPECT_TRUE(at::equal(y[0], fused(layer, x).to(dtype)));
          // Same values as before, up to float32 summation order and the final rounding to dtype.
          const at::Tensor before = dequantize_then_matmul(layer, x).to(at::kFloat)[0];
          const at::Tensor xf = x.to(at::kFloat)[0];
          const at::Tensor magnitude = at::matmul(xf.abs(), w.abs().t());
          const double ulp = dtype == at::kFloat ? 0.0 : dtype == at::kHalf ? 1.0 / 1024 : 1.0 / 128;
          const at::Tensor bound = 1e-5 * magnitude + ulp * before.abs() + 1e-6;
          EXPECT_TRUE(((y[0].to(at::kFloat) - before).abs() <= bound).all().item<bool>())
              << "max error " << (y[0].to(at::kFloat) - before).abs().max().item<float>();
        }
      }
}

// Quantizes every layer but lm_head to NF4 and keeps the dense weight the old forward multiplied with.
class RecordingBackend : public lq::QuantBackend {
 public:
  std::map<std::string, at::Tensor> dequantized;
  void configure(const lq::Params&, lq::Diagnostics&) override {}
  bool wants(const std::string& name) const override { return name != "lm_head"; }
  std::shared_ptr<lq::Linear> quantize(const std::string& name, const at::Tensor& weight,
                                       const lq::QuantizeContext& ctx) override {
    auto layer = std::make_shared<Bnb4Linear>(name, quantize_weight(weight, Config{}), ctx.activation_dtype);
    dequantized[name + ".weight"] = layer->dequantize(ctx.activation_dtype);
    return layer;
  }
  lq::json settings() const override { return lq::json::object(); }
};

TEST(Bnb4CpuForward, TinyModelDecodesWithTheLogitsOfTheDequantizedWeights) {
  const lq::LlamaConfig c = lq::test::tiny_config(true);
  auto weights = lq::test::random_weights(c, 21);
  RecordingBackend backend;
  auto quantized = lq::LlamaModel::load(c, *weights, at::kCPU, at::kFloat, &backend);
  ASSERT_EQ(backend.dequantized.size(), size_t(2 * 7));
  lq::test::MapWeightSource reference = *weights;
  for (const auto& [name, w] : backend.dequantized) reference.tensors[name] = w;
  auto dense = lq::LlamaModel::load(c, reference, at::kCPU, at::kFloat);

  const std::vector<int64_t> ids = {1, 200, 13, 77, 5, 5, 250, 31, 90, 64, 128, 3, 17, 42, 199, 8};
  const int64_t T = static_cast<int64_t>(ids.size()), prompt = 5;
  at::Tensor tokens = at::tensor(ids, at::kLong).view({1, T}), pos = at::arange(T, at::kLong).view({1, T});
  lq::KvCache qc = quantized->make_cache(1, T), dc = dense->make_cache(1, T);
  qc.valid().fill_(true);
  dc.valid().fill_(true);
  // The prompt (5 rows) and every decode step (1 row) take the fused kernel in each linear layer.
  for (int64_t start = 0; start < T;) {
    const int64_t len = start == 0 ? prompt : 1;
    at::Tensor got =
        quantized->forward(tokens.narrow(1, start, len), pos.narrow(1, start, len), qc, start, true);
    at::Tensor want =
        dense->forward(tokens.narrow(1, start, len), pos.narrow(1, start, len), dc, start, true);
    const double scale = want.abs().max().item<double>();
    EXPECT_LT((got - want).abs().max().item<double>(), 1e-5 * scale) << "position " << start;
    start += len;
  }
}

}  // namespace
}  // namespace bnb4
