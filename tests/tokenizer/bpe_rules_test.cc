// The mechanics under the parity tests, on small cases: splitting rules, merge order, UTF-8 repair.
#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>

#include "tokenizer/bpe_tokenizer.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/utf8.h"

namespace lq {
namespace {

std::vector<std::string> split(const std::string& text, std::vector<SplitRule> rules) {
  std::vector<std::string_view> words;
  pre_tokenize(text, rules, words);
  return {words.begin(), words.end()};
}

using Words = std::vector<std::string>;

// Expected pieces are those of Hugging Face `tokenizers` (Llama 3 and SmolLM2 pre-tokenizers).
TEST(PreTokenizer, Llama3) {
  const std::vector<SplitRule> r{SplitRule::kLlama3};
  EXPECT_EQ(split("a\r\n\r\n  b", r), (Words{"a", "\r\n\r\n", " ", " b"}));
  EXPECT_EQ(split("'S 'LL it's", r), (Words{"'S", " '", "LL", " it", "'s"}));
  EXPECT_EQ(split("x'\u017Fa", r), (Words{"x", "'\u017F", "a"}));  // long s is an 's' to (?i:'s)
  EXPECT_EQ(split("a  1 22 333 4444", r),
            (Words{"a", " ", " ", "1", " ", "22", " ", "333", " ", "444", "4"}));
  EXPECT_EQ(split("  hi  there  ", r), (Words{" ", " hi", " ", " there", "  "}));
  EXPECT_EQ(split("<tag>!!\n\nx", r), (Words{"<tag", ">!!\n\n", "x"}));
  EXPECT_EQ(split("", r), Words{});
}

TEST(PreTokenizer, SmolLM) {
  const std::vector<SplitRule> r{SplitRule::kDigitsIndividual, SplitRule::kGpt2};
  EXPECT_EQ(split("a\r\n\r\n  b", r), (Words{"a", "\r\n\r\n ", " b"}));
  EXPECT_EQ(split("'S 'LL it's", r), (Words{"'", "S", " '", "LL", " it", "'s"}));
  EXPECT_EQ(split("x'\u017Fa", r), (Words{"x", "'", "\u017Fa"}));
  EXPECT_EQ(split("a  1 22 333", r), (Words{"a", "  ", "1", " ", "2", "2", " ", "3", "3", "3"}));
  EXPECT_EQ(split("<tag>!!\n\nx", r), (Words{"<", "tag", ">!!", "\n", "\n", "x"}));
  EXPECT_EQ(split("a 12b", {SplitRule::kDigitsGrouped}), (Words{"a ", "12", "b"}));
}

TEST(Utf8, InvalidBytesBecomeOneReplacementPerMaximalSubpart) {
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(utf8::sanitize("ok"), "ok");
  EXPECT_EQ(utf8::sanitize("\xF0\x9F\x98 end"), r + " end");  // truncated 4-byte: one
  EXPECT_EQ(utf8::sanitize("\xED\xA0\x80"), r + r + r);       // surrogate: three
  EXPECT_EQ(utf8::sanitize("\xC0\xAF"), r + r);               // overlong
  EXPECT_EQ(utf8::sanitize("\xE2\x82"), r);                   // cut at the end
  EXPECT_EQ(utf8::sanitize("caf\xE9!"), "caf" + r + "!");
  EXPECT_TRUE(utf8::is_valid("\xF0\x9F\x98\x80"));
  EXPECT_FALSE(utf8::is_valid("\xF4\x90\x80\x80"));
}

// A tokenizer.json of a few tokens, written to a temporary file.
std::shared_ptr<Tokenizer> tiny(const std::string& vocab, const std::string& merges,
                                bool ignore_merges = false) {
  auto path =
      std::filesystem::temp_directory_path() / ("lq_tiny_tokenizer_" + std::to_string(::getpid()) + ".json");
  std::ofstream(path)
      << R"({"model": {"type": "BPE", "ignore_merges": )" << (ignore_merges ? "true" : "false")
      << R"(, "vocab": )" << vocab << R"(, "merges": )" << merges
      << R"(}, "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
                          "decoder": {"type": "ByteLevel"}})";
  auto t = load_tokenizer_json(path);
  std::filesystem::remove(path);
  return t;
}

TEST(Bpe, EqualRanksMergeLeftmostFirst) {
  auto t = tiny(R"({"a": 0, "aa": 1})", R"(["a a"])");
  EXPECT_EQ(t->encode("aaa", false), (std::vector<TokenId>{1, 0}));
  EXPECT_EQ(t->encode("aaaa", false), (std::vector<TokenId>{1, 1}));
  EXPECT_EQ(t->encode("aaa", false), (std::vector<TokenId>{1, 0}));  // again, from the word cache
}

TEST(Bpe, BetterRankMergesFirst) {
  auto t = tiny(R"({"a": 0, "b": 1, "c": 2, "ab": 3, "bc": 4})", R"([["b", "c"], ["a", "b"]])");
  EXPECT_EQ(t->encode("abc", false), (std::vector<TokenId>{0, 4}));
  EXPECT_EQ(t->encode("ab", false), (std::vector<TokenId>{3}));
  EXPECT_EQ(t->decode({0, 4}), "abc");
}

TEST(Bpe, IgnoreMergesTakesWholeWords) {
  auto without = tiny(R"({"a": 0, "b": 1, "c": 2, "abc": 3, "ab": 4})", R"(["a b"])");
  auto with = tiny(R"({"a": 0, "b": 1, "c": 2, "abc": 3, "ab": 4})", R"(["a b"])", true);
  EXPECT_EQ(without->encode("abc", false), (std::vector<TokenId>{4, 2}));
  EXPECT_EQ(with->encode("abc", false), (std::vector<TokenId>{3}));
}

TEST(Bpe, BytesMissingFromTheVocabularyAreDropped) {
  auto t = tiny(R"({"a": 0, "b": 1, "ab": 2})", R"(["a b"])");
  EXPECT_EQ(t->encode("axb", false), (std::vector<TokenId>{2}));  // as the reference does without unk_token
}

}  // namespace
}  // namespace lq
