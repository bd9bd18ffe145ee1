// The CoQA plugin driving the real engine: SmolLM2-135M-Instruct (models/, fetched by
// scripts/fetch-models.sh) on the CPU over the first stories of the bundled sample. Skipped without the file.
#include <gtest/gtest.h>

#include <filesystem>

#include "generation/llama_generator.h"
#include "model/model_files.h"
#include "plugin/plugin_registry.h"

namespace lq::coqa {
namespace {

TEST(CoqaSmolLM2, LastTurnOnTheSampleGivesSensibleNonZeroF1) {
  const auto gguf = std::filesystem::path(LQ_SOURCE_DIR) / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf";
  if (!std::filesystem::exists(gguf)) GTEST_SKIP() << "no " << gguf << ": run scripts/fetch-models.sh";
  PluginRegistry registry;
  registry.load(std::filesystem::path(LQ_PLUGIN_DIR) / "lq_plugin_coqa.so");
  std::shared_ptr<EvalTask> task = registry.create_task("coqa");
  Diagnostics diag;
  task->configure(
      Params(json{{"variant", "coqa_last_turn"}, {"max_new_tokens", 24}}, "", std::make_shared<SourceMap>()),
      diag);
  ASSERT_TRUE(diag.ok()) << diag.str();

  ModelFiles files = open_model_files(gguf);
  LlamaGenerator generator(LlamaModel::load(files, at::kCPU, at::kFloat), files.tokenizer);
  TaskContext ctx;
  ctx.limit = 4;
  const TaskResult r = task->evaluate(generator, ctx);

  ASSERT_EQ(r.samples.size(), 4u);
  const double f1 = r.metrics.at("f1").get<double>();
  EXPECT_GT(f1, 0.0) << r.metrics.dump();
  EXPECT_LE(f1, 1.0);
  for (const auto& s : r.samples) {
    // Predictions are the first line of the continuation, cut at the "\nQ:" stop.
    const std::string p = s.at("prediction").get<std::string>();
    EXPECT_EQ(p.find('\n'), std::string::npos) << p;
    EXPECT_FALSE(p.empty()) << s.dump();
  }
}

}  // namespace
}  // namespace lq::coqa
