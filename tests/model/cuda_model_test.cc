// The same checks on CUDA in fp16 and bf16; skipped where libtorch has no CUDA device.
#include <gtest/gtest.h>

#include "model_test_util.h"
#include "tiny_model.h"

namespace lq {
namespace {

const std::vector<int64_t> kIds = {1,   200, 13, 77, 5,   5, 250, 31,  90,  64,
                                   128, 3,   17, 42, 199, 8, 0,   255, 100, 60};

class CudaModel : public ::testing::TestWithParam<at::ScalarType> {
 protected:
  void SetUp() override {
    if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device in this libtorch";
  }
};

TEST_P(CudaModel, ArgmaxAgreesWithCpuFp32) {
  LlamaConfig c = test::tiny_config(false);
  auto w = test::random_weights(c, 21);
  at::Tensor ref = test::run_full(*LlamaModel::load(c, *w, at::kCPU, at::kFloat), kIds);
  auto m = LlamaModel::load(c, *w, at::Device(at::kCUDA, 0), GetParam());
  at::Tensor got = test::run_full(*m, kIds);
  EXPECT_EQ(got.scalar_type(), GetParam());
  EXPECT_GE(test::argmax_agreement(ref, got, 0.05 * ref.abs().max().item<double>()), 0.99);
}

TEST_P(CudaModel, IncrementalDecodeEqualsFullForward) {
  LlamaConfig c = test::tiny_config(true);
  auto m = LlamaModel::load(c, *test::random_weights(c, 22), at::Device(at::kCUDA, 0), GetParam());
  at::Tensor full = test::run_full(*m, kIds).to(at::kFloat);
  const int64_t T = static_cast<int64_t>(kIds.size()), P = 5;
  KvCache cache = m->make_cache(1, T);
  cache.valid().fill_(true);
  at::Tensor ids = at::tensor(kIds, at::kLong).view({1, T}), pos = at::arange(T, at::kLong).view({1, T});
  m->forward(ids.narrow(1, 0, P), pos.narrow(1, 0, P), cache, 0, true);
  const double tol = 0.03 * full.abs().max().item<double>();
  for (int64_t t = P; t < T; ++t) {
    at::Tensor step =
        m->forward(ids.narrow(1, t, 1), pos.narrow(1, t, 1), cache, t, true)[0].cpu().to(at::kFloat);
    EXPECT_LT((step - full[t]).abs().max().item<double>(), tol) << "position " << t;
  }
}

INSTANTIATE_TEST_SUITE_P(HalfPrecision, CudaModel, ::testing::Values(at::kHalf, at::kBFloat16),
                         [](const auto& info) { return std::string(at::toString(info.param)); });

}  // namespace
}  // namespace lq
