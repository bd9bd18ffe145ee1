// Each kind of configuration error, with its file:line:column, and all of them reported at once.
#include "config_test_util.h"
#include "plugin/plugin_registry.h"

namespace lq::testing {
namespace {

const std::filesystem::path kPlugins = LQ_TEST_PLUGIN_DIR;

using ConfigErrors = ConfigTest;

TEST_F(ConfigErrors, UnknownKeyWithSuggestion) {
  auto file = write("e.yaml", std::string(kMinimal) + "devcie: cpu\nbenchmark:\n  warmpu: 2\n");
  Diagnostics diag;
  EXPECT_TRUE(load_experiments(file, {}, diag).empty());
  EXPECT_TRUE(HasError(diag, at("e.yaml", 8, 1) + "unknown key 'devcie' (did you mean 'device'?)"));
  EXPECT_TRUE(
      HasError(diag, at("e.yaml", 10, 3) + "unknown key 'warmpu' in 'benchmark' (did you mean 'warmup'?)"));
}

TEST_F(ConfigErrors, WrongTypes) {
  auto file = write("e.yaml", std::string(kMinimal) +
                                  "seed: abc\n"
                                  "benchmark:\n"
                                  "  batch_sizes: [1, two]\n"
                                  "  enabled: \"yes\"\n"
                                  "tasks: {name: coqa}\n"
                                  "device: gpu\n");
  Diagnostics diag;
  EXPECT_TRUE(load_experiments(file, {}, diag).empty());
  EXPECT_TRUE(
      HasError(diag, at("e.yaml", 8, 7) + "'seed' must be a non-negative integer, got a string ('abc')"));
  EXPECT_TRUE(HasError(diag, at("e.yaml", 10, 20) + "'benchmark.batch_sizes.1' must be an integer >= 1"));
  EXPECT_TRUE(
      HasError(diag, at("e.yaml", 11, 12) + "'benchmark.enabled' must be true or false, got a string"));
  EXPECT_TRUE(HasError(diag, at("e.yaml", 12, 8) + "'tasks' must be a list of tasks, got a mapping"));
  EXPECT_TRUE(HasError(diag, at("e.yaml", 13, 9) + "device must be cpu, cuda, cuda:N or auto, got 'gpu'"));
}

TEST_F(ConfigErrors, MissingRequiredKeys) {
  auto file = write("e.yaml", "name: x\nmodel:\n  random_weights: {seed: 1}\ntasks:\n  - limit: 3\n");
  Diagnostics diag;
  EXPECT_TRUE(load_experiments(file, {}, diag).empty());
  EXPECT_TRUE(HasError(diag, at("e.yaml", 1, 1) + "missing required key 'quantization'"));
  EXPECT_TRUE(HasError(diag, at("e.yaml", 3, 3) + "missing required key 'model.path'"));
  EXPECT_TRUE(HasError(diag, at("e.yaml", 5, 5) + "missing required key 'tasks.0.name'"));
}

TEST_F(ConfigErrors, YamlSyntaxErrorHasItsLocation) {
  auto file = write("e.yaml", "name: x\nmodel: {path: a.gguf\nseed: 1\n");
  Diagnostics diag;
  EXPECT_TRUE(load_experiments(file, {}, diag).empty());
  ASSERT_EQ(diag.items().size(), 1u) << diag.str();
  EXPECT_EQ(diag.items()[0].where.file, (dir_ / "e.yaml").generic_string());
  EXPECT_GE(diag.items()[0].where.line, 2);
  EXPECT_TRUE(HasError(diag, "YAML syntax error"));
}

TEST_F(ConfigErrors, DuplicateKey) {
  auto file = write("e.yaml", std::string(kMinimal) + "seed: 1\nseed: 2\n");
  Diagnostics diag;
  EXPECT_TRUE(load_experiments(file, {}, diag).empty());
  EXPECT_TRUE(HasError(diag, at("e.yaml", 9, 1) + "duplicate key 'seed' (first written at line 8)"));
}

TEST_F(ConfigErrors, MissingFileAndNonMapping) {
  Diagnostics diag;
  EXPECT_TRUE(load_experiments(dir_ / "absent.yaml", {}, diag).empty());
  EXPECT_TRUE(HasError(diag, "absent.yaml: no such file"));
  Diagnostics list;
  EXPECT_TRUE(load_experiments(write("l.yaml", "- a\n- b\n"), {}, list).empty());
  EXPECT_TRUE(
      HasError(list, at("l.yaml", 1, 1) + "expected a mapping of keys at the top of the file, got a list"));
  Diagnostics empty;
  EXPECT_TRUE(load_experiments(write("empty.yaml", "# nothing\n"), {}, empty).empty());
  EXPECT_TRUE(HasError(empty, "the file is empty"));
}

TEST_F(ConfigErrors, BaseCycle) {
  write("a.yaml", "base: b.yaml\nname: a\n");
  write("b.yaml", "base: sub/c.yaml\n");
  write("sub/c.yaml", "base: ../a.yaml\n");
  Diagnostics diag;
  EXPECT_TRUE(load_experiments(dir_ / "a.yaml", {}, diag).empty());
  EXPECT_TRUE(HasError(diag, at("sub/c.yaml", 1, 7) + "base cycle: a.yaml -> b.yaml -> c.yaml -> a.yaml"));
  Diagnostics self;
  EXPECT_TRUE(load_experiments(write("s.yaml", "base: s.yaml\n"), {}, self).empty());
  EXPECT_TRUE(HasError(self, "base cycle: s.yaml -> s.yaml"));
}

TEST_F(ConfigErrors, MissingBase) {
  Diagnostics diag;
  EXPECT_TRUE(load_experiments(write("e.yaml", "base: nowhere.yaml\n"), {}, diag).empty());
  EXPECT_TRUE(HasError(diag, at("e.yaml", 1, 7) + "base file 'nowhere.yaml' not found"));
}

TEST_F(ConfigErrors, BadSetOverrides) {
  auto file = write("e.yaml", std::string(kMinimal) + "tasks: [{name: t}]\n");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"seed", "--set: 'seed': expected KEY=VALUE"},
      {"=3", "--set: '=3': expected KEY=VALUE"},
      {"model..path=x", "--set: 'model..path' is not a dotted key"},
      {"seed=[1, 2", "--set: 'seed=[1, 2': YAML syntax error"},
      {"name.first=a", "--set: 'name.first': 'name' is a string ('minimal'), not a mapping"},
      {"tasks.3.limit=1", "--set: 'tasks.3.limit': 'tasks' is a list of 1 elements"},
      {"seed=-1", "--set: 'seed' must be a non-negative integer, got an integer (-1)"},
      {"benchmark.warmup_s=-0.5",
       "--set: 'benchmark.warmup_s' must be a non-negative number, got a number (-0.5)"},
  };
  for (const auto& [set, expected] : cases) {
    Diagnostics diag;
    EXPECT_TRUE(load_experiments(file, {set}, diag).empty()) << set;
    EXPECT_TRUE(HasError(diag, expected)) << set;
  }
}

