// Every file shipped in configs/ loads; the plugin checks run for the plugins this build has.
#include <gtest/gtest.h>

#include "config/composition.h"
#include "config/config_loader.h"
#include "plugin/plugin_registry.h"

namespace lq {
namespace {

namespace fs = std::filesystem;
const fs::path kConfigs = LQ_CONFIGS_DIR;

std::vector<fs::path> yaml_files(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    if (entry.path().extension() == ".yaml") out.push_back(entry.path());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(ConfigsDir, EveryExperimentAndSweepLoads) {
  PluginRegistry registry;
  registry.scan(LQ_PLUGIN_DIR);
  size_t checked = 0;
  for (const auto& file : yaml_files(kConfigs)) {
    Diagnostics diag;
    // base/ holds partial experiments, meant to be completed by the files that name them.
    if (file.parent_path().filename() == "base") {
      EXPECT_TRUE(load_composed(file, diag)) << diag.str();
      continue;
    }
    auto experiments = load_experiments(file, {}, diag);
    EXPECT_TRUE(diag.ok()) << diag.str();
    EXPECT_FALSE(experiments.empty()) << file;
    std::vector<Experiment> runnable;  // those whose plugins are all built
    for (const auto& e : experiments) {
      bool built = registry.find(e.quantization.backend) != nullptr;
      for (const auto& t : e.tasks) built = built && registry.find(t.name);
      if (built) runnable.push_back(e);
    }
    validate_plugins(runnable, registry, diag);
    EXPECT_TRUE(diag.ok()) << diag.str();
    ++checked;
  }
  EXPECT_GE(checked, 6u);
}

TEST(ConfigsDir, DefaultComparisonIsTheThreeExperiments) {
  Diagnostics diag;
  auto experiments = load_experiments(kConfigs / "default_comparison.yaml", {}, diag);
  ASSERT_TRUE(diag.ok()) << diag.str();
  ASSERT_EQ(experiments.size(), 3u);
  EXPECT_EQ(experiments[0].name, "fp16_baseline");
  EXPECT_EQ(experiments[0].quantization.backend, "fp16");
  EXPECT_EQ(experiments[1].name, "bnb_4bit_nf4");
  EXPECT_EQ(experiments[2].name, "bnb_4bit_fp4");
  for (size_t i = 1; i < 3; ++i) {
    const json& p = experiments[i].quantization.params.json_value();
    EXPECT_EQ(experiments[i].quantization.backend, "bnb4");
    EXPECT_EQ(p.at("quant_type"), i == 1 ? "nf4" : "fp4");
    EXPECT_EQ(p.at("blocksize"), 64);
    EXPECT_EQ(p.at("double_quant"), false);
  }
  for (const auto& e : experiments) {
    EXPECT_EQ(e.model.path, (kConfigs / "../models/SmolLM2-135M-Instruct.Q4_1.gguf").lexically_normal());
    ASSERT_EQ(e.tasks.size(), 1u);
    EXPECT_EQ(e.tasks[0].name, "coqa");
    EXPECT_EQ(e.tasks[0].params.json_value().at("variant"), "coqa_last_turn");
    EXPECT_TRUE(e.tasks[0].limit);
  }
}

TEST(ConfigsDir, BlocksizeSweepHasTwelveExperiments) {
  Diagnostics diag;
  auto experiments = load_experiments(kConfigs / "sweeps/nf4_fp4_blocksize_dq.yaml", {}, diag);
  ASSERT_TRUE(diag.ok()) << diag.str();
  ASSERT_EQ(experiments.size(), 12u);
  EXPECT_EQ(experiments.front().name, "bnb4-nf4-bs64-dqfalse");
  EXPECT_EQ(experiments.back().name, "bnb4-fp4-bs256-dqtrue");
}

TEST(ConfigsDir, ShapeBenchUsesRandomWeightsAndNoTasks) {
  Diagnostics diag;
  auto experiments = load_experiments(kConfigs / "llama32_1b_shape_bench.yaml", {}, diag);
  ASSERT_TRUE(diag.ok()) << diag.str();
  ASSERT_FALSE(experiments.empty());
  for (const auto& e : experiments) {
    EXPECT_EQ(e.model.path, kConfigs / "models/llama-3.2-1b/config.json");
    EXPECT_TRUE(e.model.random_seed);
    EXPECT_TRUE(e.tasks.empty());
    EXPECT_TRUE(e.benchmark.enabled);
  }
}

}  // namespace
}  // namespace lq
