// RMSNorm, rotary embeddings (plain and Llama 3 scaled) and attention against their formulas.
#include <gtest/gtest.h>

#include <cmath>

#include "ops/attention.h"
#include "ops/rms_norm.h"
#include "ops/rope.h"
#include "tiny_model.h"

namespace lq {
namespace {

TEST(RmsNorm, MatchesFormula) {
  at::manual_seed(1);
  at::Tensor x = at::randn({3, 5, 32}), w = at::randn({32});
  at::Tensor y = rms_norm(x, w, 1e-6);
  auto xa = x.accessor<float, 3>();
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t j = 0; j < 5; ++j) {
      double ms = 0;
      for (int64_t k = 0; k < 32; ++k) ms += double(xa[i][j][k]) * xa[i][j][k] / 32;
      for (int64_t k = 0; k < 32; ++k)
        EXPECT_NEAR(y[i][j][k].item<float>(), w[k].item<float>() * xa[i][j][k] / std::sqrt(ms + 1e-6), 1e-5);
    }
}

TEST(RmsNorm, KeepsHalfPrecisionDtype) {
  at::Tensor x = at::randn({2, 8}).to(at::kBFloat16), w = at::ones({8}, at::kBFloat16);
  EXPECT_EQ(rms_norm(x, w, 1e-5).scalar_type(), at::kBFloat16);
}

// The Llama 3 frequency formula written out in double precision.
std::vector<double> expected_inv_freq(const LlamaConfig& c) {
  std::vector<double> out;
  const RopeScaling& s = c.rope_scaling;
  for (int64_t i = 0; i < c.head_dim; i += 2) {
    double f = 1.0 / std::pow(c.rope_theta, double(i) / c.head_dim);
    if (s.type == "llama3") {
      const double wavelen = 2 * M_PI / f, old = double(s.original_max_position_embeddings);
      if (wavelen > old / s.low_freq_factor) {
        f /= s.factor;
      } else if (wavelen >= old / s.high_freq_factor) {
        const double smooth = (old / wavelen - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
        f = (1 - smooth) * f / s.factor + smooth * f;
      }
    }
    out.push_back(f);
  }
  return out;
}

TEST(Rope, DefaultFrequencies) {
  LlamaConfig c = test::tiny_config(true);
  c.rope_scaling = RopeScaling{};
  at::Tensor f = rope_inv_freq(c);
  std::vector<double> want = expected_inv_freq(c);
  ASSERT_EQ(f.numel(), 8);
  for (int64_t i = 0; i < 8; ++i) EXPECT_NEAR(f[i].item<float>(), want[size_t(i)], 1e-6 * want[size_t(i)]);
}

TEST(Rope, Llama3ScalingCoversAllThreeBands) {
  LlamaConfig c = test::tiny_config(true);
  at::Tensor f = rope_inv_freq(c);
  LlamaConfig plain = c;
  plain.rope_scaling = RopeScaling{};
  at::Tensor f0 = rope_inv_freq(plain);
  std::vector<double> want = expected_inv_freq(c);
  int kept = 0, scaled = 0, smoothed = 0;
  for (int64_t i = 0; i < 8; ++i) {
    EXPECT_NEAR(f[i].item<float>(), want[size_t(i)], 1e-6 * want[size_t(i)]) << i;
    const double ratio = f0[i].item<float>() / f[i].item<float>();
    if (std::abs(ratio - 1) < 1e-6)
      ++kept;
    else if (std::abs(ratio - 8) < 1e-5)
      ++scaled;
    else
      ++smoothed;
  }
  EXPECT_GT(kept, 0);
  EXPECT_GT(scaled, 0);
  EXPECT_GT(smoothed, 0);
}

TEST(Rope, RejectsUnknownScaling) {
  LlamaConfig c = test::tiny_config(true);
  c.rope_scaling.type = "yarn";
  EXPECT_THROW(rope_inv_freq(c), Error);
}

TEST(Rope, RotatesEachPairByPositionTimesFrequency) {
  LlamaConfig c = test::tiny_config(false);
  at::Tensor inv = rope_inv_freq(c);
  at::manual_seed(2);
  at::Tensor x = at::randn({1, 2, 3, 16});
  at::Tensor pos = at::tensor(std::vector<int64_t>{0, 5, 41}).view({1, 3});
  at::Tensor y = apply_rope(x, rope_angles(pos, inv, at::kFloat));
  for (int64_t h = 0; h < 2; ++h)
    for (int64_t t = 0; t < 3; ++t)
      for (int64_t i = 0; i < 8; ++i) {  // pairs (i, i + 8) in the rotate-half layout
        const double a = pos[0][t].item<int64_t>() * double(inv[i].item<float>());
        const double x1 = x[0][h][t][i].item<float>(), x2 = x[0][h][t][i + 8].item<float>();
        EXPECT_NEAR(y[0][h][t][i].item<float>(), x1 * std::cos(a) - x2 * std::sin(a), 1e-5);
        EXPECT_NEAR(y[0][h][t][i + 8].item<float>(), x2 * std::cos(a) + x1 * std::sin(a), 1e-5);
      }
}

// Attention by loops: query head h reads kv head h / (heads / kv_heads).
at::Tensor loop_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                          const at::Tensor& allowed) {
  const int64_t B = q.size(0), H = q.size(1), T = q.size(2), D = q.size(3), S = k.size(2);
  const int64_t rep = H / k.size(1);
  at::Tensor out = at::zeros_like(q, at::kDouble);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t t = 0; t < T; ++t) {
        std::vector<double> w(size_t(S), 0.0);
        double mx = -1e300, sum = 0;
        for (int64_t s = 0; s < S; ++s) {
          if (!allowed[b][0][t][s].item<bool>()) continue;
          w[size_t(s)] = (q[b][h][t] * k[b][h / rep][s]).sum().item<double>() / std::sqrt(double(D));
          mx = std::max(mx, w[size_t(s)]);
        }
        for (int64_t s = 0; s < S; ++s)
          if (allowed[b][0][t][s].item<bool>())
            sum += w[size_t(s)] = std::exp(w[size_t(s)] - mx);
          else
            w[size_t(s)] = 0;
        for (int64_t s = 0; s < S; ++s)
          out[b][h][t] += v[b][h / rep][s].to(at::kDouble) * (w[size_t(s)] / sum);
      }
  return out;
}

