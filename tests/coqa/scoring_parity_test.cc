// EM/F1, normalization, gold deduplication, prediction extraction and aggregation equal to
// lm-evaluation-harness's (fixture: scripts/fixtures/coqa_scoring_fixture.py) to 1e-12.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "prompts.h"
#include "python_text.h"
#include "squad_metrics.h"
#include "stats.h"
#include "test_util.h"

namespace lq::coqa {
namespace {

using nlohmann::json;

const json& fixture() {
  static const json f = json::parse(test::read_file(test::fixture("scoring_parity.json")));
  return f;
}

TEST(CoqaScoring, TablesAreFromTheFixturesUnicodeVersion) {
  EXPECT_EQ(fixture()["unicode"].get<std::string>(), python_unicode_version());
}

TEST(CoqaScoring, GoldListScoresMatchTheHarness) {
  const json& pairs = fixture()["pairs"];
  ASSERT_GE(pairs.size(), 300u);
  for (const json& p : pairs) {
    const auto golds = p["golds"].get<std::vector<std::string>>();
    const auto pred = p["prediction"].get<std::string>();
    TurnScore s = score_against_golds(golds, pred);
    EXPECT_NEAR(s.em, p["em"].get<double>(), 1e-12) << p.dump();
    EXPECT_NEAR(s.f1, p["f1"].get<double>(), 1e-12) << p.dump();
  }
}

TEST(CoqaScoring, SingleGoldExactAndF1MatchSquadMetrics) {
  for (const json& p : fixture()["single"]) {
    const auto gold = p["gold"].get<std::string>(), pred = p["prediction"].get<std::string>();
    EXPECT_EQ(compute_exact(gold, pred), p["exact"].get<int>()) << p.dump();
    EXPECT_NEAR(compute_f1(gold, pred), p["f1"].get<double>(), 1e-12) << p.dump();
  }
}

TEST(CoqaScoring, NormalizationMatchesSquadMetrics) {
  for (const json& n : fixture()["normalize"])
    EXPECT_EQ(normalize_answer(n["text"].get<std::string>()), n["normalized"].get<std::string>()) << n.dump();
}

TEST(CoqaScoring, PredictionExtractionMatchesProcessResults) {
  for (const json& e : fixture()["extract"])
    EXPECT_EQ(extract_prediction(e["generation"].get<std::string>()), e["prediction"].get<std::string>())
        << e.dump();
}

TEST(CoqaScoring, GoldDeduplicationMatchesDocToTarget) {
  for (const json& t : fixture()["targets"]) {
    Story s{"s", "x", "T.", {{1, "q?", t["answers"].get<std::vector<std::string>>()}}};
    EXPECT_EQ(golds_for_turn(s, 1), t["golds"].get<std::vector<std::string>>()) << t.dump();
  }
}

TEST(CoqaScoring, MeanAndStderrMatchTheHarnessAggregation) {
  std::vector<double> f1, em;
  for (const json& p : fixture()["pairs"]) {
    f1.push_back(p["f1"]);
    em.push_back(p["em"]);
  }
  const json& agg = fixture()["aggregate"];
  EXPECT_NEAR(mean(f1), agg["f1"].get<double>(), 1e-12);
  EXPECT_NEAR(mean_stderr(f1), agg["f1_stderr"].get<double>(), 1e-12);
  EXPECT_NEAR(mean(em), agg["em"].get<double>(), 1e-12);
  EXPECT_NEAR(mean_stderr(em), agg["em_stderr"].get<double>(), 1e-12);
  EXPECT_TRUE(std::isnan(mean_stderr({0.5})));
}

TEST(CoqaScoring, NoGoldsIsRejected) { EXPECT_THROW(score_against_golds({}, "x"), std::invalid_argument); }

// Python's bytes.decode("utf-8", errors="replace"): one U+FFFD per maximal ill-formed subsequence.
TEST(PythonText, Utf8DecodingReplacesLikePython) {
  EXPECT_EQ(utf8_decode("a\xE2\x82"), U"a\uFFFD");  // truncated 3-byte sequence
  EXPECT_EQ(utf8_decode("\xFF\xFE"
                        "b"),
            U"\uFFFD\uFFFD"
            "b");  // bytes that never start one
  EXPECT_EQ(utf8_decode("\xF0\x9F\x90"
                        "a"),
            U"\uFFFD"
            "a");                                                 // truncated 4-byte sequence
  EXPECT_EQ(utf8_decode("\xED\xA0\x80"), U"\uFFFD\uFFFD\uFFFD");  // a surrogate
  EXPECT_EQ(utf8_decode("\xC0\xAF"), U"\uFFFD\uFFFD");            // overlong
  EXPECT_EQ(utf8_decode("\xF0\x9F\x90\x9D"), U"\U0001F41D");
  EXPECT_EQ(utf8_encode(U"\U0001F41D\u00E9x"), "\xF0\x9F\x90\x9D\xC3\xA9x");
}

TEST(PythonText, LowerFollowsPythonSpecialCases) {
  EXPECT_EQ(py_lower(U"\u0130"), U"i\u0307");  // İ lowers to two code points
  EXPECT_EQ(py_lower(U"\u039F\u0394\u039F\u03A3"), U"\u03BF\u03B4\u03BF\u03C2");  // final sigma
  EXPECT_EQ(py_lower(U"\u03A3"), U"\u03C3");                                      // alone: not final
  EXPECT_EQ(py_lower(U"\u0391\u03A3\u0391"), U"\u03B1\u03C3\u03B1");
  EXPECT_EQ(py_lower(U"\u0391\u03A3'"), U"\u03B1\u03C2'");  // apostrophe is case-ignorable
  EXPECT_EQ(py_lower(U"\u212A"), U"k");
}

}  // namespace
}  // namespace lq::coqa
