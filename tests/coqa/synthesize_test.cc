// The synthetic dev-set-shaped workload (coqa-synthesize): counts, shape, determinism, real text, and
// that it loads through the task's reader.
#include <gtest/gtest.h>

#include <llama_quant/diagnostics.h>
#include <llama_quant/sha256.h>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "commands.h"
#include "coqa_data.h"
#include "prompts.h"
#include "shape_stats.h"
#include "synthesize.h"
#include "test_util.h"

namespace lq::coqa {
namespace {

using nlohmann::json;

const Dataset& sample() {
  static const Dataset d = embedded_sample();
  return d;
}

// The passage's first sentence: up to the first . ! or ? (and closing quote) before whitespace, not
// after a title like "Mr".
std::string opening(const std::string& text) {
  for (size_t i = text.find_first_of(".!?"); i != std::string::npos; i = text.find_first_of(".!?", i + 1)) {
    const size_t space = text.find_last_of(" \n", i);
    const size_t word = space == std::string::npos ? 0 : space + 1;
    const std::string before = text.substr(word, i - word);
    if (before == "Mr" || before == "Mrs" || before == "Ms" || before == "Dr" || before == "St") continue;
    size_t end = i + 1;
    while (end < text.size() && text[end] == '"') ++end;
    if (end == text.size() || text[end] == ' ' || text[end] == '\n') return text.substr(0, end);
  }
  return text;
}

const Dataset& dev_shaped() {
  static const Dataset d = parse_dataset(synthesize_dataset_json(sample(), 500, 1), "synthetic");
  return d;
}

TEST(CoqaSynthesize, HasTheDevSetsCounts) {
  const Dataset& d = dev_shaped();
  const ShapeStats s = shape_stats(d);
  EXPECT_EQ(s.stories, 500u);
  EXPECT_EQ(s.questions, 7983u);
  EXPECT_GE(s.min_turns, DevSetShape::kMinTurns);
  EXPECT_LE(s.max_turns, DevSetShape::kMaxTurns);
  EXPECT_LT(s.min_turns + 5, s.max_turns) << "turn counts should vary";
  ASSERT_EQ(s.stories_per_source.size(), 5u);
  for (const auto& [source, n] : s.stories_per_source) {
    EXPECT_EQ(source.rfind("synth-", 0), 0u) << source;
    EXPECT_EQ(n, 100u) << source;
  }
  EXPECT_EQ(d.stories.front().id, "synth-0001");
  EXPECT_EQ(d.stories.back().id, "synth-0500");
  // Fewer stories keep the dev set's ratio: round(20 * 7983 / 500) = 319.
  EXPECT_EQ(shape_stats(parse_dataset(synthesize_dataset_json(sample(), 20, 3), "x")).questions, 319u);
}

TEST(CoqaSynthesize, FollowsThePublishedLengths) {
  const ShapeStats s = shape_stats(dev_shaped());
  EXPECT_NEAR(s.passage_words, DevSetShape::kPassageWords, 0.03 * DevSetShape::kPassageWords);
  EXPECT_NEAR(s.question_words, DevSetShape::kQuestionWords, 0.05);
  EXPECT_NEAR(s.answer_words, DevSetShape::kAnswerWords, 0.05);
  // The passage lengths spread out around the mean, as real passages do.
  size_t shortest = SIZE_MAX, longest = 0;
  for (const Story& story : dev_shaped().stories) {
    shortest = std::min(shortest, word_count(story.story));
    longest = std::max(longest, word_count(story.story));
  }
  EXPECT_LT(shortest, 200u);
  EXPECT_GT(longest, 340u);
}

TEST(CoqaSynthesize, SameSeedSameBytesOtherSeedOtherText) {
  const std::string a = synthesize_dataset_json(sample(), 30, 7);
  EXPECT_EQ(a, synthesize_dataset_json(sample(), 30, 7));
  EXPECT_NE(a, synthesize_dataset_json(sample(), 30, 8));
  // Pinned: SplitMix64 and integer arithmetic only, so every platform writes these bytes. A change
  // here changes every timing workload; update it only on purpose.
  EXPECT_EQ(sha256_hex(a), "a10bf7398c43a80b0331f2bb76d8b8ce477bc4f53edad51fd2103086959befa3")
      << "bytes: " << a.size();
}

// Every question, answer (with its alternatives) and opening sentence comes from the sample's stories
// of the same domain.
TEST(CoqaSynthesize, TextIsTheSamplesOwn) {
  std::map<std::string, std::set<std::string>> questions, answers;
  std::map<std::string, std::string> stories;
  for (const Story& s : sample().stories) {
    for (const Turn& t : s.turns) {
      questions[s.source].insert(t.question);
      std::string all;
      for (const auto& a : t.answers) all += a + "\n";
      answers[s.source].insert(all);
    }
    stories[s.source] += s.story + "\n";
  }
  for (const Story& s : dev_shaped().stories) {
    const std::string domain = s.source.substr(6);
    ASSERT_TRUE(questions.count(domain)) << s.source;
    for (const Turn& t : s.turns) {
      EXPECT_TRUE(questions[domain].count(t.question)) << s.id << ": " << t.question;
      std::string all;
      for (const auto& a : t.answers) all += a + "\n";
      EXPECT_TRUE(answers[domain].count(all)) << s.id << ": " << all;
    }
    const std::string first = opening(s.story);
    EXPECT_NE(stories[domain].find(first), std::string::npos) << s.id << ": " << first;
  }
}

// Neighbouring stories never open with the same sentence: a prefix cache must not find more across
// stories than it would in the dev set.
TEST(CoqaSynthesize, NeighbouringStoriesOpenDifferently) {
  const auto& stories = dev_shaped().stories;
  std::vector<std::string> openings;
  for (const Story& s : stories) openings.push_back(opening(s.story));
  for (size_t i = 0; i < stories.size(); ++i)
    for (size_t j = i + 1; j < std::min(stories.size(), i + 100); ++j)
      EXPECT_NE(openings[i], openings[j]) << stories[i].id << " and " << stories[j].id;
}

TEST(CoqaSynthesize, EveryTurnBecomesAPrompt) {
  const Dataset& d = dev_shaped();
  std::vector<size_t> all(d.stories.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  EXPECT_EQ(build_prompts(d, all, Variant::kAllTurns).size(), 7983u);
  EXPECT_EQ(build_prompts(d, all, Variant::kLastTurn).size(), 500u);
}

TEST(CoqaSynthesize, RefusesNoStories) { EXPECT_THROW(synthesize_dataset_json(sample(), 0, 1), Error); }

struct VerbRun {
  int code;
  std::string out, err;
};

VerbRun synthesize_verb(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  int code = run_command("coqa-synthesize", args, out, err);
  return {code, out.str(), err.str()};
}

TEST(CoqaSynthesize, VerbWritesAFileTheReaderLoads) {
  test::ScratchFile scratch("placeholder", "");
  const auto path = scratch.dir() / "synth.json";
  const VerbRun r = synthesize_verb({"--stories", "40", "--seed", "5", "--out", path.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  const Dataset d = load_dataset(path);
  EXPECT_EQ(d.stories.size(), 40u);
  EXPECT_EQ(test::read_file(path), synthesize_dataset_json(sample(), 40, 5));
  const json report = json::parse(r.out);
  EXPECT_EQ(report.at("stories"), 40);
  EXPECT_EQ(report.at("seed"), 5);
  EXPECT_EQ(report.at("questions"), shape_stats(d).questions);
  EXPECT_EQ(report.at("sha256"), d.sha256);
  EXPECT_EQ(report.at("dev_set_reference").at("questions"), 7983);
}

TEST(CoqaSynthesize, VerbUsageErrors) {
  test::ScratchFile scratch("placeholder", "");
  const std::string out = (scratch.dir() / "s.json").string();
  const std::vector<std::vector<std::string>> bad = {
      {},                                                // no --out
      {"--out", out, "--stories", "0"},                  // below 1
      {"--out", out, "--stories", "12x"},                // not a number
      {"--out", out, "--stories", "-3"},                 // negative
      {"--out", out, "--seed", "99999999999999999999"},  // above 2^64 - 1
      {"--out", (scratch.dir() / "coqa-dev-v1.0.json").string()},
      {"--out", out, "--limit", "3"},
  };
  for (const auto& args : bad) {
    const VerbRun r = synthesize_verb(args);
    EXPECT_EQ(r.code, 2) << testing::PrintToString(args);
    EXPECT_NE(r.err.find("usage: llama-quant coqa-synthesize"), std::string::npos) << r.err;
  }
  const VerbRun unwritable = synthesize_verb({"--out", (scratch.dir() / "no" / "such" / "s.json").string()});
  EXPECT_EQ(unwritable.code, 1);
  EXPECT_NE(unwritable.err.find("cannot open for writing"), std::string::npos) << unwritable.err;
}

}  // namespace
}  // namespace lq::coqa