TEST_F(ConfigErrors, UnknownPluginWithSuggestion) {
  PluginRegistry registry;
  registry.scan(kPlugins / "good");
  auto file = write("e.yaml",
                    "name: x\nmodel: {path: m.gguf}\nquantization:\n  backend: ehco\n"
                    "tasks:\n  - name: echo_tsak\n  - name: echo\n");
  Diagnostics diag;
  auto experiments = load_experiments(file, {}, diag);
  ASSERT_TRUE(diag.ok()) << diag.str();
  validate_plugins(experiments, registry, diag);
  EXPECT_TRUE(HasError(diag, at("e.yaml", 4, 12) + "unknown backend plugin 'ehco' (did you mean 'echo'?)"));
  EXPECT_TRUE(
      HasError(diag, at("e.yaml", 6, 11) + "unknown task plugin 'echo_tsak' (did you mean 'echo_task'?)"));
  EXPECT_TRUE(
      HasError(diag, at("e.yaml", 7, 11) + "unknown task plugin 'echo' ('echo' is a backend plugin)"));
}

TEST_F(ConfigErrors, PluginParamErrorAtItsLine) {
  PluginRegistry registry;
  registry.scan(kPlugins / "good");
  auto file = write("e.yaml",
                    "name: x\nmodel: {path: m.gguf}\nquantization:\n  backend: echo\n  params:\n"
                    "    factor: big\n    factr: 2\n"
                    "tasks:\n  - name: echo_task\n    params: {extra: 1}\n");
  Diagnostics diag;
  auto experiments = load_experiments(file, {}, diag);
  ASSERT_TRUE(diag.ok()) << diag.str();
  validate_plugins(experiments, registry, diag);
  EXPECT_TRUE(HasError(diag, at("e.yaml", 6, 13) + "'factor' must be a number, got a string ('big')"));
  EXPECT_TRUE(HasError(diag, at("e.yaml", 7, 12) + "unknown parameter 'factr' (did you mean 'factor'?)"));
  EXPECT_TRUE(HasError(diag, at("e.yaml", 10, 21) + "unknown parameter 'extra'"));
}

