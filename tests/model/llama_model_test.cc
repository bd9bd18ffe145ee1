// The Llama forward pass against a reference written out from the architecture's formulas (double
// precision, no cache), incremental decoding, tied heads, quantization hooks and size accounting.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>
#include <utility>

#include "model/llama_model.h"
#include "model_test_util.h"
#include "tiny_model.h"

namespace lq {
namespace {

using test::MapWeightSource;
using test::run_full;

// Logits [T, vocab] of one sequence, computed in double straight from the formulas.
at::Tensor reference_logits(const LlamaConfig& c, const MapWeightSource& w, const std::vector<int64_t>& ids) {
  auto W = [&](const std::string& n) { return w.tensors.at(n).to(at::kDouble); };
  const int64_t T = static_cast<int64_t>(ids.size()), D = c.head_dim, Hq = c.num_attention_heads;
  const int64_t rep = Hq / c.num_key_value_heads;
  auto norm = [&](const at::Tensor& x, const at::Tensor& g) {
    return x / at::sqrt(x.pow(2).mean(-1, true) + c.rms_norm_eps) * g;
  };
  // Llama 3 scaled frequencies, piecewise as in the Llama 3 paper's code.
  std::vector<double> inv;
  for (int64_t i = 0; i < D; i += 2) {
    double f = 1.0 / std::pow(c.rope_theta, double(i) / D);
    const double wl = 2 * M_PI / f, old = double(c.rope_scaling.original_max_position_embeddings);
    const auto& s = c.rope_scaling;
    if (wl > old / s.low_freq_factor)
      f /= s.factor;
    else if (wl >= old / s.high_freq_factor) {
      const double sm = (old / wl - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
      f = (1 - sm) * f / s.factor + sm * f;
    }
    inv.push_back(f);
  }
  auto rope = [&](at::Tensor x) {  // x [heads, T, D]; pair (i, i + D/2) rotated by pos * inv[i]
    at::Tensor y = x.clone();
    for (int64_t t = 0; t < T; ++t)
      for (int64_t i = 0; i < D / 2; ++i) {
        const double a = double(t) * inv[size_t(i)];
        at::Tensor x1 = x.select(1, t).select(1, i), x2 = x.select(1, t).select(1, i + D / 2);
        y.select(1, t).select(1, i).copy_(x1 * std::cos(a) - x2 * std::sin(a));
        y.select(1, t).select(1, i + D / 2).copy_(x2 * std::cos(a) + x1 * std::sin(a));
      }
    return y;
  };
  at::Tensor h = W("model.embed_tokens.weight").index_select(0, at::tensor(ids, at::kLong));
  at::Tensor causal = at::ones({T, T}, at::kBool).tril();
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    at::Tensor x = norm(h, W(p + "input_layernorm.weight"));
    at::Tensor q = rope(at::matmul(x, W(p + "self_attn.q_proj.weight").t()).view({T, Hq, D}).transpose(0, 1));
    at::Tensor k = rope(at::matmul(x, W(p + "self_attn.k_proj.weight").t()).view({T, -1, D}).transpose(0, 1));
    at::Tensor v = at::matmul(x, W(p + "self_attn.v_proj.weight").t()).view({T, -1, D}).transpose(0, 1);
    std::vector<at::Tensor> heads;
    for (int64_t hh = 0; hh < Hq; ++hh) {
      at::Tensor s = at::matmul(q[hh], k[hh / rep].t()) / std::sqrt(double(D));
      s = s.masked_fill(causal.logical_not(), -INFINITY);
      heads.push_back(at::matmul(at::softmax(s, -1), v[hh / rep]));
    }
    h = h + at::matmul(at::cat(heads, 1), W(p + "self_attn.o_proj.weight").t());
    x = norm(h, W(p + "post_attention_layernorm.weight"));
    at::Tensor g = at::matmul(x, W(p + "mlp.gate_proj.weight").t());
    at::Tensor u = at::matmul(x, W(p + "mlp.up_proj.weight").t());
    h = h + at::matmul(g * at::sigmoid(g) * u, W(p + "mlp.down_proj.weight").t());
  }
  h = norm(h, W("model.norm.weight"));
  return at::matmul(h, W(c.tie_word_embeddings ? "model.embed_tokens.weight" : "lm_head.weight").t());
}

const std::vector<int64_t> kIds = {1,   200, 13, 77, 5,   5, 250, 31,  90,  64,
                                   128, 3,   17, 42, 199, 8, 0,   255, 100, 60};

class ModelVsReference : public ::testing::TestWithParam<bool> {};

TEST_P(ModelVsReference, Fp32LogitsMatchFormulas) {
  LlamaConfig c = test::tiny_config(GetParam());
  auto w = test::random_weights(c, 11);
  auto m = LlamaModel::load(c, *w, at::kCPU, at::kFloat);
  at::Tensor got = run_full(*m, kIds).to(at::kDouble);
  at::Tensor want = reference_logits(c, *w, kIds);
  const double scale = want.abs().max().item<double>();
  EXPECT_LT((got - want).abs().max().item<double>(), 1e-4 * scale) << "logit scale " << scale;
}

TEST_P(ModelVsReference, IncrementalDecodeEqualsFullForward) {
  LlamaConfig c = test::tiny_config(GetParam());
  auto w = test::random_weights(c, 12);
  auto m = LlamaModel::load(c, *w, at::kCPU, at::kFloat);
  at::Tensor full = run_full(*m, kIds);
  const int64_t T = static_cast<int64_t>(kIds.size()), P = 7;
  KvCache cache = m->make_cache(1, T + 5);  // spare capacity must not matter
  cache.valid().fill_(true);
  at::Tensor ids = at::tensor(kIds, at::kLong).view({1, T}), pos = at::arange(T, at::kLong).view({1, T});
  // The two paths sum in different orders (GEMM vs GEMV kernels, which vary by CPU), so the bound is
  // relative to the logit scale; a wrong position or cache slot moves logits by O(scale).
  const double tol = 1e-4 * full.abs().max().item<double>();
  at::Tensor first = m->forward(ids.narrow(1, 0, P), pos.narrow(1, 0, P), cache, 0, true);
  EXPECT_LT((first[0] - full[P - 1]).abs().max().item<double>(), tol);
  for (int64_t t = P; t < T; ++t) {
    at::Tensor step = m->forward(ids.narrow(1, t, 1), pos.narrow(1, t, 1), cache, t, true);
    EXPECT_LT((step[0] - full[t]).abs().max().item<double>(), tol) << "position " << t;
  }
}

// decode(): the slot is a device tensor and attention spans the whole cache under its mask.
TEST_P(ModelVsReference, DecodeAtDeviceSlotEqualsFullForward) {
  LlamaConfig c = test::tiny_config(GetParam());
  auto w = test::random_weights(c, 14);
  auto m = LlamaModel::load(c, *w, at::kCPU, at::kFloat);
  at::Tensor full = run_full(*m, kIds);
  const double tol = 1e-4 * full.abs().max().item<double>();
  const int64_t T = static_cast<int64_t>(kIds.size()), P = 5;
  KvCache cache = m->make_cache(1, T + 9);
  cache.valid().fill_(true);
  at::Tensor ids = at::tensor(kIds, at::kLong).view({1, T}), pos = at::arange(T, at::kLong).view({1, T});
  m->forward(ids.narrow(1, 0, P), pos.narrow(1, 0, P), cache, 0, true);
  for (int64_t t = P; t < T; ++t) {
    at::Tensor slot = at::full({1}, t, at::kLong);
    at::Tensor step = m->decode(ids.narrow(1, t, 1), pos.narrow(1, t, 1), slot, cache);
    EXPECT_LT((step[0] - full[t]).abs().max().item<double>(), tol) << "position " << t;
  }
}

INSTANTIATE_TEST_SUITE_P(TiedAndUntied, ModelVsReference, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "tied" : "untied"; });

TEST(LlamaModel, Bf16ArgmaxAgreesWithFp32) {
  LlamaConfig c = test::tiny_config(false);
  auto w = test::random_weights(c, 13);
  at::Tensor ref = run_full(*LlamaModel::load(c, *w, at::kCPU, at::kFloat), kIds);
  at::Tensor got = run_full(*LlamaModel::load(c, *w, at::kCPU, at::kBFloat16), kIds);
  EXPECT_EQ(got.scalar_type(), at::kBFloat16);
  // bf16 keeps 8 bits of mantissa: argmax may flip only where the top two fp32 logits nearly tie.
  EXPECT_EQ(test::argmax_agreement(ref, got, 0.05 * ref.abs().max().item<double>()), 1.0);
}

TEST(LlamaModel, WeightBytesCountsTiedEmbeddingOnce) {
  for (bool tied : {true, false}) {
    LlamaConfig c = test::tiny_config(tied);
    auto w = test::random_weights(c, 14);
    int64_t params = 0;
    for (const auto& [name, t] : w->tensors) params += t.numel();
    auto m = LlamaModel::load(c, *w, at::kCPU, at::kFloat);
    EXPECT_EQ(m->weight_bytes(), params * 4) << (tied ? "tied" : "untied");
    EXPECT_EQ(m->layer_formats().back().tied, tied);
    EXPECT_EQ(LlamaModel::load(c, *w, at::kCPU, at::kBFloat16)->weight_bytes(), params * 2);
  }
}

// A "quantization" that keeps the weight but reports its own format and half the bytes.
class HalfBytesLinear : public DenseLinear {
 public:
  using DenseLinear::DenseLinear;
  int64_t bytes() const override { return DenseLinear::bytes() / 2; }
  std::string describe() const override { return "test-half"; }
};

class MlpBackend : public QuantBackend {
 public:
  std::set<std::string> asked, quantized;
  void configure(const Params&, Diagnostics&) override {}
  bool wants(const std::string& name) const override {
    const_cast<MlpBackend*>(this)->asked.insert(name);
    return name.find(".mlp.") != std::string::npos;
  }
  std::shared_ptr<Linear> quantize(const std::string& name, const at::Tensor& weight,
                                   const QuantizeContext& ctx) override {
    EXPECT_EQ(weight.device(), ctx.device);
    EXPECT_EQ(weight.scalar_type(), ctx.activation_dtype);
    quantized.insert(name);
    return std::make_shared<HalfBytesLinear>(weight);
  }
  json settings() const override { return json::object(); }
};

TEST(LlamaModel, BackendReplacesTheLayersItWants) {
  LlamaConfig c = test::tiny_config(true);
  auto w = test::random_weights(c, 15);
  MlpBackend backend;
  auto dense = LlamaModel::load(c, *w, at::kCPU, at::kFloat);
  auto quant = LlamaModel::load(c, *w, at::kCPU, at::kFloat, &backend);
  EXPECT_EQ(backend.asked.size(), size_t(2 * 7 + 1));
  EXPECT_TRUE(backend.asked.count("model.layers.1.self_attn.k_proj"));
  EXPECT_TRUE(backend.asked.count("lm_head"));
  EXPECT_EQ(backend.quantized.size(), size_t(2 * 3));
  EXPECT_TRUE(backend.quantized.count("model.layers.0.mlp.down_proj"));
  int64_t mlp_bytes = 2 * 3 * c.hidden_size * c.intermediate_size * 4;
  EXPECT_EQ(quant->weight_bytes(), dense->weight_bytes() - mlp_bytes / 2);
  EXPECT_EQ(quant->format_summary(), "8 x dense Float; 6 x test-half; 1 x dense Float (lm_head, tied)");
  EXPECT_TRUE(at::equal(run_full(*quant, kIds), run_full(*dense, kIds)));
}

// Plain dense q/k/v and gate/up run as one product each; a backend's own layer type (here a DenseLinear
// subclass in the MLP) is never fused away. Either way the logits and the byte accounting are the same.
TEST(LlamaModel, FusedDenseProjectionsEqualSeparateOnes) {
  LlamaConfig c = test::tiny_config(false);
  auto w = test::random_weights(c, 17);
  MlpBackend backend;
  auto fused = LlamaModel::load(c, *w, at::kCPU, at::kFloat);
  auto mixed = LlamaModel::load(c, *w, at::kCPU, at::kFloat, &backend);
  at::Tensor a = run_full(*fused, kIds), b = run_full(*mixed, kIds);
  EXPECT_LT((a - b).abs().max().item<double>(), 1e-5 * a.abs().max().item<double>());
  int64_t params = 0;
  for (const auto& [name, t] : w->tensors) params += t.numel();
  EXPECT_EQ(fused->weight_bytes(), params * 4);
  for (const LayerFormat& f : fused->layer_formats()) EXPECT_EQ(f.format, "dense Float") << f.name;
  EXPECT_EQ(mixed->format_summary(), "8 x dense Float; 6 x test-half; 1 x dense Float (lm_head)");
}

// A backend's layer that counts its calls, and a group of such layers (outputs side by side) that its
// fuse() returns for every q/k/v and gate/up: the model must run the groups and forward_add() on the fused
// path, each part on its own with the residual added apart on the reference path, report the parts'
// formats and bytes either way, and compute the same logits.
struct CallCounts {
  int forward = 0, forward_add = 0, group = 0, normed = 0, gated = 0;
  // Each prefetch_next() call: the layer asked and the first byte it was told of (null: none), and how
  // many runs of memory it was told of.
  std::vector<std::pair<const Linear*, const void*>> prefetches;
  std::vector<size_t> prefetch_runs;
};

class CountingLinear : public Linear {
 public:
  CountingLinear(at::Tensor w, CallCounts& calls) : w_(std::move(w)), calls_(calls) {}
  at::Tensor forward(const at::Tensor& x) const override {
    ++calls_.forward;
    return at::matmul(x, w_.t());
  }
  at::Tensor forward_add(const at::Tensor& x, const at::Tensor& residual) const override {
    ++calls_.forward_add;
    return at::matmul(x, w_.t()) + residual;
  }
  int64_t in_features() const override { return w_.size(1); }
  int64_t out_features() const override { return w_.size(0); }
  std::vector<DeviceBytes> device_bytes() const override {
    return {{w_.data_ptr(), static_cast<int64_t>(w_.nbytes())}};
  }
  void prefetch_next(std::vector<DeviceBytes> next) override {
    calls_.prefetches.emplace_back(this, next.empty() ? nullptr : next[0].data);
    calls_.prefetch_runs.push_back(next.size());
  }
  int64_t bytes() const override { return 3; }
  std::string describe() const override { return "counting"; }
  const at::Tensor& weight() const { return w_; }

