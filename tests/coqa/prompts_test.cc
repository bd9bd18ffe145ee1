// Prompts and gold lists byte-identical to lm-evaluation-harness's doc_to_text / doc_to_target
// (fixture: scripts/fixtures/coqa_prompt_fixture.py), in both variants.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "coqa_data.h"
#include "prompts.h"
#include "test_util.h"

namespace lq::coqa {
namespace {

using nlohmann::json;

std::vector<json> harness_prompts() {
  std::istringstream in(test::read_file(test::fixture("harness_prompts.jsonl")));
  std::vector<json> out;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(json::parse(line));
  return out;
}

TEST(CoqaPrompts, MatchTheHarnessByteForByte) {
  const Dataset d = embedded_sample();
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < d.stories.size(); ++i) index[d.stories[i].id] = i;
  // Every harness prompt appears, in order, among ours for its variant.
  std::map<std::string, std::vector<Prompt>> ours;
  std::vector<size_t> all;
  for (size_t i = 0; i < d.stories.size(); ++i) all.push_back(i);
  ours["coqa"] = build_prompts(d, all, Variant::kAllTurns);
  ours["coqa_last_turn"] = build_prompts(d, all, Variant::kLastTurn);
  EXPECT_EQ(ours["coqa_last_turn"].size(), d.stories.size());

  size_t checked = 0, all_turns = 0;
  for (const json& h : harness_prompts()) {
    const std::string variant = h["variant"], id = h["id"];
    const int turn = h["turn"];
    ASSERT_TRUE(index.count(id)) << id;
    const Prompt* match = nullptr;
    for (const auto& p : ours.at(variant))
      if (p.story_index == index[id] && p.turn == turn) match = &p;
    ASSERT_NE(match, nullptr) << variant << " " << id << " turn " << turn;
    EXPECT_EQ(match->text, h["prompt"].get<std::string>()) << variant << " " << id << " turn " << turn;
    EXPECT_EQ(match->golds, h["golds"].get<std::vector<std::string>>())
        << variant << " " << id << " turn " << turn;
    ++checked;
    all_turns += variant == "coqa";
  }
  EXPECT_EQ(checked, 21u + all_turns);
  EXPECT_GE(all_turns, 30u);
}

TEST(CoqaPrompts, AllTurnsComeInStoryThenTurnOrder) {
  const Dataset d = embedded_sample();
  const auto prompts = build_prompts(d, {3, 0}, Variant::kAllTurns);
  ASSERT_EQ(prompts.size(), d.stories[3].turns.size() + d.stories[0].turns.size());
  EXPECT_EQ(prompts.front().story_index, 3u);
  EXPECT_EQ(prompts.front().turn, 1);
  EXPECT_EQ(prompts.back().story_index, 0u);
  EXPECT_EQ(prompts.back().turn, static_cast<int>(d.stories[0].turns.size()));
  // Each turn's prompt extends the previous one: what lets the generator reuse its prefix.
  for (size_t i = 1; i < d.stories[3].turns.size(); ++i) {
    const std::string& prev = prompts[i - 1].text;
    EXPECT_EQ(prompts[i].text.compare(0, prev.size(), prev), 0) << "turn " << prompts[i].turn;
  }
}

TEST(CoqaPrompts, FirstTurnPromptHasNoHistory) {
  Story s{"s", "x", "Story text.", {{1, "Who?", {"Ann"}}, {2, "Why?", {"because"}}}};
  EXPECT_EQ(build_prompt(s, 1), "Story text.\n\nQ: Who?\n\nA:");
  EXPECT_EQ(build_prompt(s, 2), "Story text.\n\nQ: Who?\n\nA: Ann\n\nQ: Why?\n\nA:");
}

TEST(CoqaPrompts, VariantNames) {
  EXPECT_EQ(parse_variant("coqa"), Variant::kAllTurns);
  EXPECT_EQ(parse_variant("coqa_last_turn"), Variant::kLastTurn);
  EXPECT_FALSE(parse_variant("CoQA").has_value());
  EXPECT_EQ(variant_name(Variant::kLastTurn), "coqa_last_turn");
}

}  // namespace
}  // namespace lq::coqa