TEST_F(ConfigErrors, RealFp16PluginChecksItsParams) {
  PluginRegistry registry;
  registry.scan(LQ_PLUGIN_DIR);
  ASSERT_NE(registry.find("fp16"), nullptr) << "fp16 plugin not built in " LQ_PLUGIN_DIR;
  auto file = write(
      "e.yaml", "name: x\nmodel: {path: m.gguf}\nquantization: {backend: fp16, params: {dtype: float61}}\n");
  Diagnostics diag;
  auto experiments = load_experiments(file, {}, diag);
  validate_plugins(experiments, registry, diag);
  EXPECT_TRUE(HasError(diag, at("e.yaml", 3, 47) + "'dtype' must be one of"));
  EXPECT_TRUE(HasError(diag, "(did you mean 'float16'?)"));
}

TEST_F(ConfigErrors, AllErrorsAtOnce) {
  auto file = write("e.yaml",
                    "name: bad name\n"
                    "model: {path: m/config.json}\n"
                    "dtype: fp16\n"
                    "quantization: {backend: echo, params: [1]}\n"
                    "tasks:\n  - {name: t, limit: 0, limit_seed: 3}\n"
                    "timeout_s: -5\n"
                    "plugin_paths: [1]\n");
  Diagnostics diag;
  EXPECT_TRUE(load_experiments(file, {}, diag).empty());
  EXPECT_TRUE(HasError(diag, at("e.yaml", 1, 7) + "experiment name 'bad name' may only use"));
  EXPECT_TRUE(HasError(diag, at("e.yaml", 2, 15) + "a config.json alone has no weights"));
  EXPECT_TRUE(HasError(
      diag, at("e.yaml", 3, 8) + "dtype must be one of auto, float16, bfloat16, float32, got 'fp16'"));
  EXPECT_TRUE(HasError(diag, at("e.yaml", 4, 39) + "'quantization.params' must be a mapping, got a list"));
  EXPECT_TRUE(
      HasError(diag, at("e.yaml", 6, 22) + "'tasks.0.limit' must be an integer >= 1, got an integer (0)"));
  EXPECT_TRUE(HasError(diag, at("e.yaml", 7, 12) + "'timeout_s' must be a positive number"));
  EXPECT_TRUE(HasError(diag, at("e.yaml", 8, 16) + "'plugin_paths.0' must be a string"));
  EXPECT_EQ(diag.items().size(), 7u) << diag.str();
}

TEST_F(ConfigErrors, NothingToDo) {
  Diagnostics diag;
  auto file = write("e.yaml", std::string(kMinimal) + "benchmark: {enabled: false}\n");
  EXPECT_TRUE(load_experiments(file, {}, diag).empty());
  EXPECT_TRUE(HasError(diag, "has nothing to do"));
}

}  // namespace
}  // namespace lq::testing
