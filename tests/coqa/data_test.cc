// CoQA JSON parsing: the embedded sample against the format's rules, and every kind of bad data.
#include <gtest/gtest.h>

#include <llama_quant/diagnostics.h>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "coqa_data.h"
#include "embedded_sample.h"
#include <llama_quant/sha256.h>
#include "test_util.h"

namespace lq::coqa {
namespace {

using nlohmann::json;

size_t word_count(const std::string& text) {
  std::istringstream in(text);
  size_t n = 0;
  for (std::string w; in >> w;) ++n;
  return n;
}

TEST(CoqaSample, FollowsTheSampleSpecification) {
  const Dataset d = embedded_sample();
  EXPECT_EQ(d.origin, "embedded sample");
  ASSERT_GE(d.stories.size(), 20u);
  std::set<std::string> sources;
  for (const Story& s : d.stories) {
    sources.insert(s.source);
    EXPECT_GE(word_count(s.story), 150u) << s.id;
    EXPECT_LE(word_count(s.story), 400u) << s.id;
    EXPECT_GE(s.turns.size(), 10u) << s.id;
    EXPECT_LE(s.turns.size(), 15u) << s.id;
    for (const Turn& t : s.turns) {
      EXPECT_FALSE(t.question.empty()) << s.id << " turn " << t.turn_id;
      ASSERT_EQ(t.answers.size(), 3u) << s.id << " turn " << t.turn_id << ": answer + two alternatives";
      for (const auto& a : t.answers) {
        EXPECT_FALSE(a.empty()) << s.id << " turn " << t.turn_id;
        EXPECT_LE(word_count(a), 16u) << s.id << " turn " << t.turn_id << ": answers are short";
      }
    }
  }
  EXPECT_EQ(sources, (std::set<std::string>{"everyday", "fiction", "history", "news", "science"}));
}

TEST(CoqaSample, EmbeddedBytesAreTheCommittedFile) {
  const std::string file = test::read_file(std::filesystem::path(LQ_TEST_DIR) / ".." / "plugins" / "coqa" /
                                           "data" / "coqa-sample-v1.json");
  EXPECT_EQ(embedded_sample_json(), file);
}

TEST(CoqaData, KeepsAdditionalAnswersInFileOrder) {
  const std::string doc = (R"({"data": [{"id": "s1", "source": "x", "story": "Text.",
    "questions": [{"input_text": "Q1?", "turn_id": 1}, {"input_text": "Q2?", "turn_id": 2}],
    "answers": [{"input_text": "A1", "turn_id": 1}, {"input_text": "A2", "turn_id": 2}],
    "additional_answers": {"2": [{"input_text": "c1", "turn_id": 1}, {"input_text": "c2", "turn_id": 2}],
                           "0": [{"input_text": "a1", "turn_id": 1}, {"input_text": "a2", "turn_id": 2}]}}]})");
  const Dataset d = parse_dataset(doc, "mem.json");
  ASSERT_EQ(d.stories.size(), 1u);
  const Story& s = d.stories[0];
  EXPECT_EQ(s.id, "s1");
  EXPECT_EQ(s.source, "x");
  ASSERT_EQ(s.turns.size(), 2u);
  EXPECT_EQ(s.turns[1].turn_id, 2);
  EXPECT_EQ(s.turns[1].question, "Q2?");
  EXPECT_EQ(s.turns[1].answers, (std::vector<std::string>{"A2", "c2", "a2"}));
  EXPECT_EQ(d.sha256, sha256_hex(doc));
}

TEST(CoqaData, AdditionalAnswersAreOptional) {
  const Dataset d = parse_dataset(R"({"data": [{"id": "s", "source": "x", "story": "T.",
    "questions": [{"input_text": "Q?", "turn_id": 1}], "answers": [{"input_text": "A", "turn_id": 1}]}]})",
                                  "mem.json");
  EXPECT_EQ(d.stories[0].turns[0].answers, (std::vector<std::string>{"A"}));
}

// Each bad document must fail with an lq::Error whose message names the file and the story.
struct BadCase {
  const char* name;
  std::string text;
  std::vector<std::string> expected;  // substrings of the message
};

std::string story_with(const std::string& fields) {
  return R"({"data": [{"id": "ok", "source": "x", "story": "T.", "questions": [{"input_text": "Q?", "turn_id": 1}],
    "answers": [{"input_text": "A", "turn_id": 1}]}, {"id": "bad-7", "source": "x", )" +
         fields + "}]}";
}
const std::string kQ2 =
    R"("questions": [{"input_text": "Q1?", "turn_id": 1}, {"input_text": "Q2?", "turn_id": 2}])";
const std::string kA2 =
    R"("answers": [{"input_text": "A1", "turn_id": 1}, {"input_text": "A2", "turn_id": 2}])";

