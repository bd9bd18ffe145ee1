// evaluate() end to end with a fake generator returning canned answers: one generate() call with every
// prompt in story/turn order, per-sample records, metrics, details, progress, parameters.
#include <gtest/gtest.h>

#include <map>

#include "coqa_task.h"
#include "embedded_sample.h"
#include "fake_generator.h"
#include "prompts.h"
#include "sampling.h"
#include <llama_quant/sha256.h>
#include "squad_metrics.h"
#include "stats.h"
#include "test_util.h"

namespace lq::coqa {
namespace {

using test::CannedGenerator;
using test::NullTokenizer;

Params params_of(const json& value) {
  return Params(value, "/tasks/0/params", std::make_shared<SourceMap>());
}

CoqaTask configured(const json& value) {
  CoqaTask task;
  Diagnostics diag;
  task.configure(params_of(value), diag);
  EXPECT_TRUE(diag.ok()) << diag.str();
  return task;
}

TEST(CoqaTask, AllTurnsEndToEnd) {
  const Dataset data = embedded_sample();
  // Canned answers: the gold answer on odd turns (with the whitespace and trailing lines a model
  // adds), a wrong one on even turns.
  std::map<std::string, std::pair<std::string, std::string>> canned;  // prompt -> (generation, prediction)
  std::vector<size_t> first_two = {0, 1};
  for (const Prompt& p : build_prompts(data, first_two, Variant::kAllTurns))
    canned[p.text] = p.turn % 2
                         ? std::make_pair(" " + p.golds[0] + "\nmore text", p.golds[0])
                         : std::make_pair(std::string(" zebra crossing"), std::string("zebra crossing"));
  CannedGenerator gen;
  gen.answer_for = [&](const std::string& prompt) { return canned.at(prompt).first; };

  std::vector<std::pair<int64_t, int64_t>> progress;
  TaskContext ctx;
  ctx.limit = 2;
  ctx.progress = [&](int64_t done, int64_t total) { progress.emplace_back(done, total); };
  CoqaTask task = configured({{"max_new_tokens", 40}});
  const TaskResult r = task.evaluate(gen, ctx);

  const size_t expected_prompts = data.stories[0].turns.size() + data.stories[1].turns.size();
  ASSERT_EQ(gen.calls.size(), 1u) << "all prompts in one generate() call";
  ASSERT_EQ(gen.calls[0].size(), expected_prompts);
  EXPECT_EQ(gen.options.stop, std::vector<std::string>{"\nQ:"});
  EXPECT_EQ(gen.options.max_new_tokens, 40);

  ASSERT_EQ(r.samples.size(), expected_prompts);
  std::vector<double> f1s, ems;
  for (size_t i = 0; i < r.samples.size(); ++i) {
    const json& s = r.samples[i];
    const size_t story = i < data.stories[0].turns.size() ? 0 : 1;
    const int turn = static_cast<int>(story == 0 ? i + 1 : i + 1 - data.stories[0].turns.size());
    EXPECT_EQ(s["id"], data.stories[story].id);
    EXPECT_EQ(s["turn"], turn);
    EXPECT_EQ(s["source"], data.stories[story].source);
    EXPECT_EQ(s["prompt_sha256"], sha256_hex(gen.calls[0][i]));
    EXPECT_EQ(gen.calls[0][i], build_prompt(data.stories[story], turn));
    EXPECT_EQ(s["prediction"], canned.at(gen.calls[0][i]).second);
    EXPECT_EQ(s["raw_generation"], canned.at(gen.calls[0][i]).first + "\nQ: and then?");
    const auto golds = golds_for_turn(data.stories[story], turn);
    EXPECT_EQ(s["golds"].get<std::vector<std::string>>(), golds);
    const TurnScore expect = score_against_golds(golds, s["prediction"].get<std::string>());
    EXPECT_EQ(s["em"].get<double>(), expect.em);
    EXPECT_EQ(s["f1"].get<double>(), expect.f1);
    if (turn % 2 == 0) {
      EXPECT_EQ(s["f1"].get<double>(), 0.0);
    }
    f1s.push_back(s["f1"]);
    ems.push_back(s["em"]);
  }
  // Story 0, turn 1: golds "Marta Quill" / "Marta": the gold answer scores em 1/2 (leave-one-out).
  EXPECT_EQ(r.samples[0]["golds"], json({"Marta Quill", "Marta"}));
  EXPECT_DOUBLE_EQ(r.samples[0]["em"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(r.samples[0]["f1"].get<double>(), (1.0 + 2.0 / 3.0) / 2.0);

  EXPECT_DOUBLE_EQ(r.metrics["f1"].get<double>(), mean(f1s));
  EXPECT_DOUBLE_EQ(r.metrics["em"].get<double>(), mean(ems));
  EXPECT_DOUBLE_EQ(r.metrics["f1_stderr"].get<double>(), mean_stderr(f1s));
  EXPECT_DOUBLE_EQ(r.metrics["em_stderr"].get<double>(), mean_stderr(ems));
  EXPECT_GT(r.metrics["f1"].get<double>(), 0.3);
  EXPECT_LT(r.metrics["f1"].get<double>(), 0.6);

  EXPECT_EQ(r.details["variant"], "coqa");
  EXPECT_EQ(r.details["counts"]["stories_total"], data.stories.size());
  EXPECT_EQ(r.details["counts"]["stories_evaluated"], 2);
  EXPECT_EQ(r.details["counts"]["prompts"], expected_prompts);
  EXPECT_EQ(r.details["limit"], 2);
  EXPECT_TRUE(r.details["limit_seed"].is_null());
  EXPECT_EQ(r.details["data"]["embedded"], true);
  EXPECT_EQ(r.details["data"]["sha256"], sha256_hex(embedded_sample_json()));
  EXPECT_EQ(r.details["generation"]["prompt_tokens"], 10 * static_cast<int64_t>(expected_prompts));
  ASSERT_TRUE(r.details["per_source"].contains("fiction"));
  EXPECT_EQ(r.details["per_source"]["fiction"]["stories"], 2);
  EXPECT_EQ(r.details["per_source"]["fiction"]["prompts"], expected_prompts);
  EXPECT_DOUBLE_EQ(r.details["per_source"]["fiction"]["f1"].get<double>(), mean(f1s));

  // Progress in stories: from 0 to 2, never backwards, story 1 done exactly when its last turn is.
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.front(), std::make_pair(int64_t{0}, int64_t{2}));
  EXPECT_EQ(progress.back(), std::make_pair(int64_t{2}, int64_t{2}));
  for (size_t i = 1; i < progress.size(); ++i) EXPECT_GE(progress[i].first, progress[i - 1].first);
  const size_t first_story_done = data.stories[0].turns.size();  // after the prompt callback #n
  EXPECT_EQ(progress[first_story_done - 1].first, 0);
  EXPECT_EQ(progress[first_story_done].first, 1);
}

TEST(CoqaTask, LastTurnVariantWithSeededLimit) {
  const Dataset data = embedded_sample();
  CannedGenerator gen;
  gen.answer_for = [](const std::string&) { return std::string(" no"); };
  TaskContext ctx;
  ctx.limit = 4;
  ctx.limit_seed = 99;
  CoqaTask task = configured({{"variant", "coqa_last_turn"}});
  const TaskResult r = task.evaluate(gen, ctx);
  ASSERT_EQ(r.samples.size(), 4u);
  ASSERT_EQ(gen.calls.size(), 1u);
  EXPECT_EQ(gen.options.max_new_tokens, kDefaultMaxNewTokens);
  const auto chosen = select_stories(data.stories.size(), 4, 99u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(r.samples[i]["id"], data.stories[chosen[i]].id);
    EXPECT_EQ(r.samples[i]["turn"], data.stories[chosen[i]].turns.size());
  }
  EXPECT_NE(chosen, (std::vector<size_t>{0, 1, 2, 3}));
  EXPECT_EQ(r.details["variant"], "coqa_last_turn");
  EXPECT_EQ(r.details["limit_seed"], 99);
  EXPECT_EQ(r.details["counts"]["stories_evaluated"], 4);
  EXPECT_EQ(r.details["counts"]["prompts"], 4);
}

TEST(CoqaTask, DataParamIsRelativeToTheExperimentFile) {
  const std::string doc = R"({"data": [{"id": "only", "source": "mine", "story": "Bo has a red ball.",
    "questions": [{"input_text": "What color is the ball?", "turn_id": 1}],
    "answers": [{"input_text": "red", "turn_id": 1}]}]})";
  test::ScratchFile file("mine.json", doc);
  CannedGenerator gen;
  gen.answer_for = [](const std::string&) { return std::string(" Red."); };
  TaskContext ctx;
  ctx.config_dir = file.dir();
  CoqaTask task = configured({{"data", "mine.json"}});
  const TaskResult r = task.evaluate(gen, ctx);
  ASSERT_EQ(r.samples.size(), 1u);
  EXPECT_EQ(gen.calls[0][0], "Bo has a red ball.\n\nQ: What color is the ball?\n\nA:");
  EXPECT_EQ(r.metrics["em"], 1.0);
  EXPECT_EQ(r.metrics["f1"], 1.0);
  EXPECT_TRUE(r.metrics["f1_stderr"].is_null()) << "one sample has no standard error";
  EXPECT_EQ(r.details["data"]["embedded"], false);
  EXPECT_EQ(r.details["per_source"]["mine"]["em"], 1.0);
}