 private:
  at::Tensor w_;
  CallCounts& calls_;
};

class CountingGroup : public Linear {
 public:
  CountingGroup(std::vector<std::shared_ptr<const CountingLinear>> parts, CallCounts& calls, bool normalizes,
                bool gates)
      : parts_(std::move(parts)), calls_(calls), normalizes_(normalizes), gates_(gates) {}
  at::Tensor forward(const at::Tensor& x) const override {
    ++calls_.group;
    return product(x);
  }
  // With `normalizes`, the block's RMSNorm as the SDK specifies it (float32 here), then the product.
  at::Tensor forward_rms_normed(const at::Tensor& h, const at::Tensor& w, double eps) const override {
    if (!normalizes_) return {};
    ++calls_.normed;
    return product(w * (h * at::rsqrt(h.pow(2).mean(-1, true) + eps)));
  }
  // With `gates`, SwiGLU's gate of that for a group of two (gate/up).
  at::Tensor forward_rms_normed_swiglu(const at::Tensor& h, const at::Tensor& w, double eps) const override {
    if (!gates_ || parts_.size() != 2) return {};
    ++calls_.gated;
    const at::Tensor y = product(w * (h * at::rsqrt(h.pow(2).mean(-1, true) + eps)));
    const int64_t n = parts_[0]->out_features();
    return at::silu(y.narrow(-1, 0, n)) * y.narrow(-1, n, n);
  }
  int64_t in_features() const override { return parts_[0]->in_features(); }
  int64_t out_features() const override {
    int64_t n = 0;
    for (const auto& p : parts_) n += p->out_features();
    return n;
  }
  // The parts' memory, in order.
  std::vector<DeviceBytes> device_bytes() const override {
    std::vector<DeviceBytes> all;
    for (const auto& p : parts_) all.push_back(p->device_bytes()[0]);
    return all;
  }
  void prefetch_next(std::vector<DeviceBytes> next) override {
    calls_.prefetches.emplace_back(this, next.empty() ? nullptr : next[0].data);
    calls_.prefetch_runs.push_back(next.size());
  }
  int64_t bytes() const override { return 0; }
  std::string describe() const override { return "counting group"; }

