// StreamDecoder: text comes out only when a UTF-8 character is complete.
#include <gtest/gtest.h>

#include "fixtures.h"
#include "llama_quant/diagnostics.h"
#include "tokenizer/bpe_tokenizer.h"
#include "tokenizer/byte_level_bpe.h"

namespace lq {
namespace {

class Stream : public ::testing::Test {
 protected:
  std::shared_ptr<Tokenizer> t_ = test::fixture_tokenizer("llama3");

  // The token that is exactly one byte.
  TokenId byte_token(unsigned char b) const {
    const auto& bpe = dynamic_cast<const BpeTokenizer&>(*t_);
    for (TokenId id = 0; id < bpe.vocab_size(); ++id)
      if (bpe.token_bytes(id) == std::string(1, static_cast<char>(b))) return id;
    ADD_FAILURE() << "no token for byte " << int(b);
    return 0;
  }
};

TEST_F(Stream, HoldsBackAPartialCharacter) {
  StreamDecoder d(*t_);
  EXPECT_EQ(d.push(byte_token(0xE2)), "");
  EXPECT_EQ(d.push(byte_token(0x82)), "");
  EXPECT_EQ(d.push(byte_token(0xAC)), "\xE2\x82\xAC");  // the euro sign, whole
  EXPECT_EQ(d.push(byte_token(0xF0)), "");
  EXPECT_EQ(d.push(byte_token(0x9F)), "");
  EXPECT_EQ(d.push(byte_token(0x98)), "");
  EXPECT_EQ(d.push(byte_token(0x80)), "\xF0\x9F\x98\x80");  // an emoji
  EXPECT_EQ(d.flush(), "");
}

TEST_F(Stream, TextBeforeAPartialCharacterComesOutAtOnce) {
  StreamDecoder d(*t_);
  std::vector<TokenId> hello = t_->encode(" hello", false);
  ASSERT_EQ(hello.size(), 1u);
  EXPECT_EQ(d.push(hello[0]), " hello");
  EXPECT_EQ(d.push(byte_token(0xC3)), "");
  EXPECT_EQ(d.push(byte_token(0xA9)), "\xC3\xA9");
}

TEST_F(Stream, ImpossibleBytesBecomeReplacementCharacters) {
  StreamDecoder d(*t_);
  EXPECT_EQ(d.push(byte_token(0xFF)), "\xEF\xBF\xBD");  // can never start a character
  EXPECT_EQ(d.push(byte_token(0xE2)), "");
  EXPECT_EQ(d.push(byte_token('a')),
            "\xEF\xBF\xBD"
            "a");  // the character was cut short
  EXPECT_EQ(d.push(byte_token(0xF0)), "");
  EXPECT_EQ(d.push(byte_token(0x9F)), "");
  EXPECT_EQ(d.flush(), "\xEF\xBF\xBD");  // an unfinished character at the end
  EXPECT_EQ(d.flush(), "");
  // The same ids in one decode give the same text.
  EXPECT_EQ(
      t_->decode({byte_token(0xFF), byte_token(0xE2), byte_token('a'), byte_token(0xF0), byte_token(0x9F)}),
      "\xEF\xBF\xBD\xEF\xBF\xBD"
      "a\xEF\xBF\xBD");
}

TEST_F(Stream, SkipsSpecialTokensWhenAsked) {
  StreamDecoder skip(*t_, true), keep(*t_, false);
  EXPECT_EQ(skip.push(128009), "");
  EXPECT_EQ(keep.push(128009), "<|eot_id|>");
}

TEST_F(Stream, BadIdIsAnError) {
  StreamDecoder d(*t_);
  EXPECT_THROW(d.push(128256), Error);
  EXPECT_THROW(d.push(-1), Error);
  EXPECT_THROW(t_->decode({5, 999999}), Error);
}

TEST(StreamDecoder, NeedsAByteLevelTokenizer) {
  struct Other : Tokenizer {
    std::vector<TokenId> encode(std::string_view, bool) const override { return {}; }
    std::string decode(const std::vector<TokenId>&, bool) const override { return {}; }
    int64_t vocab_size() const override { return 0; }
    TokenId bos_id() const override { return -1; }
    std::vector<TokenId> eos_ids() const override { return {}; }
  } other;
  EXPECT_THROW(StreamDecoder{other}, Error);
}

}  // namespace
}  // namespace lq
