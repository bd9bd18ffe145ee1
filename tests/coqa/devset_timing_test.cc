// configs/coqa_devset_timing.yaml end to end on the CPU, in process: a tiny model with the Llama 3
// vocabulary and the real Llama 3 tokenizer (model.tokenizer) over a synthetic workload, each variant's
// generation block reaching the generator and the record.
#include <gtest/gtest.h>

#include <filesystem>

#include "config/config_loader.h"
#include "coqa_data.h"
#include "runner/experiment_runner.h"
#include "synthesize.h"
#include "test_util.h"

namespace lq::coqa {
namespace {

namespace fs = std::filesystem;

TEST(CoqaDevsetTiming, EveryVariantRunsWithItsGenerationSettings) {
  test::ScratchFile data("synth.json", synthesize_dataset_json(embedded_sample(), 2, 1));
  const fs::path tiny = fs::path(LQ_TEST_DIR) / "coqa" / "data" / "tiny_llama3_vocab" / "config.json";
  Diagnostics diag;
  const auto experiments = load_experiments(fs::path(LQ_SOURCE_DIR) / "configs" / "coqa_devset_timing.yaml",
                                            {"model.path=" + tiny.string(), "device=cpu", "dtype=float32",
                                             "tasks.0.params.data=" + data.path().string(), "tasks.0.limit=1",
                                             "output_dir=" + (data.dir() / "results").string()},
                                            diag);
  ASSERT_TRUE(diag.ok()) << diag.str();
  ASSERT_EQ(experiments.size(), 4u);
  for (const Experiment& e : experiments) {
    SCOPED_TRACE(e.name);
    const ResultRecord r = ExperimentRunner(make_llama_engine).run(e);
    ASSERT_TRUE(r.ok()) << r.error->stage << ": " << r.error->message;
    ASSERT_TRUE(e.model.tokenizer);
    EXPECT_EQ(r.model.at("tokenizer"), e.model.tokenizer->string());
    const json& options = r.model.at("generator");
    EXPECT_EQ(options.at("max_batch"), e.generation.max_batch);
    EXPECT_EQ(options.at("prefix_cache_bytes").get<int64_t>() > 0, e.generation.prefix_reuse);
    EXPECT_EQ(r.config.at("generation").at("prefix_reuse"), e.generation.prefix_reuse);
    EXPECT_GT(r.timings_s.at("evaluate:coqa").get<double>(), 0.0);

    const json& details = r.tasks.at("coqa").at("details");
    EXPECT_EQ(details.at("counts").at("stories_evaluated"), 1);
    const auto prompts = details.at("counts").at("prompts").get<int64_t>();
    EXPECT_GE(prompts, 10);
    const json& tokens = details.at("generation");
    // Real Llama 3 token counts: every prompt holds a whole passage of 170 words or more.
    EXPECT_GT(tokens.at("prompt_tokens").get<int64_t>(), 200 * prompts);
    // Random weights never write the stop: every turn runs to max_new_tokens.
    EXPECT_EQ(tokens.at("new_tokens").get<int64_t>(), 8 * prompts);
    if (e.generation.prefix_reuse)
      EXPECT_GT(tokens.at("reused_prompt_tokens").get<int64_t>(),
                tokens.at("prompt_tokens").get<int64_t>() / 2);
    else
      EXPECT_EQ(tokens.at("reused_prompt_tokens"), 0);
  }
}

TEST(CoqaDevsetTiming, TokenizerLargerThanTheModelsVocabularyIsALoadError) {
  const fs::path small = fs::path(LQ_TEST_DIR) / "runner" / "data" / "tiny_llama" / "config.json";  // 64 ids
  Diagnostics diag;
  const auto experiments =
      load_experiments(fs::path(LQ_SOURCE_DIR) / "configs" / "coqa_devset_timing.yaml",
                       {"model.path=" + small.string(), "device=cpu", "dtype=float32"}, diag);
  ASSERT_TRUE(diag.ok()) << diag.str();
  const ResultRecord r = ExperimentRunner(make_llama_engine).run(experiments.at(0));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->stage, "load");
  EXPECT_NE(r.error->message.find(experiments.at(0).model.tokenizer->string() +
                                  ": the tokenizer has 128256 tokens"),
            std::string::npos)
      << r.error->message;
  EXPECT_NE(r.error->message.find("vocab_size 64"), std::string::npos) << r.error->message;
}

}  // namespace
}  // namespace lq::coqa