TEST(CoqaData, BadDataIsAClearError) {
  const std::vector<BadCase> cases = {
      {"malformed JSON", R"({"data": [ {"id": "s1", )", {"bad.json", "not valid JSON"}},
      {"not utf-8", "{\"data\": [{\"id\": \"\xff\"}]}", {"bad.json", "not valid JSON"}},
      {"no data list", R"({"version": "1.0"})", {"bad.json", "'data' list"}},
      {"data not a list", R"({"data": {}})", {"bad.json", "'data' list"}},
      {"no stories", R"({"data": []})", {"bad.json", "no stories"}},
      {"story not an object", R"({"data": [3]})", {"bad.json", "story #0", "not a JSON object"}},
      {"missing id", R"({"data": [{"story": "x"}]})", {"bad.json", "story #0", "'id'"}},
      {"empty story",
       story_with(R"("story": "  \n ", )" + kQ2 + ", " + kA2),
       {"bad.json", "story 'bad-7'", "empty 'story'"}},
      {"missing story", story_with(kQ2 + ", " + kA2), {"bad.json", "story 'bad-7'", "'story'"}},
      {"story not a string",
       story_with(R"("story": 5, )" + kQ2 + ", " + kA2),
       {"bad.json", "story 'bad-7'", "'story' is not a string"}},
      {"mismatched counts",
       story_with(R"("story": "T.", )" + kQ2 + R"(, "answers": [{"input_text": "A1", "turn_id": 1}])"),
       {"bad.json", "story 'bad-7'", "2 questions but 1 answers"}},
      {"no questions",
       story_with(R"("story": "T.", "questions": [], "answers": [])"),
       {"bad.json", "story 'bad-7'", "no questions"}},
      {"question turn ids out of order",
       story_with(
           R"("story": "T.", "questions": [{"input_text": "Q1?", "turn_id": 2}, {"input_text": "Q2?", "turn_id": 1}], )" +
           kA2),
       {"bad.json", "story 'bad-7'", "questions[0]", "turn_id 2, expected 1"}},
      {"answer turn id skips",
       story_with(R"("story": "T.", )" + kQ2 +
                  R"(, "answers": [{"input_text": "A1", "turn_id": 1}, {"input_text": "A2", "turn_id": 3}])"),
       {"bad.json", "story 'bad-7'", "answers[1]", "turn_id 3, expected 2"}},
      {"turn id not an integer",
       story_with(
           R"("story": "T.", "questions": [{"input_text": "Q?", "turn_id": "1"}], "answers": [{"input_text": "A", "turn_id": 1}])"),
       {"bad.json", "story 'bad-7'", "integer 'turn_id'"}},
      {"answer text missing",
       story_with(
           R"("story": "T.", "questions": [{"input_text": "Q?", "turn_id": 1}], "answers": [{"turn_id": 1}])"),
       {"bad.json", "story 'bad-7'", "answers[0].input_text"}},
      {"additional answers short",
       story_with(R"("story": "T.", )" + kQ2 + ", " + kA2 +
                  R"(, "additional_answers": {"0": [{"input_text": "x", "turn_id": 1}]})"),
       {"bad.json", "story 'bad-7'", "additional_answers[\"0\"]", "1 answers for 2 questions"}},
      {"additional answers not keyed",
       story_with(R"("story": "T.", )" + kQ2 + ", " + kA2 + R"(, "additional_answers": [])"),
       {"bad.json", "story 'bad-7'", "additional_answers"}},
      {"duplicate id",
       R"({"data": [{"id": "s", "source": "x", "story": "T.", "questions": [{"input_text": "Q?", "turn_id": 1}], "answers": [{"input_text": "A", "turn_id": 1}]},
                    {"id": "s", "source": "x", "story": "T.", "questions": [{"input_text": "Q?", "turn_id": 1}], "answers": [{"input_text": "A", "turn_id": 1}]}]})",
       {"bad.json", "'s'", "more than once"}},
  };
  for (const auto& c : cases) {
    try {
      parse_dataset(c.text, "bad.json");
      ADD_FAILURE() << c.name << ": no error";
    } catch (const Error& e) {
      for (const auto& part : c.expected)
        EXPECT_NE(std::string(e.what()).find(part), std::string::npos)
            << c.name << ": '" << e.what() << "' lacks '" << part << "'";
    }
  }
}

TEST(CoqaData, MissingFileNamesIt) {
  try {
    load_dataset("/nonexistent/coqa.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/coqa.json"), std::string::npos) << e.what();
  }
}

TEST(CoqaData, FileClaimingToBeTheOfficialDevSetMustMatchItsDigest) {
  test::ScratchFile named("coqa-dev-v1.0.json", std::string(embedded_sample_json()));
  try {
    load_dataset(named.path());
    FAIL() << "a modified official file was accepted";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find(named.path().string()), std::string::npos) << m;
    EXPECT_NE(m.find(std::string(kOfficialDevSha256)), std::string::npos) << m;
    EXPECT_NE(m.find(sha256_hex(embedded_sample_json())), std::string::npos) << m;
  }
  // Same size as the official file under another name: still checked.
  std::string padded(embedded_sample_json());
  padded.resize(kOfficialDevBytes, ' ');
  test::ScratchFile sized("renamed.json", padded);
  EXPECT_THROW(load_dataset(sized.path()), Error);
  // Any other file is read as it is.
  test::ScratchFile other("mine.json", std::string(embedded_sample_json()));
  EXPECT_EQ(load_dataset(other.path()).stories.size(), embedded_sample().stories.size());
}

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

}  // namespace
}  // namespace lq::coqa
