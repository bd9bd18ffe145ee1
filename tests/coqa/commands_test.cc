// The coqa-prompts and coqa-score verbs.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "commands.h"
#include "coqa_data.h"
#include "prompts.h"
#include "test_util.h"

namespace lq::coqa {
namespace {

using nlohmann::json;

struct VerbRun {
  int code;
  std::string out, err;
};

VerbRun run(const std::string& verb, const std::vector<std::string>& args) {
  std::ostringstream out, err;
  int code = run_command(verb, args, out, err);
  return {code, out.str(), err.str()};
}

std::vector<json> lines(const std::string& text) {
  std::istringstream in(text);
  std::vector<json> out;
  for (std::string l; std::getline(in, l);) out.push_back(json::parse(l));
  return out;
}

TEST(CoqaCommands, ListsEveryVerb) {
  const auto verbs = command_summaries();
  ASSERT_EQ(verbs.size(), 3u);
  EXPECT_EQ(verbs[0].first, "coqa-score");
  EXPECT_EQ(verbs[1].first, "coqa-prompts");
  EXPECT_EQ(verbs[2].first, "coqa-synthesize");
}

TEST(CoqaCommands, PromptsOfOneStoryTurn) {
  const Dataset d = embedded_sample();
  const VerbRun r = run("coqa-prompts", {"--story", "lq-sci-01", "--turn=3"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto out = lines(r.out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0]["id"], "lq-sci-01");
  EXPECT_EQ(out[0]["turn"], 3);
  const Story* s = nullptr;
  for (const auto& st : d.stories)
    if (st.id == "lq-sci-01") s = &st;
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(out[0]["prompt"], build_prompt(*s, 3));
  EXPECT_EQ(out[0]["golds"].get<std::vector<std::string>>(), golds_for_turn(*s, 3));
}

TEST(CoqaCommands, PromptsOfEveryStoryLastTurn) {
  const VerbRun r = run("coqa-prompts", {"--variant", "coqa_last_turn"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(lines(r.out).size(), embedded_sample().stories.size());
}

TEST(CoqaCommands, PromptsErrors) {
  EXPECT_EQ(run("coqa-prompts", {"--story", "nope"}).code, 1);
  EXPECT_EQ(run("coqa-prompts", {"--turn", "0"}).code, 2);
  EXPECT_EQ(run("coqa-prompts", {"--turn", "99"}).code, 1);
  EXPECT_EQ(run("coqa-prompts", {"--variant", "squad"}).code, 2);
  const VerbRun r = run("coqa-prompts", {"--colour", "red"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("unknown option --colour"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("usage:"), std::string::npos) << r.err;
  EXPECT_EQ(run("coqa-prompts", {"--data", "/nonexistent.json"}).code, 1);
  EXPECT_EQ(run("coqa-prompts", {"--help"}).code, 0);
}

TEST(CoqaCommands, ScoresSavedPredictions) {
  const Dataset d = embedded_sample();
  const Story& s = d.stories[2];
  std::string jsonl;
  // Turn 2 right (after the usual model noise), turn 1 wrong; written out of order.
  jsonl += json({{"id", s.id}, {"turn", 2}, {"prediction", " " + s.turns[1].answers[0] + "\nQ: x"}}).dump() +
           "\n\n";
  jsonl += json({{"id", s.id}, {"turn", 1}, {"prediction", "nothing at all"}}).dump() + "\n";
  test::ScratchFile preds("preds.jsonl", jsonl);
  const VerbRun r = run("coqa-score", {"--predictions", preds.path().string()});
  ASSERT_EQ(r.code, 0) << r.err;
  const json report = json::parse(r.out);
  ASSERT_EQ(report["per_turn"].size(), 2u);
  EXPECT_EQ(report["per_turn"][0]["turn"], 1);
  EXPECT_EQ(report["per_turn"][0]["f1"], 0.0);
  EXPECT_EQ(report["per_turn"][1]["turn"], 2);
  EXPECT_EQ(report["per_turn"][1]["prediction"], s.turns[1].answers[0]);
  // Golds "Anežka Dvořák" and "a clockmaker": leave-one-out gives the main answer 1 and 0.
  EXPECT_EQ(report["per_turn"][1]["f1"].get<double>(), 0.5);
  const double mean_f1 =
      (report["per_turn"][0]["f1"].get<double>() + report["per_turn"][1]["f1"].get<double>()) / 2;
  EXPECT_DOUBLE_EQ(report["metrics"]["f1"].get<double>(), mean_f1);
  EXPECT_EQ(report["counts"]["predictions"], 2);
  EXPECT_EQ(report["variant"], "coqa");
  EXPECT_TRUE(report["per_source"].contains(s.source));
}

TEST(CoqaCommands, ScoreRejectsBadPredictionFiles) {
  const Dataset d = embedded_sample();
  const std::string id = d.stories[0].id;
  const auto score = [](const std::string& content, const std::vector<std::string>& extra = {}) {
    test::ScratchFile f("p.jsonl", content);
    std::vector<std::string> args = {"--predictions", f.path().string()};
    args.insert(args.end(), extra.begin(), extra.end());
    VerbRun r = run("coqa-score", args);
    r.err += "|" + f.path().string();
    return r;
  };
  const std::string good = json({{"id", id}, {"turn", 1}, {"prediction", "x"}}).dump() + "\n";
  VerbRun r = score(good + "{not json\n");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("p.jsonl:2: not valid JSON"), std::string::npos) << r.err;
  r = score(good + good);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("second prediction"), std::string::npos) << r.err;
  r = score(json({{"id", "nope"}, {"turn", 1}, {"prediction", "x"}}).dump());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("p.jsonl:1: story 'nope' turn 1"), std::string::npos) << r.err;
  r = score(json({{"id", id}, {"turn", 1}}).dump());
  EXPECT_EQ(r.code, 1);
  r = score(good, {"--variant", "coqa_last_turn"});  // turn 1 is not the last turn
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("not a coqa_last_turn prompt"), std::string::npos) << r.err;
  r = score("\n");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(run("coqa-score", {}).code, 2);
  EXPECT_EQ(run("coqa-score", {"--predictions", "/nonexistent.jsonl"}).code, 1);
}

}  // namespace
}  // namespace lq::coqa
