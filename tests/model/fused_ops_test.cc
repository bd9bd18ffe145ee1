// The framework's CUDA kernels against the formulas, in fp32, fp16 and bf16: rms_norm and the rotary
// embeddings against the CPU in fp32, on rows of odd width and on transposed (non-contiguous) query/key
// views as the model passes them; rope_and_append, silu_mul, the one-row dense product and decode attention
// against libtorch's operators on the same device (OpImpl::kLibtorch), on fresh random inputs; decode's
// rope + append + attention kernel against the two fused ops it replaces, bit for bit.
#include <gtest/gtest.h>

#include <cmath>
#include <tuple>

#include "ops/attention.h"
#include "ops/dense.h"
#include "ops/fused_ops.h"
#include "ops/greedy.h"
#include "ops/rms_norm.h"
#include "ops/rope.h"
#include "ops/swiglu.h"

namespace lq {
namespace {

class FusedOps : public ::testing::TestWithParam<at::ScalarType> {
 protected:
  void SetUp() override {
    if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device in this libtorch";
  }
  // Relative to the values' scale: a few units in the last place of the dtype.
  double tolerance() const { return GetParam() == at::kFloat ? 1e-5 : GetParam() == at::kHalf ? 4e-3 : 3e-2; }
};

double max_rel_diff(const at::Tensor& got, const at::Tensor& want) {
  return (got.cpu().to(at::kDouble) - want.to(at::kDouble)).abs().max().item<double>() /
         want.abs().max().item<double>();
}

TEST_P(FusedOps, RmsNormMatchesTheFormula) {
  at::manual_seed(5);
  for (int64_t cols : {2048, 577, 1}) {
    at::Tensor x = at::randn({3, 5, cols}) * 3, w = at::rand({cols}) + 0.5;
    at::Tensor xd = x.to(GetParam()), wd = w.to(GetParam());
    at::Tensor want = rms_norm(xd.to(at::kFloat), wd.to(at::kFloat), 1e-5);
    at::Tensor got = rms_norm(xd.cuda(), wd.cuda(), 1e-5);
    EXPECT_EQ(got.scalar_type(), GetParam());
    EXPECT_EQ(got.sizes(), x.sizes());
    EXPECT_LT(max_rel_diff(got, want), tolerance()) << "cols " << cols;
  }
}

TEST_P(FusedOps, RopeMatchesTheFormulaOnTransposedViews) {
  at::manual_seed(6);
  const int64_t B = 2, T = 7, H = 4, D = 64;
  at::Tensor inv_freq = 1.0 / at::pow(10000.0, at::arange(0, D, 2, at::kLong).to(at::kFloat) / double(D));
  at::Tensor positions = at::randint(0, 4000, {B, T}, at::kLong);
  at::Tensor x = at::randn({B, T, H, D}).to(GetParam());
  RopeAngles cpu = rope_angles(positions, inv_freq, at::kFloat);
  at::Tensor want = apply_rope(x.to(at::kFloat).transpose(1, 2), cpu);
  RopeAngles gpu = rope_angles(positions.cuda(), inv_freq.cuda(), GetParam());
  at::Tensor xg = x.cuda().transpose(1, 2);  // [B, H, T, D] view of [B, T, H, D], as q and k are
  // The fused kernel rotates the queries and the keys it appends (here both x, H kv heads) alike.
  at::Tensor keys = at::zeros({B, H, T, D}, xg.options()), values = at::zeros({B, H, T, D}, xg.options());
  at::Tensor slots = at::arange(T, at::TensorOptions().dtype(at::kLong).device(at::kCUDA));
  at::Tensor got = rope_and_append(xg, xg, xg, gpu, keys, values, slots, OpImpl::kFused);
  EXPECT_EQ(got.sizes(), xg.sizes());
  EXPECT_LT(max_rel_diff(got, want), tolerance());
  EXPECT_LT(max_rel_diff(keys, want), tolerance());
}

TEST_P(FusedOps, RopeAndAppendMatchesLibtorch) {
  at::manual_seed(7);
  const int64_t B = 2, T = 5, H = 6, kv = 2, D = 64, capacity = 16;
  const auto options = at::TensorOptions().dtype(GetParam()).device(at::kCUDA);
  at::Tensor qkv = at::randn({B, T, (H + 2 * kv) * D}, options);  // one fused projection, as the model has
  at::Tensor q = qkv.narrow(-1, 0, H * D).view({B, T, H, D}).transpose(1, 2);
  at::Tensor k = qkv.narrow(-1, H * D, kv * D).view({B, T, kv, D}).transpose(1, 2);
  at::Tensor v = qkv.narrow(-1, (H + kv) * D, kv * D).view({B, T, kv, D}).transpose(1, 2);
  at::Tensor inv_freq = 1.0 / at::pow(10000.0, at::arange(0, D, 2, at::kLong).to(at::kFloat) / double(D));
  RopeAngles angles =
      rope_angles(at::randint(0, 4000, {B, T}, at::kLong).cuda(), inv_freq.cuda(), GetParam());
  at::Tensor slots = at::tensor(std::vector<int64_t>{3, 9, 4, 10, 15}, at::kLong).cuda();
  at::Tensor keys = at::randn({B, kv, capacity, D}, options),
             values = at::randn({B, kv, capacity, D}, options);
  at::Tensor keys_ref = keys.clone(), values_ref = values.clone();
  at::Tensor want = rope_and_append(q, k, v, angles, keys_ref, values_ref, slots, OpImpl::kLibtorch);
  at::Tensor got = rope_and_append(q, k, v, angles, keys, values, slots, OpImpl::kFused);
  EXPECT_EQ(got.sizes(), want.sizes());
  EXPECT_LT(max_rel_diff(got, want.cpu()), tolerance());
  EXPECT_LT(max_rel_diff(keys, keys_ref.cpu()), tolerance());
  EXPECT_TRUE(at::equal(values, values_ref));  // copied, not computed
  // Slots not written keep their old contents.
  at::Tensor written = at::zeros({capacity}, at::kBool);
  written.index_fill_(0, slots.cpu(), true);
  const at::Tensor untouched = written.logical_not().nonzero().view({-1});
  EXPECT_TRUE(at::equal(keys.cpu().index_select(2, untouched), keys_ref.cpu().index_select(2, untouched)));
}

TEST_P(FusedOps, SiluMulMatchesLibtorch) {
  at::manual_seed(8);
  const int64_t I = 577;
  at::Tensor gate_up = (at::randn({3, 4, 2 * I}) * 4).to(GetParam()).cuda();
  at::Tensor gate = gate_up.narrow(-1, 0, I), up = gate_up.narrow(-1, I, I);
  at::Tensor want = silu_mul(gate, up, OpImpl::kLibtorch), got = silu_mul(gate, up, OpImpl::kFused);
  EXPECT_EQ(got.sizes(), want.sizes());
  EXPECT_EQ(got.scalar_type(), GetParam());
  EXPECT_LT(max_rel_diff(got, want.cpu()), tolerance());
}

// One row (batch-1 decode) through the GEMV kernel in fp16/bf16, with and without the residual, on long,
// short and odd-sized rows; fp32 and several rows take libtorch's product on either path.
TEST_P(FusedOps, DenseMatchesLibtorch) {
  at::manual_seed(10);
  for (auto [N, K, rows] : {std::tuple<int64_t, int64_t, int64_t>{2048, 2048, 1},
                            {77, 8192, 1},
                            {9, 20480, 1},  // x beyond kGemvNormMaxK: read through L1, not staged
                            {33, 4104, 1},
                            {5, 24, 1},
                            {300, 64, 3}}) {
    const auto options = at::TensorOptions().dtype(GetParam()).device(at::kCUDA);
    at::Tensor x = at::randn({rows, 1, K}, options), w = at::randn({N, K}, options) / std::sqrt(double(K));
    at::Tensor residual = at::randn({rows, 1, N}, options);
    for (bool with_residual : {false, true}) {
      const at::Tensor r = with_residual ? residual : at::Tensor();
      at::Tensor want = dense(x, w, r, OpImpl::kLibtorch), got = dense(x, w, r, OpImpl::kFused);
      EXPECT_EQ(got.sizes(), want.sizes());
      EXPECT_LT(max_rel_diff(got, want.cpu()), tolerance())
          << N << " x " << K << " residual " << with_residual;
    }
  }
}

// RMSNorm feeding a one-row product, alone and with SwiGLU's gate over [gate; up], through one GEMV kernel
// in fp16/bf16 (each CTA normalizes the row itself) against rms_norm, dense and silu_mul on libtorch; the
// hidden state is scaled so that the norm matters; fp32 and several rows take the three ops either way.
TEST_P(FusedOps, NormDenseMatchesLibtorch) {
  at::manual_seed(11);
  for (auto [N, K, rows] : {std::tuple<int64_t, int64_t, int64_t>{3072, 2048, 1},
                            {512, 2048, 1},
                            {40, 8200, 1},
                            {6, 24, 1},
                            {30, 64, 3}}) {
    const auto options = at::TensorOptions().dtype(GetParam()).device(at::kCUDA);
    const at::Tensor h = at::randn({rows, 1, K}, options) * 7, gamma = at::rand({K}, options) + 0.5;
    for (bool swiglu : {false, true}) {
      const at::Tensor w = at::randn({swiglu ? 2 * N : N, K}, options) / std::sqrt(double(K));
      at::Tensor want = norm_dense(h, gamma, 1e-5, w, swiglu, OpImpl::kLibtorch);
      at::Tensor got = norm_dense(h, gamma, 1e-5, w, swiglu, OpImpl::kFused);
      EXPECT_EQ(got.sizes(), want.sizes());
      EXPECT_EQ(got.size(-1), N);
      EXPECT_LT(max_rel_diff(got, want.cpu()), tolerance()) << N << " x " << K << " swiglu " << swiglu;
    }
  }
}

// The reference greedy choice keeps a ban whatever the logit: +inf (an fp16 overflow) plus the ban's -inf
// would be NaN, which argmax picks first (the eager generator bans with index_fill, so it never saw NaN).
TEST(GreedyChoice, ABanHoldsAtAnInfiniteLogit) {
  for (auto dtype : {at::kFloat, at::kHalf}) {
    const at::Tensor logits = at::tensor({1.0f, INFINITY, 3.0f, 2.0f}).to(dtype).view({1, 4});
    at::Tensor bias = at::zeros({4});
    bias[1] = -INFINITY;
    const GreedyChoice got = greedy_choice(logits, bias, true);
    EXPECT_EQ(got.next[0].item<int64_t>(), 2) << dtype;
    EXPECT_EQ(got.margins[0].item<float>(), 1.0f) << dtype;
    EXPECT_EQ(greedy_choice(logits, at::zeros({4}), false).next[0].item<int64_t>(), 1);
  }
}

// greedy_step's formula: the choice written into next and margins, the positions and the slot one on.
TEST(GreedyStep, WritesTheChoiceAndMovesTheCountersOn) {
  const at::Tensor logits = at::tensor({1.0f, 4.0f, 3.0f, 9.0f, 2.0f, 8.0f}).view({2, 3});
  const GreedyStep step{at::zeros({2}, at::kLong), at::zeros({2}), at::tensor({5, 7}, at::kLong),
                        at::tensor({11}, at::kLong)};
  greedy_step(logits, at::zeros({3}), step, OpImpl::kLibtorch);
  EXPECT_TRUE(at::equal(step.next, at::tensor({1, 0}, at::kLong))) << step.next;
  EXPECT_TRUE(at::equal(step.margins, at::tensor({1.0f, 1.0f}))) << step.margins;
  EXPECT_TRUE(at::equal(step.positions, at::tensor({6, 8}, at::kLong))) << step.positions;
  EXPECT_EQ(step.slot.item<int64_t>(), 12);
}

#ifdef LQ_HAVE_CUDA
// One query token over a cache, as decode runs it: grouped heads (4 and 3 per kv head, and none), head
// sizes 64 and 128, one chunk, a few (merged within a thread-block cluster where the GPU has them) and
// many (over 16: merged by a second kernel), masked slots (padding and the future) in every row.
TEST_P(FusedOps, DecodeAttentionMatchesLibtorch) {
  at::manual_seed(9);
  struct Case {
    int64_t B, H, kv, S, D;
  };
  for (const Case& c : {Case{1, 32, 8, 640, 64}, Case{3, 9, 3, 37, 64}, Case{2, 4, 4, 300, 128},
                        Case{32, 32, 8, 700, 64}, Case{1, 4, 2, 2000, 64}}) {
    const auto options = at::TensorOptions().dtype(GetParam()).device(at::kCUDA);
    at::Tensor q = at::randn({c.B, 1, c.H, c.D}, options).transpose(1, 2);  // [B, H, 1, D] view
    at::Tensor keys = at::randn({c.B, c.kv, c.S + 9, c.D}, options) * 2;
    at::Tensor values = at::randn({c.B, c.kv, c.S + 9, c.D}, options);
    at::Tensor k = keys.narrow(2, 0, c.S), v = values.narrow(2, 0, c.S);
    // Row b: slots [pad_b, slot] are valid and may be read; slot itself always.
    at::Tensor slot = at::tensor(std::vector<int64_t>{c.S * 3 / 4}, at::kLong).cuda();
    at::Tensor valid = at::rand({c.B, c.S}, options.dtype(at::kFloat)) > 0.2;
    at::Tensor allowed = causal_mask(valid, slot, c.S);
    ASSERT_TRUE(decode_attention_cuda_supports(q, k, v, allowed));
    at::Tensor want = attention(q, k, v, allowed, OpImpl::kLibtorch);
    at::Tensor got = attention(q, k, v, allowed, OpImpl::kFused);
    EXPECT_EQ(got.sizes(), want.sizes());
    EXPECT_LT(max_rel_diff(got, want.cpu()), tolerance()) << "B " << c.B << " H " << c.H << " S " << c.S;
  }
}

// Decode's rotary embeddings + cache append + attention in the decode-attention kernel equal the two ops
// it folds together (rope_and_append, then attention over the cache), bit for bit: the output and every
// cache entry, with one chunk, a few (cluster-merged where the GPU has clusters) and many, the token's slot
// last or inside the span, projections as views of one fused q/k/v output.
TEST_P(FusedOps, RopeAppendAttentionEqualsItsParts) {
  at::manual_seed(11);
  struct Case {
    int64_t B, H, kv, S, D, slot;
  };
  for (const Case& c : {Case{1, 32, 8, 640, 64, 639}, Case{3, 9, 3, 37, 64, 36}, Case{2, 4, 4, 300, 128, 200},
                        Case{1, 4, 2, 2000, 64, 1999}}) {
    const auto options = at::TensorOptions().dtype(GetParam()).device(at::kCUDA);
    const at::Tensor qkv = at::randn({c.B, 1, (c.H + 2 * c.kv) * c.D}, options);
    const at::Tensor q = qkv.narrow(-1, 0, c.H * c.D).view({c.B, 1, c.H, c.D}).transpose(1, 2);
    const at::Tensor k = qkv.narrow(-1, c.H * c.D, c.kv * c.D).view({c.B, 1, c.kv, c.D}).transpose(1, 2);
    const at::Tensor v =
        qkv.narrow(-1, (c.H + c.kv) * c.D, c.kv * c.D).view({c.B, 1, c.kv, c.D}).transpose(1, 2);
    const at::Tensor inv_freq = at::rand({c.D / 2}, options.dtype(at::kFloat)) * 0.9 + 1e-4;
    const RopeAngles angles = rope_angles(at::full({c.B, 1}, c.slot, options.dtype(at::kLong)), inv_freq,
                                          GetParam(), OpImpl::kFused);
    const at::Tensor cache_keys = at::randn({c.B, c.kv, c.S + 7, c.D}, options) * 2;
    const at::Tensor cache_values = at::randn({c.B, c.kv, c.S + 7, c.D}, options);
    const at::Tensor slots = at::full({1}, c.slot, options.dtype(at::kLong));
    const at::Tensor valid = at::rand({c.B, c.S}, options.dtype(at::kFloat)) > 0.2;
    const at::Tensor allowed = causal_mask(valid, slots, c.S);
    at::Tensor keys = cache_keys.clone(), values = cache_values.clone();
    ASSERT_TRUE(rope_append_attention_cuda_supports(q, k, v, keys, values, c.S, allowed));
    const at::Tensor got = rope_append_attention(q, k, v, angles, keys, values, slots, c.S, allowed);
    at::Tensor keys_ref = cache_keys.clone(), values_ref = cache_values.clone();
    const at::Tensor rotated = rope_and_append(q, k, v, angles, keys_ref, values_ref, slots, OpImpl::kFused);
    const at::Tensor want =
        attention(rotated, keys_ref.narrow(2, 0, c.S), values_ref.narrow(2, 0, c.S), allowed, OpImpl::kFused);
    EXPECT_EQ(got.sizes(), want.sizes());
    EXPECT_TRUE(at::equal(got, want)) << "B " << c.B << " H " << c.H << " S " << c.S;
    EXPECT_TRUE(at::equal(keys, keys_ref)) << "B " << c.B << " H " << c.H << " S " << c.S;
    EXPECT_TRUE(at::equal(values, values_ref)) << "B " << c.B << " H " << c.H << " S " << c.S;
  }
}

// The rotary angles and the causal mask of a step, each one kernel, equal the formulas on the same device
// bit for bit: positions up to Llama 3's 131,072 (fp32 products of large angles), several rows of a prefill
// chunk and one of decode; masks over padded rows, queries at the first and the last slot.
TEST_P(FusedOps, RopeAnglesAndCausalMaskEqualTheFormulas) {
  at::manual_seed(13);
  const auto cuda = at::TensorOptions().device(at::kCUDA);
  const at::Tensor inv_freq = at::rand({32}, cuda.dtype(at::kFloat)) * 0.9 + 1e-4;
  for (auto [B, T] : {std::tuple<int64_t, int64_t>{1, 1}, {3, 17}, {2, 512}}) {
    const at::Tensor positions = at::randint(0, 131072, {B, T}, cuda.dtype(at::kLong));
    const RopeAngles want = rope_angles(positions, inv_freq, GetParam(), OpImpl::kLibtorch);
    const RopeAngles got = rope_angles(positions, inv_freq, GetParam(), OpImpl::kFused);
    EXPECT_EQ(got.cos.sizes(), want.cos.sizes());
    EXPECT_EQ(got.cos.scalar_type(), GetParam());
    EXPECT_TRUE(at::equal(got.cos, want.cos)) << B << " x " << T;
    EXPECT_TRUE(at::equal(got.sin, want.sin)) << B << " x " << T;
  }
  for (auto [B, T, S] : {std::tuple<int64_t, int64_t, int64_t>{1, 1, 640}, {3, 9, 40}, {2, 1, 1}}) {
    const at::Tensor valid = at::rand({B, S + 5}, cuda.dtype(at::kFloat)) > 0.3;
    const at::Tensor slots = at::randint(0, S, {T}, cuda.dtype(at::kLong));
    slots[0] = S - 1;
    const at::Tensor want = causal_mask(valid, slots, S, OpImpl::kLibtorch);
    const at::Tensor got = causal_mask(valid, slots, S, OpImpl::kFused);
    EXPECT_EQ(got.sizes(), want.sizes());
    EXPECT_TRUE(at::equal(got, want)) << B << " x " << T << " x " << S;
  }
}

// The greedy choice of decode over fresh random logits: a Llama 3 vocabulary (fp16 rounding makes ties of
// the largest logit likely), widths around the kernel's chunk of 2048 and below it, a row whose largest
// value is planted twice (the first index wins, the margin is 0), a banned best token, and a whole row
// banned but one token; the kernels' tokens and margins (and their tokens without margins) must equal
// argmax and topk(2) on libtorch bit for bit.
TEST_P(FusedOps, GreedyChoiceEqualsArgmaxAndTopk) {
  at::manual_seed(12);
  for (auto [rows, vocab] : {std::tuple<int64_t, int64_t>{1, 128256}, {4, 2049}, {3, 2048}, {2, 3}}) {
    const auto options = at::TensorOptions().dtype(GetParam()).device(at::kCUDA);
    at::Tensor logits = at::randn({rows, vocab}, options) * 4;
    at::Tensor bias = at::zeros({vocab}, options.dtype(at::kFloat));
    if (vocab > 100) {
      logits[0][vocab - 7] = 50.0, logits[0][vocab / 2] = 50.0;  // a tie: vocab / 2 wins
    }
    if (rows > 1 && vocab > 100) {
      logits[1][5] = 60.0, bias[5] = -INFINITY;      // banned: row 1 takes its runner-up
      logits[1][6] = INFINITY, bias[6] = -INFINITY;  // banned at +inf (an fp16 overflow): still banned
    }
    auto fused = [&](const at::Tensor& with_bias, bool margins) {
      const auto ids = options.dtype(at::kLong);
      const GreedyStep step{at::empty({rows}, ids),
                            margins ? at::empty({rows}, options.dtype(at::kFloat)) : at::Tensor(),
                            at::zeros({rows}, ids), at::zeros({1}, ids)};
      greedy_step(logits, with_bias, step, OpImpl::kFused);
      return step;
    };
    for (bool ban_all_but_one : {false, true}) {
      if (ban_all_but_one) bias.fill_(-INFINITY), bias[vocab - 1] = 0.0f;
      const GreedyChoice want = greedy_choice(logits, bias, true);
      const GreedyStep got = fused(bias, true);
      ASSERT_EQ(got.next.sizes(), want.next.sizes());
      EXPECT_TRUE(at::equal(got.next.cpu(), want.next.cpu()))
          << rows << " x " << vocab << ": " << got.next.cpu() << " vs " << want.next.cpu();
      EXPECT_TRUE(at::equal(got.margins.cpu(), want.margins.cpu())) << rows << " x " << vocab;
      EXPECT_TRUE(at::equal(fused(bias, false).next.cpu(), want.next.cpu())) << rows << " x " << vocab;
    }
    if (vocab > 100) {
      EXPECT_EQ(fused(at::zeros_like(bias), true).next[0].item<int64_t>(), vocab / 2);
    }
  }
}

// The decode step's choice and counters in the greedy kernels equal the formula's, with and without margins.
TEST_P(FusedOps, GreedyStepEqualsTheFormula) {
  at::manual_seed(13);
  const int64_t rows = 3, vocab = 4099;
  const auto options = at::TensorOptions().dtype(GetParam()).device(at::kCUDA);
  const at::Tensor logits = at::randn({rows, vocab}, options) * 4;
  at::Tensor bias = at::zeros({vocab}, options.dtype(at::kFloat));
  bias[7] = -INFINITY;
  for (bool margins : {true, false}) {
    auto fresh = [&] {
      const auto ids = options.dtype(at::kLong);
      return GreedyStep{at::full({rows}, -1, ids),
                        margins ? at::zeros({rows}, options.dtype(at::kFloat)) : at::Tensor(),
                        at::arange(100, 100 + rows, ids), at::full({1}, 40, ids)};
    };
    const GreedyStep want = fresh(), got = fresh();
    greedy_step(logits, bias, want, OpImpl::kLibtorch);
    greedy_step(logits, bias, got, OpImpl::kFused);
    EXPECT_TRUE(at::equal(got.next.cpu(), want.next.cpu())) << got.next.cpu() << " vs " << want.next.cpu();
    if (margins) {
      EXPECT_TRUE(at::equal(got.margins.cpu(), want.margins.cpu()));
    }
    EXPECT_TRUE(at::equal(got.positions.cpu(), at::arange(101, 101 + rows, at::kLong)))
        << got.positions.cpu();
    EXPECT_EQ(got.slot.item<int64_t>(), 41);
    EXPECT_TRUE(at::equal(want.positions.cpu(), got.positions.cpu()));
  }
}
#endif

INSTANTIATE_TEST_SUITE_P(Dtypes, FusedOps, ::testing::Values(at::kFloat, at::kHalf, at::kBFloat16),
                         [](const auto& info) { return std::string(at::toString(info.param)); });

}  // namespace
}  // namespace lq
