// Base files, --set overrides, locations through both, path resolution, defaults and hashes.
#include "config/experiment_builder.h"
#include "config_test_util.h"
#include "plugin/plugin_registry.h"
#include "llama_quant/sha256.h"

namespace lq::testing {
namespace {

using ConfigCompose = ConfigTest;

TEST_F(ConfigCompose, DefaultsAndResolvedConfiguration) {
  Diagnostics diag;
  auto experiments = load_experiments(write("e.yaml", kMinimal), {}, diag);
  ASSERT_TRUE(diag.ok()) << diag.str();
  ASSERT_EQ(experiments.size(), 1u);
  const Experiment& e = experiments[0];
  EXPECT_EQ(e.name, "minimal");
  EXPECT_EQ(e.device, "auto");
  EXPECT_EQ(e.dtype, "auto");
  EXPECT_EQ(e.model.path, dir_ / "model.gguf");
  EXPECT_FALSE(e.model.random_seed);
  EXPECT_EQ(e.quantization.backend, "echo");
  EXPECT_DOUBLE_EQ(e.quantization.params.json_value().at("factor").get<double>(), 3.0);
  EXPECT_TRUE(e.tasks.empty());
  EXPECT_TRUE(e.benchmark.enabled);
  EXPECT_EQ(e.source_file, dir_ / "e.yaml");
  EXPECT_EQ(e.resolved.at("benchmark").at("batch_sizes"), json({1, 8, 32}));
  EXPECT_EQ(e.resolved.at("dtype"), "auto");
  EXPECT_TRUE(e.resolved.at("timeout_s").is_null());
  EXPECT_EQ(e.config_hash.size(), 64u);
  EXPECT_EQ(e.config_hash, sha256_hex(canonical_dump(e.resolved)));
}

TEST_F(ConfigCompose, ExperimentWithoutNameIsNamedAfterItsFile) {
  std::string text = kMinimal;
  text.erase(0, text.find('\n') + 1);
  Diagnostics diag;
  auto experiments = load_experiments(write("my_run.yaml", text), {}, diag);
  ASSERT_TRUE(diag.ok()) << diag.str();
  EXPECT_EQ(experiments.at(0).name, "my_run");
}

TEST_F(ConfigCompose, BaseChainMergesMappingsAndReplacesLists) {
  write("shared/root.yaml",
        "model: {path: ../weights/m.gguf}\n"
        "device: cpu\n"
        "quantization:\n  backend: echo\n  params:\n    factor: 5.0\n"
        "tasks:\n  - name: a\n  - name: b\n"
        "benchmark: {batch_sizes: [1, 2], new_tokens: 16}\n"
        "plugin_paths: [../plugins]\n");
  write("shared/mid.yaml", "base: root.yaml\nseed: 7\nbenchmark: {new_tokens: 8}\n");
  auto file = write("top.yaml",
                    "base: shared/mid.yaml\nname: top\ntasks:\n  - name: c\n    limit: 4\n"
                    "quantization: {params: {factor: 9.0}}\n");
  Diagnostics diag;
  auto experiments = load_experiments(file, {}, diag);
  ASSERT_TRUE(diag.ok()) << diag.str();
  const Experiment& e = experiments.at(0);
  EXPECT_EQ(e.name, "top");
  EXPECT_EQ(e.device, "cpu");
  EXPECT_EQ(e.seed, 7u);
  EXPECT_EQ(e.quantization.backend, "echo");
  EXPECT_DOUBLE_EQ(e.quantization.params.json_value().at("factor").get<double>(), 9.0);
  ASSERT_EQ(e.tasks.size(), 1u);  // lists are replaced, not appended
  EXPECT_EQ(e.tasks[0].name, "c");
  EXPECT_EQ(e.tasks[0].limit, 4);
  EXPECT_EQ(e.benchmark.new_tokens, 8);
  EXPECT_EQ(e.benchmark.batch_sizes, (std::vector<int64_t>{1, 2}));
  // Relative paths follow the file that wrote them.
  EXPECT_EQ(e.model.path, dir_ / "weights/m.gguf");
  ASSERT_EQ(e.plugin_paths.size(), 1u);
  EXPECT_EQ(e.plugin_paths[0], dir_ / "plugins");
  // Locations: inherited values point into the base file, overridden ones into the top file.
  EXPECT_EQ(source_of(e, "/quantization/backend").str(), where("shared/root.yaml", 4, 12));
  EXPECT_EQ(e.quantization.params.location("factor").str(), where("top.yaml", 6, 33));
  EXPECT_EQ(source_of(e, "/benchmark/batch_sizes").str(), where("shared/root.yaml", 10, 26));
  EXPECT_EQ(source_of(e, "/benchmark/new_tokens").str(), where("shared/mid.yaml", 3, 25));
}

TEST_F(ConfigCompose, PluginErrorInBaseFileIsReportedThere) {
  write("base.yaml", "model: {path: m.gguf}\nquantization:\n  backend: echo\n  params:\n    factor: big\n");
  auto file = write("top.yaml", "base: base.yaml\nname: top\n");
  PluginRegistry registry;
  registry.scan(std::filesystem::path(LQ_TEST_PLUGIN_DIR) / "good");
  Diagnostics diag;
  auto experiments = load_experiments(file, {}, diag);
  ASSERT_TRUE(diag.ok()) << diag.str();
  validate_plugins(experiments, registry, diag);
  EXPECT_TRUE(HasError(diag, at("base.yaml", 5, 13) + "'factor' must be a number"));
}

TEST_F(ConfigCompose, SetOverridesAreTypedAndLocated) {
  auto file = write("e.yaml", std::string(kMinimal) + "tasks:\n  - name: t\n    params: {variant: a}\n");
  Diagnostics diag;
  auto experiments =
      load_experiments(file,
                       {"quantization.params.factor=4.5", "quantization.params.mode=fast", "tasks.0.limit=12",
                        "benchmark.batch_sizes=[2, 4]", "model.path=other.gguf", "description=two words",
                        "model.random_weights={seed: 3}", "model.path=cfg/config.json"},
                       diag);
  ASSERT_TRUE(diag.ok()) << diag.str();
  const Experiment& e = experiments.at(0);
  EXPECT_DOUBLE_EQ(e.quantization.params.json_value().at("factor").get<double>(), 4.5);
  EXPECT_EQ(e.quantization.params.json_value().at("mode"), "fast");
  EXPECT_EQ(e.quantization.params.location("factor").str(), "--set");
  EXPECT_EQ(e.quantization.params.location("mode").str(), "--set");
  EXPECT_EQ(e.tasks.at(0).limit, 12);
  EXPECT_EQ(e.tasks.at(0).params.location("variant").str(), where("e.yaml", 10, 23));
  EXPECT_EQ(e.benchmark.batch_sizes, (std::vector<int64_t>{2, 4}));
  EXPECT_EQ(e.description, "two words");
  EXPECT_EQ(e.model.random_seed, 3u);
  // A path given with --set is relative to the working directory; the last --set wins.
  EXPECT_EQ(e.model.path, std::filesystem::absolute("cfg/config.json").lexically_normal());
}

TEST_F(ConfigCompose, SetReachesPluginParamsWithLocation) {
  PluginRegistry registry;
  registry.scan(std::filesystem::path(LQ_TEST_PLUGIN_DIR) / "good");
  Diagnostics diag;
  auto experiments = load_experiments(write("e.yaml", kMinimal), {"quantization.params.factor=lots"}, diag);
  validate_plugins(experiments, registry, diag);
  EXPECT_TRUE(HasError(diag, "--set: 'factor' must be a number, got a string ('lots')"));
}

TEST_F(ConfigCompose, HashIsStableAndSensitive) {
  auto a = write("a.yaml", kMinimal);
  // The same configuration written in another order and style.
  auto b = write("b.yaml",
                 "quantization: {params: {factor: 3.0}, backend: echo}\nmodel: {path: \"model.gguf\"}\n"
                 "name: minimal\nbenchmark: {repetitions: 5}\n");
  Diagnostics diag;
  auto ea = load_experiments(a, {}, diag);
  auto ea2 = load_experiments(a, {}, diag);
  auto eb = load_experiments(b, {}, diag);
  auto changed = load_experiments(a, {"quantization.params.factor=3.5"}, diag);
  auto renamed = load_experiments(a, {"name=other"}, diag);
  ASSERT_TRUE(diag.ok()) << diag.str();
  EXPECT_EQ(ea.at(0).config_hash, ea2.at(0).config_hash);
  EXPECT_EQ(ea.at(0).config_hash, eb.at(0).config_hash);
  EXPECT_NE(ea.at(0).config_hash, changed.at(0).config_hash);
  EXPECT_NE(ea.at(0).config_hash, renamed.at(0).config_hash);
}

}  // namespace
}  // namespace lq::testing
