// The built plugin, loaded the way the CLI loads it: declared task, verbs, a short evaluation.
#include <gtest/gtest.h>

#include <sstream>

#include "fake_generator.h"
#include "plugin/plugin_registry.h"

namespace lq::coqa {
namespace {

class CoqaPlugin : public ::testing::Test {
 protected:
  void SetUp() override {
    registry.load(std::filesystem::path(LQ_PLUGIN_DIR) / "lq_plugin_coqa.so");
    for (const auto& r : registry.rejected()) ADD_FAILURE() << r.file << ": " << r.reason;
  }
  PluginRegistry registry;
};

TEST_F(CoqaPlugin, DeclaresTheTaskAndItsVerbs) {
  const LoadedPlugin* p = registry.find("coqa");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->kind, "task");
  ASSERT_EQ(p->commands.size(), 3u);
  EXPECT_EQ(std::string(p->commands[0].name), "coqa-score");
  EXPECT_EQ(std::string(p->commands[1].name), "coqa-prompts");
  EXPECT_EQ(std::string(p->commands[2].name), "coqa-synthesize");
  EXPECT_EQ(registry.find_command("coqa-prompts"), p);
  EXPECT_EQ(registry.find_command("coqa-synthesize"), p);
}

TEST_F(CoqaPlugin, RunsAVerb) {
  const LoadedPlugin* p = registry.find_command("coqa-prompts");
  ASSERT_NE(p, nullptr);
  std::ostringstream out, err;
  EXPECT_EQ(registry.run_command(*p, "coqa-prompts", {"--story", "lq-fic-01", "--turn", "1"}, out, err), 0)
      << err.str();
  EXPECT_NE(out.str().find("Q: Who kept the lighthouse?\\n\\nA:"), std::string::npos) << out.str();
  std::ostringstream out2, err2;
  EXPECT_EQ(registry.run_command(*p, "coqa-score", {"--bogus"}, out2, err2), 2);
}

TEST_F(CoqaPlugin, EvaluatesThroughTheSdkInterface) {
  std::shared_ptr<EvalTask> task = registry.create_task("coqa");
  Diagnostics diag;
  task->configure(
      Params(json{{"variant", "coqa_last_turn"}}, "/tasks/0/params", std::make_shared<SourceMap>()), diag);
  ASSERT_TRUE(diag.ok()) << diag.str();
  test::CannedGenerator gen;
  gen.answer_for = [](const std::string&) { return std::string(" Pilot"); };
  TaskContext ctx;
  ctx.limit = 1;
  const TaskResult r = task->evaluate(gen, ctx);
  ASSERT_EQ(r.samples.size(), 1u);
  EXPECT_EQ(r.samples[0]["id"], "lq-fic-01");
  // "Who ate most of it?", golds Pilot / the cat / Pilot the cat: leave-one-out EM is 2/3.
  EXPECT_DOUBLE_EQ(r.metrics["em"].get<double>(), 2.0 / 3.0);
  // Bad data thrown inside the plugin arrives as lq::Error.
  auto bad = registry.create_task("coqa");
  bad->configure(Params(json{{"data", "/nonexistent/coqa.json"}}, "", std::make_shared<SourceMap>()), diag);
  EXPECT_THROW(bad->evaluate(gen, ctx), Error);
}

}  // namespace
}  // namespace lq::coqa
