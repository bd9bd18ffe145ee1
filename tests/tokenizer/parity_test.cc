// Same ids as Hugging Face `tokenizers` on story prose and a torture list, for Llama 3 and SmolLM2, and
// decode(encode(x)) == x (with invalid UTF-8 replaced, as the reference yields it).
#include <gtest/gtest.h>

#include "fixtures.h"
#include "tokenizer/bpe_tokenizer.h"

namespace lq {
namespace {

using test::ParityCase;

class Parity : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    tokenizer_ = test::fixture_tokenizer(GetParam());
    cases_ = test::read_parity_cases(GetParam());
  }
  std::shared_ptr<Tokenizer> tokenizer_;
  std::vector<ParityCase> cases_;
};

TEST_P(Parity, EncodeGivesTheReferenceIds) {
  for (const ParityCase& c : cases_) {
    EXPECT_EQ(tokenizer_->encode(c.text, true), c.ids) << c.name;
    EXPECT_EQ(tokenizer_->encode(c.text, false), c.ids_plain) << c.name;
  }
}

TEST_P(Parity, DecodeGivesTheReferenceText) {
  for (const ParityCase& c : cases_) {
    EXPECT_EQ(tokenizer_->decode(c.ids, false), c.decoded) << c.name;
    EXPECT_EQ(tokenizer_->decode(c.ids, true), c.decoded_skip_special) << c.name;
  }
}

TEST_P(Parity, DecodeInvertsEncode) {
  for (const ParityCase& c : cases_) {
    // The reference's decode is the text itself, invalid UTF-8 aside; check that, then ours against it.
    if (c.name.find("invalid") == std::string::npos) {
      ASSERT_EQ(c.decoded, c.text) << c.name;
    }
    EXPECT_EQ(tokenizer_->decode(tokenizer_->encode(c.text, false)), c.decoded) << c.name;
  }
}

TEST_P(Parity, StreamingDecodeMatchesDecode) {
  for (const ParityCase& c : cases_) {
    for (bool skip : {false, true}) {
      StreamDecoder stream(*tokenizer_, skip);
      std::string text;
      for (TokenId id : c.ids) text += stream.push(id);
      text += stream.flush();
      EXPECT_EQ(text, skip ? c.decoded_skip_special : c.decoded) << c.name;
    }
  }
}

TEST_P(Parity, ReferenceCorpusIsBroad) {
  size_t invalid = 0, fuzz = 0, story = 0;
  for (const ParityCase& c : cases_) {
    invalid += c.name.rfind("torture/invalid", 0) == 0;
    fuzz += c.name.rfind("fuzz/", 0) == 0;
    story += c.name.rfind("story/", 0) == 0;
  }
  EXPECT_GE(invalid, 10u);
  EXPECT_GE(fuzz, 100u);
  EXPECT_GE(story, 5u);
}

INSTANTIATE_TEST_SUITE_P(Tokenizers, Parity, ::testing::Values("llama3", "smollm2"));

}  // namespace
}  // namespace lq
