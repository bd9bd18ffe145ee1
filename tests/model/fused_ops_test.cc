// The one-kernel CUDA rms_norm and apply_rope against the CPU formulas (fp32), in fp32, fp16 and bf16,
// on rows of odd width and on transposed (non-contiguous) query/key views as the model passes them.
#include <gtest/gtest.h>

#include "ops/rms_norm.h"
#include "ops/rope.h"

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
  at::Tensor got = apply_rope(xg, gpu);
  EXPECT_EQ(got.sizes(), xg.sizes());
  EXPECT_LT(max_rel_diff(got, want), tolerance());
}

INSTANTIATE_TEST_SUITE_P(Dtypes, FusedOps, ::testing::Values(at::kFloat, at::kHalf, at::kBFloat16),
                         [](const auto& info) { return std::string(at::toString(info.param)); });

}  // namespace
}  // namespace lq
