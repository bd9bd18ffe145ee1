// SmolLM2-135M-Instruct (models/, fetched by scripts/fetch-models.sh) answers a simple question on the
// CPU, and a CoQA-style prompt stops at "\nQ:". Skipped when the model file is absent.
#include <gtest/gtest.h>

#include <filesystem>

#include "generation/llama_generator.h"

#if __has_include("model/model_files.h")
#include "model/model_files.h"
#define LQ_HAVE_MODEL_FILES 1
#endif

namespace lq {
namespace {

TEST(SmolLM2, AnswersASimpleQuestion) {
  const auto gguf = std::filesystem::path(LQ_SOURCE_DIR) / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf";
  if (!std::filesystem::exists(gguf)) GTEST_SKIP() << "no " << gguf << ": run scripts/fetch-models.sh";
#ifndef LQ_HAVE_MODEL_FILES
  GTEST_SKIP() << "model/model_files.h (open_model_files) is not there yet";
#else
  ModelFiles files = open_model_files(gguf);
  ASSERT_TRUE(files.tokenizer);
  LlamaGenerator gen(LlamaModel::load(files, at::kCPU, at::kFloat), files.tokenizer);
  GenerationOptions o;
  o.max_new_tokens = 12;
  o.add_special = false;  // the chat template carries its own markers
  const std::string chat =
      "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n";
  Generation g = gen.generate({chat}, o)[0];
  EXPECT_NE(g.text.find("Paris"), std::string::npos) << g.text;

  o.stop = {"\nQ:"};
  o.max_new_tokens = 24;
  const std::string coqa =
      "The cat sat on the red mat in the kitchen. It was a sunny day.\n\n"
      "Q: Where did the cat sit?\nA: on the mat\n\nQ: What color was the mat?\nA:";
  g = gen.generate({coqa}, o)[0];
  EXPECT_EQ(g.text.find("\nQ:"), std::string::npos) << g.raw_text;
  if (g.finish_reason == "stop") {
    EXPECT_NE(g.raw_text.find("\nQ:"), std::string::npos);
  }
#endif
}

}  // namespace
}  // namespace lq
