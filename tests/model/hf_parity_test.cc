// Logits against Hugging Face transformers for the same weights. The fixture comes from
// scripts/gpu/engine_parity.sh (run on the GPU machine, where transformers is installed); until it is
// committed these tests skip.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "model_test_util.h"

#if __has_include("model/model_files.h")
#include "model/model_files.h"
#define LQ_HAVE_MODEL_FILES 1
#endif

namespace lq {
namespace {

namespace fs = std::filesystem;
const fs::path kFixtures = fs::path(LQ_TEST_DIR) / "fixtures" / "model";

#ifdef LQ_HAVE_MODEL_FILES
json read_fixture() {
  std::ifstream in(kFixtures / "hf_logits.json");
  return json::parse(in);
}

at::Tensor to_tensor(const json& rows) {
  std::vector<float> flat;
  for (const auto& row : rows)
    for (const auto& v : row) flat.push_back(v.get<float>());
  return at::tensor(flat).view({static_cast<int64_t>(rows.size()), -1});
}
#endif

class HfParity : public ::testing::TestWithParam<std::string> {};

TEST_P(HfParity, Fp32LogitsMatchTransformers) {
  if (!fs::exists(kFixtures / "hf_logits.json"))
    GTEST_SKIP() << "no tests/fixtures/model/hf_logits.json yet: run scripts/gpu/engine_parity.sh";
#ifndef LQ_HAVE_MODEL_FILES
  GTEST_SKIP() << "model/model_files.h (open_model_files) is not there yet";
#else
  const json case_ = read_fixture().at(GetParam());
  ModelFiles files = open_model_files(kFixtures / GetParam());
  auto model = LlamaModel::load(files, at::kCPU, at::kFloat);
  at::Tensor got = test::run_full(*model, case_.at("input_ids").get<std::vector<int64_t> >());
  at::Tensor want = to_tensor(case_.at("logits"));
  ASSERT_EQ(got.sizes(), want.sizes());
  const double scale = want.abs().max().item<double>();
  EXPECT_LT((got - want).abs().max().item<double>(), 1e-4 * scale) << "logit scale " << scale;
#endif
}

INSTANTIATE_TEST_SUITE_P(TinyRandom, HfParity, ::testing::Values("tiny_llama3_tied", "tiny_llama3_untied"));

// SmolLM2-135M-Instruct (Q4_1 GGUF, dequantized to fp32 by both sides): argmax at every prompt position
// and the top logits of the last one.
TEST(HfParitySmolLM2, ArgmaxAndTopLogitsMatchTransformers) {
  const fs::path gguf = fs::path(LQ_SOURCE_DIR) / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf";
  if (!fs::exists(gguf)) GTEST_SKIP() << "no " << gguf << ": run scripts/fetch-models.sh";
  if (!fs::exists(kFixtures / "hf_logits.json"))
    GTEST_SKIP() << "no tests/fixtures/model/hf_logits.json yet: run scripts/gpu/engine_parity.sh";
#ifndef LQ_HAVE_MODEL_FILES
  GTEST_SKIP() << "model/model_files.h (open_model_files) is not there yet";
#else
  const json case_ = read_fixture().at("smollm2");
  auto model = LlamaModel::load(open_model_files(gguf), at::kCPU, at::kFloat);
  at::Tensor logits = test::run_full(*model, case_.at("input_ids").get<std::vector<int64_t> >());
  const auto argmax = case_.at("argmax").get<std::vector<int64_t> >();
  at::Tensor got = logits.argmax(-1);
  int64_t same = 0;
  for (size_t t = 0; t < argmax.size(); ++t)
    same += got[static_cast<int64_t>(t)].item<int64_t>() == argmax[t];
  EXPECT_GE(double(same), 0.99 * double(argmax.size()));
  at::Tensor last = logits[-1];
  const double scale = last.abs().max().item<double>();
  const auto top_ids = case_.at("top_ids").get<std::vector<int64_t> >();
  const auto top_logits = case_.at("top_logits").get<std::vector<float> >();
  for (size_t i = 0; i < top_ids.size(); ++i)
    EXPECT_NEAR(last[top_ids[i]].item<float>(), top_logits[i], 1e-3 * scale) << "token " << top_ids[i];
#endif
}

}  // namespace
}  // namespace lq