TEST(CoqaTask, BadDataFileIsAnErrorNamingIt) {
  test::ScratchFile file("broken.json", R"({"data": [{"id": "s9", "source": "x", "story": "",
    "questions": [{"input_text": "Q?", "turn_id": 1}], "answers": [{"input_text": "A", "turn_id": 1}]}]})");
  CannedGenerator gen;
  gen.answer_for = [](const std::string&) { return std::string(); };
  CoqaTask task = configured({{"data", file.path().string()}});
  try {
    task.evaluate(gen, TaskContext{});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(file.path().string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("'s9'"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(gen.calls.empty());
}

TEST(CoqaTask, WrongNumberOfGenerationsIsAnError) {
  class Short final : public Generator {
   public:
    std::vector<Generation> generate(const std::vector<std::string>&, const GenerationOptions&,
                                     const ProgressFn&) override {
      return {Generation{}};
    }
    const Tokenizer& tokenizer() const override { return tok_; }
    NullTokenizer tok_;
  } gen;
  CoqaTask task = configured(json::object());
  TaskContext ctx;
  ctx.limit = 1;
  EXPECT_THROW(task.evaluate(gen, ctx), Error);
}

// record_margins reaches the generator, and each sample carries the generation's tokens and margins;
// without it neither is asked for nor written.
TEST(CoqaTask, RecordMarginsWritesTokensAndMargins) {
  CannedGenerator gen;
  gen.answer_for = [](const std::string&) { return std::string(" yes"); };
  TaskContext ctx;
  ctx.limit = 1;
  const TaskResult plain = configured(json::object()).evaluate(gen, ctx);
  EXPECT_FALSE(gen.options.record_margins);
  EXPECT_FALSE(plain.samples.at(0).contains("margins"));
  const TaskResult r = configured({{"record_margins", true}}).evaluate(gen, ctx);
  EXPECT_TRUE(gen.options.record_margins);
  EXPECT_EQ(r.samples.at(0)["tokens"], json({7, 8, 9}));
  EXPECT_EQ(r.samples.at(0)["margins"], json({0.5, 0.0, 2.25}));
  EXPECT_EQ(r.details["generation"]["record_margins"], true);
}

TEST(CoqaTask, ConfigureReportsEveryBadParameter) {
  CoqaTask task;
  Diagnostics diag;
  task.configure(params_of({{"variant", "coqa_all"},
                            {"max_new_tokens", 0},
                            {"data", 3},
                            {"limt", 5},
                            {"record_margins", "yes"}}),
                 diag);
  const std::string all = diag.str();
  EXPECT_EQ(diag.items().size(), 5u) << all;
  EXPECT_NE(all.find("record_margins"), std::string::npos) << all;
  EXPECT_NE(all.find("variant"), std::string::npos) << all;
  EXPECT_NE(all.find("max_new_tokens"), std::string::npos) << all;
  EXPECT_NE(all.find("'data' must be a string"), std::string::npos) << all;
  EXPECT_NE(all.find("unknown parameter 'limt'"), std::string::npos) << all;
}

}  // namespace
}  // namespace lq::coqa