TEST(Attention, CausalMaskWithPaddingMatchesLoops) {
  at::manual_seed(3);
  const int64_t B = 2, S = 7, T = 3, start = 4;
  at::Tensor q = at::randn({B, 4, T, 8}), k = at::randn({B, 2, S, 8}), v = at::randn({B, 2, S, 8});
  at::Tensor valid = at::ones({B, 10}, at::kBool);
  valid[1].narrow(0, 0, 3).fill_(false);  // row 1 is left-padded by 3 slots
  at::Tensor allowed = causal_mask(valid, at::arange(start, start + T, at::kLong), S);
  ASSERT_EQ(allowed.sizes(), (std::vector<int64_t>{B, 1, T, S}));
  EXPECT_TRUE(allowed[0][0][0][4].item<bool>());
  EXPECT_FALSE(allowed[0][0][0][5].item<bool>());
  EXPECT_FALSE(allowed[1][0][2][2].item<bool>());
  EXPECT_TRUE(allowed[1][0][2][6].item<bool>());
  at::Tensor want = loop_attention(q, k, v, allowed);
  EXPECT_TRUE(at::allclose(attention(q, k, v, allowed).to(at::kDouble), want, 1e-5, 1e-5));
  EXPECT_TRUE(at::allclose(naive_attention(q, k, v, allowed).to(at::kDouble), want, 1e-5, 1e-5));
}

TEST(Attention, PaddingQueryStillAttendsToItself) {
  at::Tensor valid = at::zeros({1, 4}, at::kBool);
  at::Tensor allowed = causal_mask(valid, at::arange(4, at::kLong), 4);
  at::Tensor q = at::randn({1, 2, 4, 8}), k = at::randn({1, 2, 4, 8}), v = at::randn({1, 2, 4, 8});
  EXPECT_TRUE(attention(q, k, v, allowed).isfinite().all().item<bool>());
}

}  // namespace
}  // namespace lq
