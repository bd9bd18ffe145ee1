// model.tokenizer and the generation block: defaults, parsing, the resolved record, errors at file:line.
#include "config/experiment_builder.h"
#include "config_test_util.h"
#include "llama_quant/sha256.h"

namespace lq::testing {
namespace {

using ConfigGeneration = ConfigTest;

constexpr const char* kQuantization = "quantization:\n  backend: echo\n";

TEST_F(ConfigGeneration, DefaultsWhenAbsent) {
  auto file = write("e.yaml", kMinimal);
  Diagnostics diag;
  auto experiments = load_experiments(file, {}, diag);
  ASSERT_TRUE(diag.ok()) << diag.str();
  const Experiment& e = experiments.at(0);
  EXPECT_FALSE(e.model.tokenizer);
  EXPECT_EQ(e.generation.max_batch, 8);
  EXPECT_TRUE(e.generation.prefix_reuse);
  EXPECT_TRUE(e.generation.cuda_graphs);
  EXPECT_TRUE(e.generation.fused_kernels);
  EXPECT_TRUE(e.resolved.at("model").at("tokenizer").is_null());
  EXPECT_EQ(e.generation.prefix_cache_mb, 512);
  EXPECT_EQ(e.resolved.at("generation"), json({{"max_batch", 8},
                                               {"prefix_reuse", true},
                                               {"prefix_cache_mb", 512},
                                               {"cuda_graphs", true},
                                               {"fused_kernels", true}}));
}

TEST_F(ConfigGeneration, ParsesAndRecordsBoth) {
  write("tok/llama3/tokenizer.json", "{}");
  auto file = write(
      "sub/e.yaml",
      std::string(
          "name: timing\n"
          "model:\n"
          "  path: ../cfg/config.json\n"
          "  random_weights: {seed: 0}\n"
          "  tokenizer: ../tok/llama3/tokenizer.json\n"
          "generation: {max_batch: 32, prefix_reuse: false, prefix_cache_mb: 4096, cuda_graphs: false,\n"
          "             fused_kernels: false}\n") +
          kQuantization);
  Diagnostics diag;
  auto experiments = load_experiments(file, {}, diag);
  ASSERT_TRUE(diag.ok()) << diag.str();
  const Experiment& e = experiments.at(0);
  // Relative to the file that wrote it, like model.path.
  const auto expected = (dir_ / "tok" / "llama3" / "tokenizer.json").lexically_normal();
  ASSERT_TRUE(e.model.tokenizer);
  EXPECT_EQ(*e.model.tokenizer, expected);
  EXPECT_EQ(e.generation.max_batch, 32);
  EXPECT_FALSE(e.generation.prefix_reuse);
  EXPECT_FALSE(e.generation.cuda_graphs);
  EXPECT_FALSE(e.generation.fused_kernels);
  EXPECT_EQ(e.resolved.at("model").at("tokenizer"), expected.generic_string());
  EXPECT_EQ(e.generation.prefix_cache_mb, 4096);
  EXPECT_EQ(e.resolved.at("generation"), json({{"max_batch", 32},
                                               {"prefix_reuse", false},
                                               {"prefix_cache_mb", 4096},
                                               {"cuda_graphs", false},
                                               {"fused_kernels", false}}));
  EXPECT_EQ(e.config_hash, sha256_hex(canonical_dump(e.resolved)));
}

TEST_F(ConfigGeneration, PartialBlockKeepsOtherDefaultsAndOverridesApply) {
  auto file = write("e.yaml", std::string(kMinimal) + "generation:\n  max_batch: 1\n");
  Diagnostics diag;
  auto base = load_experiments(file, {}, diag);
  auto changed = load_experiments(file, {"generation.prefix_reuse=false", "generation.max_batch=4"}, diag);
  ASSERT_TRUE(diag.ok()) << diag.str();
  EXPECT_EQ(base.at(0).generation.max_batch, 1);
  EXPECT_TRUE(base.at(0).generation.prefix_reuse);
  EXPECT_TRUE(base.at(0).generation.cuda_graphs);
  EXPECT_EQ(changed.at(0).generation.max_batch, 4);
  EXPECT_FALSE(changed.at(0).generation.prefix_reuse);
  EXPECT_NE(base.at(0).config_hash, changed.at(0).config_hash);
}

TEST_F(ConfigGeneration, SweepVariantsDiffer) {
  auto file = write("s.yaml", std::string(kMinimal) +
                                  "sweep:\n"
                                  "  variants:\n"
                                  "    - name: reuse-b32\n"
                                  "      set: {generation.max_batch: 32}\n"
                                  "    - name: noreuse-b1\n"
                                  "      set: {generation.max_batch: 1, generation.prefix_reuse: false}\n");
  Diagnostics diag;
  auto experiments = load_experiments(file, {}, diag);
  ASSERT_TRUE(diag.ok()) << diag.str();
  ASSERT_EQ(experiments.size(), 2u);
  EXPECT_EQ(experiments[0].generation.max_batch, 32);
  EXPECT_TRUE(experiments[0].generation.prefix_reuse);
  EXPECT_EQ(experiments[1].generation.max_batch, 1);
  EXPECT_FALSE(experiments[1].generation.prefix_reuse);
}

TEST_F(ConfigGeneration, ErrorsAtTheirLines) {
  auto file = write("e.yaml", std::string("name: x\n"
                                          "model:\n"
                                          "  path: m.gguf\n"
                                          "  tokenizer: missing/tokenizer.json\n"
                                          "generation:\n"
                                          "  max_batch: 0\n"
                                          "  prefix_reuse: \"yes\"\n"
                                          "  cuda_graph: true\n"
                                          "  prefix_cache_mb: 0\n") +
                                  kQuantization);
  Diagnostics diag;
  EXPECT_TRUE(load_experiments(file, {}, diag).empty());
  EXPECT_TRUE(HasError(diag, at("e.yaml", 4, 14) +
                                 "model.tokenizer 'missing/tokenizer.json' not found (looked for " +
                                 (dir_ / "missing" / "tokenizer.json").generic_string()));
  EXPECT_TRUE(HasError(
      diag, at("e.yaml", 6, 14) + "'generation.max_batch' must be an integer >= 1, got an integer (0)"));
  EXPECT_TRUE(
      HasError(diag, at("e.yaml", 7, 17) + "'generation.prefix_reuse' must be true or false, got a string"));
  EXPECT_TRUE(HasError(
      diag, at("e.yaml", 8, 3) + "unknown key 'cuda_graph' in 'generation' (did you mean 'cuda_graphs'?)"));
  EXPECT_TRUE(HasError(diag, at("e.yaml", 9, 20) +
                                 "'generation.prefix_cache_mb' must be an integer >= 1, got an integer (0)"));
}

TEST_F(ConfigGeneration, WrongShapes) {
  auto file = write("e.yaml", std::string("name: x\n"
                                          "model:\n"
                                          "  path: m.gguf\n"
                                          "  tokenizer: [a, b]\n"
                                          "generation: 32\n"
                                          "generatoin: {}\n") +
                                  kQuantization);
  Diagnostics diag;
  EXPECT_TRUE(load_experiments(file, {}, diag).empty());
  EXPECT_TRUE(HasError(diag, at("e.yaml", 4, 14) + "'model.tokenizer' must be a string, got a list"));
  EXPECT_TRUE(HasError(diag, at("e.yaml", 5, 13) + "'generation' must be a mapping, got"));
  EXPECT_TRUE(HasError(diag, at("e.yaml", 6, 1) + "unknown key 'generatoin' (did you mean 'generation'?)"));
}

}  // namespace
}  // namespace lq::testing