 private:
  at::Tensor product(const at::Tensor& x) const {
    std::vector<at::Tensor> ws;
    for (const auto& p : parts_) ws.push_back(p->weight());
    return at::matmul(x, at::cat(ws, 0).t());
  }
  std::vector<std::shared_ptr<const CountingLinear>> parts_;
  CallCounts& calls_;
  bool normalizes_, gates_;
};

class FusingBackend : public QuantBackend {
 public:
  explicit FusingBackend(bool normalizes = false, bool gates = false)
      : normalizes_(normalizes), gates_(gates) {}
  CallCounts calls;
  int fuse_requests = 0;
  std::map<std::string, const CountingLinear*> layers;  // by name, as quantized
  void configure(const Params&, Diagnostics&) override {}
  bool wants(const std::string& name) const override { return name != "lm_head"; }
  std::shared_ptr<Linear> quantize(const std::string& name, const at::Tensor& weight,
                                   const QuantizeContext&) override {
    auto layer = std::make_shared<CountingLinear>(weight, calls);
    layers[name] = layer.get();
    return layer;
  }
  std::shared_ptr<Linear> fuse(const std::vector<std::shared_ptr<Linear>>& parts) const override {
    ++const_cast<FusingBackend*>(this)->fuse_requests;
    std::vector<std::shared_ptr<const CountingLinear>> layers;
    for (const auto& p : parts) layers.push_back(std::dynamic_pointer_cast<const CountingLinear>(p));
    return std::make_shared<CountingGroup>(layers, const_cast<FusingBackend*>(this)->calls, normalizes_,
                                           gates_);
  }
  json settings() const override { return json::object(); }

