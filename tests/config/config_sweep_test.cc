// Sweeps: axes expanded into their cartesian product, names, explicit variants, errors.
#include <cstring>
#include <set>

#include "config_test_util.h"

namespace lq::testing {
namespace {

using ConfigSweep = ConfigTest;

const char* kBase =
    "name: exp\n"
    "model: {path: m.gguf}\n"
    "quantization:\n  backend: echo\n  params: {factor: 1.0, mode: a}\n";

TEST_F(ConfigSweep, AxesExpandToTheCartesianProductWithTemplateNames) {
  write("base.yaml", kBase);
  auto file = write("sweep.yaml",
                    "base: base.yaml\n"
                    "seed: 5\n"
                    "sweep:\n"
                    "  name_template: \"{name}-{mode}-f{factor}-s{seed}\"\n"
                    "  axes:\n"
                    "    quantization.params.mode: [x, y]\n"
                    "    quantization.params.factor: [0.5, 2, 4.25]\n");
  Diagnostics diag;
  auto experiments = load_experiments(file, {}, diag);
  ASSERT_TRUE(diag.ok()) << diag.str();
  ASSERT_EQ(experiments.size(), 6u);
  const std::vector<std::string> names = {"exp-x-f0.5-s5", "exp-x-f2-s5", "exp-x-f4.25-s5",
                                          "exp-y-f0.5-s5", "exp-y-f2-s5", "exp-y-f4.25-s5"};
  for (size_t i = 0; i < names.size(); ++i) {
    const Experiment& e = experiments[i];
    EXPECT_EQ(e.name, names[i]);
    EXPECT_EQ(e.seed, 5u);
    EXPECT_EQ(e.quantization.params.json_value().at("mode"), i < 3 ? "x" : "y");
    EXPECT_EQ(e.quantization.params.json_value().at("factor"), (json::array({0.5, 2, 4.25})[i % 3]));
    // An axis value is located where the sweep wrote it.
    EXPECT_EQ(e.quantization.params.location("mode").str(), where("sweep.yaml", 6, i < 3 ? 32 : 35));
    EXPECT_EQ(e.source_file, file);
  }
  std::set<std::string> hashes;
  for (const auto& e : experiments) hashes.insert(e.config_hash);
  EXPECT_EQ(hashes.size(), 6u);
}

TEST_F(ConfigSweep, AutomaticNamesAndOverridesAppliedLast) {
  auto file =
      write("s.yaml",
            std::string(kBase) + "sweep:\n  axes:\n    quantization.params.mode: [x, y]\n    seed: [1, 2]\n");
  Diagnostics diag;
  auto experiments = load_experiments(file, {"quantization.params.factor=7"}, diag);
  ASSERT_TRUE(diag.ok()) << diag.str();
  ASSERT_EQ(experiments.size(), 4u);
  EXPECT_EQ(experiments[0].name, "exp-mode_x-seed_1");
  EXPECT_EQ(experiments[3].name, "exp-mode_y-seed_2");
  for (const auto& e : experiments) EXPECT_EQ(e.quantization.params.json_value().at("factor"), 7);
  // Overriding an axis collapses the sweep onto one name: reported, not silently overwritten.
  Diagnostics clash;
  EXPECT_TRUE(load_experiments(file, {"seed=3"}, clash).size() == 2u);
  EXPECT_TRUE(HasError(clash, "two experiments are named 'exp-mode_x-seed_3'"));
}

TEST_F(ConfigSweep, ExplicitVariantsFromFilesAndOverrides) {
  write("exps/one.yaml",
        "name: one\n" + std::string(kBase).substr(strlen("name: exp\n")) + "tasks: [{name: t}]\n");
  write("exps/two.yaml", "base: one.yaml\nname: two\nquantization: {params: {mode: b}}\n");
  auto file = write("cmp.yaml",
                    "base: exps/one.yaml\n"
                    "device: cpu\n"
                    "sweep:\n"
                    "  variants:\n"
                    "    - file: exps/one.yaml\n"
                    "    - file: exps/two.yaml\n"
                    "      set: {seed: 9}\n"
                    "    - name: tweaked\n"
                    "      set: {quantization.params.mode: c, tasks.0.limit: 3}\n");
  Diagnostics diag;
  auto experiments = load_experiments(file, {}, diag);
  ASSERT_TRUE(diag.ok()) << diag.str();
  ASSERT_EQ(experiments.size(), 3u);
  EXPECT_EQ(experiments[0].name, "one");
  EXPECT_EQ(experiments[0].source_file, dir_ / "exps/one.yaml");
  EXPECT_EQ(experiments[1].name, "two");
  EXPECT_EQ(experiments[1].seed, 9u);
  EXPECT_EQ(experiments[1].quantization.params.json_value().at("mode"), "b");
  EXPECT_EQ(experiments[2].name, "tweaked");
  EXPECT_EQ(experiments[2].quantization.params.json_value().at("mode"), "c");
  EXPECT_EQ(experiments[2].tasks.at(0).limit, 3);
  EXPECT_EQ(experiments[2].quantization.params.location("mode").str(), where("cmp.yaml", 9, 39));
  // The sweep file's own keys apply to every variant.
  for (const auto& e : experiments) EXPECT_EQ(e.device, "cpu");
}

TEST_F(ConfigSweep, SweepErrors) {
  auto file = write("s.yaml", std::string(kBase) +
                                  "sweep:\n"
                                  "  name_templat: x\n"
                                  "  axes:\n"
                                  "    quantization.params.mode: x\n");
  Diagnostics diag;
  EXPECT_TRUE(load_experiments(file, {}, diag).empty());
  EXPECT_TRUE(HasError(
      diag, at("s.yaml", 7, 3) + "unknown key 'name_templat' in 'sweep' (did you mean 'name_template'?)"));
  EXPECT_TRUE(
      HasError(diag, at("s.yaml", 9, 31) + "axis 'quantization.params.mode' must be a non-empty list"));

  Diagnostics both;
  EXPECT_TRUE(load_experiments(
                  write("b.yaml", std::string(kBase) + "sweep: {axes: {seed: [1]}, variants: [{name: a}]}\n"),
                  {}, both)
                  .empty());
  EXPECT_TRUE(HasError(both, "a sweep has either 'axes' or 'variants', not both"));

  Diagnostics variants;
  EXPECT_TRUE(load_experiments(write("v.yaml",
                                     "sweep:\n  variants:\n    - {set: {seed: 1}}\n    - file: gone.yaml\n"
                                     "    - {name: a, sett: {}}\n"),
                               {}, variants)
                  .empty());
  EXPECT_TRUE(HasError(variants, at("v.yaml", 3, 7) + "a variant needs a 'name'"));
  EXPECT_TRUE(HasError(variants, at("v.yaml", 4, 13) + "variant file 'gone.yaml' not found"));
  EXPECT_TRUE(
      HasError(variants, at("v.yaml", 5, 17) + "unknown key 'sett' in a variant (did you mean 'set'?)"));

  Diagnostics placeholder;
  EXPECT_TRUE(
      load_experiments(write("p.yaml", std::string(kBase) + "sweep: {name_template: \"{name}-{mod}\", axes: "
                                                            "{quantization.params.mode: [x]}}\n"),
                       {}, placeholder)
          .empty());
  EXPECT_TRUE(HasError(placeholder, "unknown placeholder '{mod}' (did you mean 'mode'?)"));
}

TEST_F(ConfigSweep, ErrorsSharedByVariantsAreReportedOnce) {
  auto file = write("s.yaml", std::string(kBase) + "devcie: cpu\nsweep: {axes: {seed: [1, 2, 3]}}\n");
  Diagnostics diag;
  EXPECT_TRUE(load_experiments(file, {}, diag).empty());
  EXPECT_EQ(diag.items().size(), 1u) << diag.str();
  EXPECT_TRUE(HasError(diag, at("s.yaml", 6, 1) + "unknown key 'devcie'"));
}

}  // namespace
}  // namespace lq::testing
