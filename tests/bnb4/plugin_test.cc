// The bnb4 plugin as the framework loads it: parameters, layer selection, size accounting, forward.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "../model/tiny_model.h"
#include "model/llama_model.h"
#include "ops/swiglu.h"
#include "plugin/plugin_registry.h"

namespace lq {
namespace {

struct Loaded {
  PluginRegistry registry;
  std::shared_ptr<QuantBackend> backend;
};

std::unique_ptr<Loaded> load_backend() {
  auto l = std::make_unique<Loaded>();
  l->registry.load(LQ_BNB4_PLUGIN);
  l->backend = l->registry.create_backend("bnb4");
  return l;
}

// Params as if read from exp.yaml, each key on its own line.
Params params_of(const json& value) {
  auto map = std::make_shared<SourceMap>();
  (*map)["/quantization/params"] = {"exp.yaml", 4, 3};
  int line = 5;
  for (auto it = value.begin(); it != value.end(); ++it)
    (*map)["/quantization/params/" + it.key()] = {"exp.yaml", line++, 18};
  return Params(value, "/quantization/params", map);
}

std::string configure_errors(QuantBackend& b, const json& value) {
  Diagnostics diag;
  b.configure(params_of(value), diag);
  return diag.str();
}

TEST(Bnb4Plugin, DefaultsAndSettings) {
  auto l = load_backend();
  EXPECT_EQ(configure_errors(*l->backend, json::object()), "");
  json s = l->backend->settings();
  EXPECT_EQ(s["quant_type"], "nf4");
  EXPECT_EQ(s["blocksize"], 64);
  EXPECT_EQ(s["double_quant"], false);
  EXPECT_EQ(s["compute_dtype"], "auto");
  EXPECT_EQ(s["skip_modules"], json::array({"lm_head"}));
  EXPECT_FALSE(l->backend->wants("lm_head"));
  EXPECT_TRUE(l->backend->wants("model.layers.0.self_attn.q_proj"));
}

TEST(Bnb4Plugin, EveryParameterIsValidatedWithItsLocation) {
  auto l = load_backend();
  struct Case {
    json params;
    std::string expect;
  } cases[] = {
      {{{"blocksize", 48}},
       "exp.yaml:5:18: 'blocksize' must be one of [32, 64, 128, 256, 512, 1024, 2048, 4096], got 48"},
      {{{"blocksize", "64"}}, "exp.yaml:5:18: 'blocksize' must be an integer"},
      {{{"quant_type", "nf5"}},
       "exp.yaml:5:18: 'quant_type' must be one of [nf4, fp4], got 'nf5' (did you mean 'nf4'?)"},
      {{{"double_quant", "yes"}}, "exp.yaml:5:18: 'double_quant' must be a boolean"},
      {{{"compute_dtype", "fp16"}},
       "exp.yaml:5:18: 'compute_dtype' must be one of [auto, float16, bfloat16, float32]"},
      {{{"skip_modules", "lm_head"}}, "exp.yaml:5:18: 'skip_modules' must be a list of strings"},
      {{{"skip_modules", json::array({""})}}, "exp.yaml:5:18: 'skip_modules' entries must not be empty"},
      {{{"blocksze", 64}}, "exp.yaml:5:18: unknown parameter 'blocksze' (did you mean 'blocksize'?)"},
  };
  for (const auto& c : cases) {
    std::string errors = configure_errors(*l->backend, c.params);
    EXPECT_NE(errors.find(c.expect), std::string::npos)
        << "params " << c.params.dump() << "\ngot: " << errors;
  }
  // All problems at once.
  std::string errors = configure_errors(*l->backend, {{"blocksize", 3}, {"quant_type", "int4"}});
  EXPECT_NE(errors.find("blocksize"), std::string::npos);
  EXPECT_NE(errors.find("quant_type"), std::string::npos);
}

TEST(Bnb4Plugin, SkipModulesTakeGlobsAndSubstrings) {
  auto l = load_backend();
  ASSERT_EQ(configure_errors(*l->backend,
                             {{"skip_modules", {"lm_head", "model.layers.1?.*", "*.down_proj", "mlp.gate"}}}),
            "");
  EXPECT_FALSE(l->backend->wants("lm_head"));
  EXPECT_FALSE(l->backend->wants("model.layers.12.self_attn.q_proj"));
  EXPECT_TRUE(l->backend->wants("model.layers.1.self_attn.q_proj"));
  EXPECT_FALSE(l->backend->wants("model.layers.3.mlp.down_proj"));
  EXPECT_FALSE(l->backend->wants("model.layers.3.mlp.gate_proj"));
  EXPECT_TRUE(l->backend->wants("model.layers.3.mlp.up_proj"));
  ASSERT_EQ(configure_errors(*l->backend, {{"skip_modules", {"model.layers.[0-2].mlp.*"}}}), "");
  EXPECT_FALSE(l->backend->wants("model.layers.2.mlp.up_proj"));
  EXPECT_TRUE(l->backend->wants("model.layers.3.mlp.up_proj"));
  EXPECT_TRUE(l->backend->wants("lm_head"));  // an explicit list replaces the default
}

TEST(Bnb4Plugin, SizeAccountingIsExact) {
  auto l = load_backend();
  ASSERT_EQ(configure_errors(*l->backend, {{"blocksize", 64}}), "");
  auto layer = l->backend->quantize("q", at::randn({128, 96}), QuantizeContext{});
  // 12288 elements: 6144 packed bytes + 192 float absmax + the 16-entry code table.
  EXPECT_EQ(layer->bytes(), 6144 + 192 * 4 + 64);
  EXPECT_EQ(layer->describe(), "nf4 blocksize=64 compute=Float");
  ASSERT_EQ(configure_errors(*l->backend, {{"quant_type", "fp4"}, {"blocksize", 32}, {"double_quant", true}}),
            "");
  layer = l->backend->quantize("q", at::randn({128, 96}), QuantizeContext{});
  // 384 blocks: 384 8-bit codes, 2 nested float absmax, the offset, the 256-entry 8-bit map.
  EXPECT_EQ(layer->bytes(), 6144 + 64 + 384 + 2 * 4 + 4 + 1024);
  EXPECT_EQ(layer->describe(), "fp4 blocksize=32 dq compute=Float");
}

TEST(Bnb4Plugin, ForwardIsCloseToTheDenseLayer) {
  auto l = load_backend();
  for (bool dq : {false, true})
    for (const char* qt : {"nf4", "fp4"})
      for (at::ScalarType dtype : {at::kFloat, at::kBFloat16, at::kHalf}) {
        SCOPED_TRACE(std::string(qt) + (dq ? " dq " : " ") + at::toString(dtype));
        ASSERT_EQ(configure_errors(*l->backend, {{"quant_type", qt}, {"double_quant", dq}}), "");
        at::manual_seed(1);
        at::Tensor w = (at::randn({64, 200}) * 0.05).to(dtype);  // 12800: partial last block at 4096 too
        at::Tensor x = at::randn({3, 5, 200}).to(dtype);
        QuantizeContext ctx;
        ctx.activation_dtype = dtype;
        auto layer = l->backend->quantize("model.layers.0.mlp.up_proj", w, ctx);
        EXPECT_EQ(layer->in_features(), 200);
        EXPECT_EQ(layer->out_features(), 64);
        at::Tensor y = layer->forward(x);
        ASSERT_EQ(y.sizes(), (std::vector<int64_t>{3, 5, 64}));
        ASSERT_EQ(y.scalar_type(), dtype);
        at::Tensor dense = at::matmul(x.to(at::kFloat), w.to(at::kFloat).t());
        const double rel = (y.to(at::kFloat) - dense).norm().item<double>() / dense.norm().item<double>();
        EXPECT_LT(rel, std::string(qt) == "nf4" ? 0.15 : 0.2);
        EXPECT_GT(rel, 0.0);  // it really is quantized
      }
}

TEST(Bnb4Plugin, PartialLastBlockAndOddSize) {
  auto l = load_backend();
  ASSERT_EQ(configure_errors(*l->backend, {{"blocksize", 128}}), "");
  at::Tensor w = at::randn({7, 99});  // 693 elements: 5 full blocks + 53, odd count
  auto layer = l->backend->quantize("q", w, QuantizeContext{});
  EXPECT_EQ(layer->bytes(), 347 + 6 * 4 + 64);
  at::Tensor y = layer->forward(at::eye(99));
  const double rel = (y.t() - w).norm().item<double>() / w.norm().item<double>();
  EXPECT_LT(rel, 0.15);
}

// forward_add: residual + forward (on the CPU exactly that; on CUDA the residual is added before the one
// rounding), and a residual of the wrong shape is an error naming the layer. fuse(): no group on the CPU.
TEST(Bnb4Plugin, ForwardAddAndNoGroupsOnTheCpu) {
  auto l = load_backend();
  ASSERT_EQ(configure_errors(*l->backend, json::object()), "");
  at::manual_seed(4);
  auto q =
      l->backend->quantize("model.layers.0.self_attn.q_proj", at::randn({64, 128}) * 0.05, QuantizeContext{});
  auto k =
      l->backend->quantize("model.layers.0.self_attn.k_proj", at::randn({32, 128}) * 0.05, QuantizeContext{});
  const at::Tensor x = at::randn({2, 1, 128}), residual = at::randn({2, 1, 64});
  EXPECT_TRUE(at::equal(q->forward_add(x, residual), residual + q->forward(x)));
  try {
    q->forward_add(x, at::randn({2, 1, 63}));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("model.layers.0.self_attn.q_proj"), std::string::npos) << e.what();
  }
  EXPECT_EQ(l->backend->fuse({q, k}), nullptr);
}

QuantizeContext cuda_context(at::ScalarType dtype) {
  QuantizeContext ctx;
  ctx.device = at::Device(at::kCUDA, 0);
  ctx.activation_dtype = dtype;
  return ctx;
}

// Three random q/k/v-shaped layers (256, 64 and 64 rows of `cols`) quantized on ctx's device.
std::vector<std::shared_ptr<Linear>> qkv_parts(QuantBackend& backend, int64_t cols,
                                               const QuantizeContext& ctx) {
  const auto opts = at::TensorOptions().dtype(ctx.activation_dtype).device(ctx.device);
  std::vector<std::shared_ptr<Linear>> parts;
  for (int64_t rows : {256, 64, 64})
    parts.push_back(
        backend.quantize("model.layers.0.self_attn.q_proj", at::randn({rows, cols}, opts) * 0.05, ctx));
  return parts;
}

// On CUDA, q/k/v-shaped layers fuse into one whose output is the parts' side by side: bit for bit at one
// row (the matrix-vector kernel) and 4 rows (tensor cores), within fp16/bf16 rounding at 32 (the stacked
// weights dequantized, one cuBLAS product); forward_add within one rounding of residual + forward; parts
// of different absmax forms stay apart.
TEST(Bnb4Plugin, CudaGroupsEqualTheirParts) {
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device in this libtorch";
  auto l = load_backend();
  for (at::ScalarType dtype : {at::kHalf, at::kBFloat16}) {
    ASSERT_EQ(configure_errors(*l->backend, json::object()), "");
    at::manual_seed(5);
    const QuantizeContext ctx = cuda_context(dtype);
    const auto opts = at::TensorOptions().dtype(dtype).device(ctx.device);
    std::vector<std::shared_ptr<Linear>> parts = qkv_parts(*l->backend, 512, ctx);
    auto group = l->backend->fuse(parts);
    ASSERT_NE(group, nullptr) << at::toString(dtype);
    EXPECT_EQ(group->out_features(), 384);
    EXPECT_EQ(group->in_features(), 512);
    for (int64_t m : {1, 4, 32}) {
      const at::Tensor x = at::randn({m, 1, 512}, opts);
      std::vector<at::Tensor> outs;
      for (const auto& p : parts) outs.push_back(p->forward(x));
      const at::Tensor apart = at::cat(outs, -1), together = group->forward(x);
      if (m <= 16) {  // the group's kernels compute each part's outputs as the part alone does
        EXPECT_TRUE(at::equal(together, apart)) << at::toString(dtype) << " M " << m;
      } else {  // one cuBLAS product over the stacked dequantized weights: its own summation order
        const double scale = apart.abs().max().item<double>();
        EXPECT_LT((together - apart).abs().max().item<double>(), (dtype == at::kHalf ? 2e-3 : 2e-2) * scale)
            << at::toString(dtype) << " M " << m;
      }
      const at::Tensor residual = at::randn({m, 1, 256}, opts);
      const at::Tensor want = (residual.to(at::kFloat) + parts[0]->forward(x).to(at::kFloat));
      const double err =
          (parts[0]->forward_add(x, residual).to(at::kFloat) - want).abs().max().item<double>();
      EXPECT_LT(err, (dtype == at::kHalf ? 2e-3 : 2e-2) * want.abs().max().item<double>()) << " M " << m;
    }
    ASSERT_EQ(configure_errors(*l->backend, {{"double_quant", true}}), "");
    parts.push_back(l->backend->quantize("model.layers.0.self_attn.v_proj", at::randn({64, 512}, opts), ctx));
    EXPECT_EQ(l->backend->fuse({parts[0], parts.back()}), nullptr) << "plain and nested absmax";
  }
}

// On CUDA a group takes the block's RMSNorm into its matrix-vector kernel for one row (decode): within
// fp16/bf16 rounding of the norm's formula followed by the group's own product, every absmax form; it
// declines (undefined) for several rows, another dtype, and a norm weight of the wrong size.
TEST(Bnb4Plugin, CudaGroupNormalizesOneRowItself) {
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device in this libtorch";
  auto l = load_backend();
  for (at::ScalarType dtype : {at::kHalf, at::kBFloat16}) {
    for (bool nested : {false, true}) {
      ASSERT_EQ(configure_errors(*l->backend, {{"double_quant", nested}}), "");
      at::manual_seed(6);
      const QuantizeContext ctx = cuda_context(dtype);
      const auto opts = at::TensorOptions().dtype(dtype).device(ctx.device);
      auto group = l->backend->fuse(qkv_parts(*l->backend, 2048, ctx));
      ASSERT_NE(group, nullptr);
      const double eps = 1e-5;
      const at::Tensor h = at::randn({1, 1, 2048}, opts) * 3, gamma = at::rand({2048}, opts) + 0.5;
      const at::Tensor hf = h.to(at::kFloat);
      const at::Tensor normed = gamma * (hf * at::rsqrt(hf.pow(2).mean(-1, true) + eps)).to(dtype);
      const at::Tensor want = group->forward(normed), got = group->forward_rms_normed(h, gamma, eps);
      ASSERT_TRUE(got.defined()) << at::toString(dtype);
      EXPECT_EQ(got.sizes(), want.sizes());
      const double scale = want.abs().max().item<double>();
      EXPECT_LT((got - want).abs().max().item<double>(), (dtype == at::kHalf ? 4e-3 : 3e-2) * scale)
          << at::toString(dtype) << " nested " << nested;
      EXPECT_FALSE(group->forward_rms_normed(at::randn({4, 1, 2048}, opts), gamma, eps).defined());
      EXPECT_FALSE(group->forward_rms_normed(h.to(at::kFloat), gamma.to(at::kFloat), eps).defined());
      EXPECT_FALSE(group->forward_rms_normed(h, gamma.narrow(0, 0, 1024), eps).defined());
    }
  }
}

// On CUDA a gate/up group applies SwiGLU's gate in its matrix-vector kernel for one row (decode): bit for
// bit the engine's gate of the group's normed product where both launches split the rows and K alike (the
// Llama-3.2-1B shape, 8192 rows each), within one rounding of it otherwise (1000 rows: other tiles),
// fp16/bf16, plain and nested absmax; declined for several rows, float32 and a group of three.
TEST(Bnb4Plugin, CudaGateUpGroupGatesOneRowItself) {
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device in this libtorch";
  auto l = load_backend();
  for (at::ScalarType dtype : {at::kHalf, at::kBFloat16}) {
    for (bool nested : {false, true}) {
      for (int64_t rows : {8192, 1000}) {
        ASSERT_EQ(configure_errors(*l->backend, {{"double_quant", nested}}), "");
        at::manual_seed(7);
        const QuantizeContext ctx = cuda_context(dtype);
        const auto opts = at::TensorOptions().dtype(dtype).device(ctx.device);
        std::vector<std::shared_ptr<Linear>> parts;
        for (const char* name : {"model.layers.0.mlp.gate_proj", "model.layers.0.mlp.up_proj"})
          parts.push_back(l->backend->quantize(name, at::randn({rows, 2048}, opts) * 0.05, ctx));
        auto group = l->backend->fuse(parts);
        ASSERT_NE(group, nullptr);
        const double eps = 1e-5;
        const at::Tensor h = at::randn({1, 1, 2048}, opts) * 3, gamma = at::rand({2048}, opts) + 0.5;
        const at::Tensor normed = group->forward_rms_normed(h, gamma, eps);
        ASSERT_TRUE(normed.defined());
        const at::Tensor want = swiglu(normed, OpImpl::kFused);
        const at::Tensor got = group->forward_rms_normed_swiglu(h, gamma, eps);
        const std::string what =
            std::string(at::toString(dtype)) + (nested ? " nested " : " plain ") + std::to_string(rows);
        ASSERT_TRUE(got.defined()) << what;
        EXPECT_EQ(got.sizes(), want.sizes()) << what;
        if (rows == 8192) {
          EXPECT_TRUE(at::equal(got, want)) << what;
        } else {
          const double scale = want.abs().max().item<double>();
          EXPECT_LT((got - want).abs().max().item<double>(), (dtype == at::kHalf ? 4e-3 : 3e-2) * scale)
              << what;
        }
        EXPECT_FALSE(group->forward_rms_normed_swiglu(at::randn({4, 1, 2048}, opts), gamma, eps).defined());
        EXPECT_FALSE(group->forward_rms_normed_swiglu(h.to(at::kFloat), gamma.to(at::kFloat), eps).defined());
      }
    }
    auto qkv = l->backend->fuse(qkv_parts(*l->backend, 2048, cuda_context(dtype)));
    ASSERT_NE(qkv, nullptr);
    const auto opts = at::TensorOptions().dtype(dtype).device(at::kCUDA);
    EXPECT_FALSE(qkv->forward_rms_normed_swiglu(at::randn({1, 1, 2048}, opts), at::ones({2048}, opts), 1e-5)
                     .defined());
  }
}

// A model quantized by the plugin and decoded on CUDA token by token: the fast path (the plugin's groups
// with the block's RMSNorm in their kernel, and whatever else the plugin takes over at one row; the
// framework's fused kernels) keeps the logits of libtorch's operators over the same quantized layers, in
// fp16 and bf16, plain and nested absmax. Heads of 64 so that the framework's decode attention runs.
TEST(Bnb4Plugin, CudaModelDecodesWithTheLibtorchLogits) {
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device in this libtorch";
  LlamaConfig c = test::tiny_config(false);
  c.hidden_size = 256, c.intermediate_size = 512, c.head_dim = 64;
  const auto weights = test::random_weights(c, 29);
  auto l = load_backend();
  const std::vector<int64_t> ids = {1, 200, 13, 77, 5, 5, 250, 31, 90, 64, 128, 3, 17, 42, 199, 8};
  const int64_t T = static_cast<int64_t>(ids.size()), prompt = 5;
  const at::Device cuda(at::kCUDA, 0);
  const at::Tensor tokens = at::tensor(ids, at::kLong).view({1, T}),
                   pos = at::arange(T, at::kLong).view({1, T});
  for (at::ScalarType dtype : {at::kHalf, at::kBFloat16})
    for (bool nested : {false, true}) {
      SCOPED_TRACE(std::string(at::toString(dtype)) + (nested ? " nested" : " plain"));
      ASSERT_EQ(configure_errors(*l->backend, {{"double_quant", nested}}), "");
      auto model = LlamaModel::load(c, *weights, cuda, dtype, l->backend.get());
      KvCache fast = model->make_cache(1, T), reference = model->make_cache(1, T);
      fast.valid().fill_(true);
      reference.valid().fill_(true);
      const double tol = dtype == at::kHalf ? 1e-2 : 5e-2;
      for (int64_t start = 0; start < T;) {
        const int64_t len = start == 0 ? prompt : 1;
        const at::Tensor t = tokens.narrow(1, start, len), p = pos.narrow(1, start, len);
        model->set_op_impl(OpImpl::kFused);
        const at::Tensor got = len == 1 ? model->decode(t, p, at::full({1}, start, at::kLong).to(cuda), fast)
                                        : model->forward(t, p, fast, start, true);
        model->set_op_impl(OpImpl::kLibtorch);
        const at::Tensor want = model->forward(t, p, reference, start, true).to(at::kFloat);
        const double scale = want.abs().max().item<double>();
        EXPECT_LT((got.to(at::kFloat) - want).abs().max().item<double>(), tol * scale)
            << "position " << start;
        start += len;
      }
    }
}

TEST(Bnb4Plugin, BadInputGivesClearErrors) {
  auto l = load_backend();
  ASSERT_EQ(configure_errors(*l->backend, {{"compute_dtype", "bfloat16"}}), "");
  QuantizeContext ctx;
  ctx.activation_dtype = at::kHalf;
  try {
    l->backend->quantize("model.layers.0.mlp.up_proj", at::randn({4, 64}), ctx);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("compute_dtype 'bfloat16' differs"), std::string::npos) << e.what();
  }
  ASSERT_EQ(configure_errors(*l->backend, json::object()), "");
  EXPECT_THROW(l->backend->quantize("v", at::randn({64}), QuantizeContext{}), Error);
  try {
    l->backend->quantize("model.layers.2.self_attn.v_proj", at::ones({4, 64}, at::kInt), QuantizeContext{});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("model.layers.2.self_attn.v_proj"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("Int"), std::string::npos) << e.what();
  }
  auto layer = l->backend->quantize("o", at::randn({8, 64}), QuantizeContext{});
  EXPECT_THROW(layer->forward(at::randn({2, 63})), Error);
  EXPECT_THROW(layer->forward(at::randn({2, 64}).to(at::kHalf)), Error);
}

}  // namespace
}  // namespace lq