 private:
  bool normalizes_, gates_;
};

TEST(LlamaModel, BackendGroupsAndResidualEpiloguesRunOnTheFusedPathOnly) {
  LlamaConfig c = test::tiny_config(false);
  auto w = test::random_weights(c, 18);
  FusingBackend backend;
  auto dense = LlamaModel::load(c, *w, at::kCPU, at::kFloat);
  auto m = LlamaModel::load(c, *w, at::kCPU, at::kFloat, &backend);
  EXPECT_EQ(backend.fuse_requests, 2 * 2);  // q/k/v and gate/up of each of the 2 blocks
  EXPECT_EQ(m->format_summary(), "14 x counting; 1 x dense Float (lm_head)");
  const at::Tensor want = run_full(*dense, kIds);
  const at::Tensor fused = run_full(*m, kIds);
  EXPECT_EQ(backend.calls.group, 2 * 2);
  EXPECT_EQ(backend.calls.forward_add, 2 * 2);  // o_proj and down_proj
  EXPECT_EQ(backend.calls.forward, 0);
  EXPECT_LT((fused - want).abs().max().item<double>(), 1e-5 * want.abs().max().item<double>());
  backend.calls = {};
  m->set_op_impl(OpImpl::kLibtorch);
  const at::Tensor reference = run_full(*m, kIds);
  EXPECT_EQ(backend.calls.group, 0);
  EXPECT_EQ(backend.calls.forward_add, 0);
  EXPECT_EQ(backend.calls.forward, 2 * 7);
  EXPECT_LT((reference - want).abs().max().item<double>(), 1e-5 * want.abs().max().item<double>());
}

// Each projection of the fused path is told, once at load, what the next one of a decode step reads:
// q/k/v -> o -> gate/up -> down -> the next block's q/k/v; the last down, before the head, is told nothing.
TEST(LlamaModel, EachProjectionIsToldWhatTheNextOneReads) {
  LlamaConfig c = test::tiny_config(false);
  auto w = test::random_weights(c, 18);
  FusingBackend backend;
  auto m = LlamaModel::load(c, *w, at::kCPU, at::kFloat, &backend);
  auto weight_of = [&](int layer, const std::string& name) {
    return backend.layers.at("model.layers." + std::to_string(layer) + "." + name)->weight().data_ptr();
  };
  // A group reports its parts in order, so its first byte is its first part's.
  const std::vector<std::pair<std::string, std::string>> chain = {{"self_attn.q_proj", "self_attn.o_proj"},
                                                                  {"self_attn.o_proj", "mlp.gate_proj"},
                                                                  {"mlp.gate_proj", "mlp.down_proj"},
                                                                  {"mlp.down_proj", "self_attn.q_proj"}};
  const auto& got = backend.calls.prefetches;
  ASSERT_EQ(got.size(), 4 * static_cast<size_t>(c.num_hidden_layers) - 1);
  for (size_t i = 0; i < got.size(); ++i) {
    const int layer = static_cast<int>(i / 4);
    const auto& [from, to] = chain[i % 4];
    SCOPED_TRACE("call " + std::to_string(i) + ": " + from + " -> " + to);
    EXPECT_EQ(got[i].first->device_bytes().at(0).data, weight_of(layer, from));
    EXPECT_EQ(got[i].second, weight_of(i % 4 == 3 ? layer + 1 : layer, to));
  }
  // LQ_L2_PREFETCH=0 (to measure what the hints gain) leaves them out; 2 adds the product after the next.
  FusingBackend without, ahead;
  setenv("LQ_L2_PREFETCH", "0", 1);
  LlamaModel::load(c, *w, at::kCPU, at::kFloat, &without);
  setenv("LQ_L2_PREFETCH", "2", 1);
  LlamaModel::load(c, *w, at::kCPU, at::kFloat, &ahead);
  unsetenv("LQ_L2_PREFETCH");
  EXPECT_TRUE(without.calls.prefetches.empty());
  ASSERT_EQ(ahead.calls.prefetches.size(), got.size());
  EXPECT_EQ(ahead.calls.prefetches[0].second, got[0].second);
  EXPECT_EQ(ahead.calls.prefetch_runs[0], 1u + 2);  // o, then gate/up's two parts
  EXPECT_EQ(ahead.calls.prefetch_runs.back(), 1u);  // the last block's gate/up: its down only
}

// A group that normalizes its own input (Linear::forward_rms_normed) gets the block's norm on the fused path
// in place of the engine's norm and forward(); one that declines (the default) gets forward(); the
// reference path never asks.
TEST(LlamaModel, GroupsThatNormalizeTheirInputTakeTheBlockNorm) {
  LlamaConfig c = test::tiny_config(false);
  auto w = test::random_weights(c, 18);
  FusingBackend backend(/*normalizes=*/true);
  auto dense = LlamaModel::load(c, *w, at::kCPU, at::kFloat);
  auto m = LlamaModel::load(c, *w, at::kCPU, at::kFloat, &backend);
  const at::Tensor want = run_full(*dense, kIds);
  const at::Tensor fused = run_full(*m, kIds);
  EXPECT_EQ(backend.calls.normed, 2 * 2);  // q/k/v and gate/up of each block
  EXPECT_EQ(backend.calls.group, 0);
  EXPECT_LT((fused - want).abs().max().item<double>(), 1e-5 * want.abs().max().item<double>());
  backend.calls = {};
  m->set_op_impl(OpImpl::kLibtorch);
  run_full(*m, kIds);
  EXPECT_EQ(backend.calls.normed, 0);
  EXPECT_EQ(backend.calls.forward, 2 * 7);
}

// A gate/up group that applies SwiGLU's gate itself (Linear::forward_rms_normed_swiglu) gets the block's
// norm and gate on the fused path in place of forward_rms_normed() and the engine's gate kernel; q/k/v (three
// parts, which it declines) still take the norm; the reference path never asks.
TEST(LlamaModel, GateUpGroupsThatGateTheirOutputTakeTheBlockGate) {
  LlamaConfig c = test::tiny_config(false);
  auto w = test::random_weights(c, 18);
  FusingBackend backend(/*normalizes=*/true, /*gates=*/true);
  auto dense = LlamaModel::load(c, *w, at::kCPU, at::kFloat);
  auto m = LlamaModel::load(c, *w, at::kCPU, at::kFloat, &backend);
  const at::Tensor want = run_full(*dense, kIds);
  const at::Tensor fused = run_full(*m, kIds);
  EXPECT_EQ(backend.calls.gated, 2);   // gate/up of each block
  EXPECT_EQ(backend.calls.normed, 2);  // q/k/v of each block
  EXPECT_EQ(backend.calls.group, 0);
  EXPECT_LT((fused - want).abs().max().item<double>(), 1e-5 * want.abs().max().item<double>());
  backend.calls = {};
  m->set_op_impl(OpImpl::kLibtorch);
  run_full(*m, kIds);
  EXPECT_EQ(backend.calls.gated, 0);
  EXPECT_EQ(backend.calls.forward, 2 * 7);
}

TEST(LlamaModel, BadWeightsAndConfigsAreClearErrors) {
  LlamaConfig c = test::tiny_config(false);
  auto w = test::random_weights(c, 16);
  w->tensors["model.layers.1.mlp.up_proj.weight"] = at::zeros({3, 3});
  EXPECT_THROW(LlamaModel::load(c, *w, at::kCPU, at::kFloat), Error);
  w = test::random_weights(c, 16);
  w->tensors.erase("model.norm.weight");
  EXPECT_THROW(LlamaModel::load(c, *w, at::kCPU, at::kFloat), Error);
  LlamaConfig bad = c;
  bad.num_key_value_heads = 3;
  EXPECT_THROW(LlamaModel::load(bad, *test::random_weights(c, 16), at::kCPU, at::kFloat), Error);
  EXPECT_THROW(LlamaModel::load(c, *test::random_weights(c, 16), at::kCPU, at::kInt), Error);
}

TEST(LlamaModel, ForwardRejectsTokensBeyondTheCache) {
  LlamaConfig c = test::tiny_config(true);
  auto m = LlamaModel::load(c, *test::random_weights(c, 17), at::kCPU, at::kFloat);
  KvCache cache = m->make_cache(1, 4);
  at::Tensor ids = at::zeros({1, 3}, at::kLong);
  EXPECT_THROW(m->forward(ids, ids, cache, 2, true), Error);
}

}  // namespace
}  // namespace lq
