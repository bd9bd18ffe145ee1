// make_bpe_tokenizer from GGUF-style metadata: the fixtures' vocabularies handed over as a GGUF loader
// would, and the real SmolLM2 GGUF when models/ has it.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "fixtures.h"
#include "llama_quant/diagnostics.h"
#include "model/model_files.h"
#include "tokenizer/bpe_tokenizer.h"

namespace lq {
namespace {

// What tokenizer.ggml.* would hold for a fixture's tokenizer.json: added tokens are control tokens.
BpeVocabulary vocabulary_of(const std::string& model, const std::string& pre) {
  auto root =
      nlohmann::json::parse(test::read_text_file(test::tokenizer_fixtures() / model / "tokenizer.json"));
  BpeVocabulary v;
  v.pre = pre;
  const auto& vocab = root.at("model").at("vocab");
  v.tokens.resize(vocab.size() + root.at("added_tokens").size());
  v.token_types.assign(v.tokens.size(), 1);
  size_t used = 0;
  for (auto it = vocab.begin(); it != vocab.end(); ++it)
    v.tokens.at(it.value().get<size_t>()) = it.key(), ++used;
  for (const auto& a : root.at("added_tokens")) {
    size_t id = a.at("id").get<size_t>();
    used += v.tokens.at(id).empty();
    v.tokens.at(id) = a.at("content").get<std::string>();
    v.token_types.at(id) = 3;
  }
  v.tokens.resize(used);
  v.token_types.resize(used);
  for (const auto& m : root.at("model").at("merges"))
    v.merges.push_back(m.is_string() ? m.get<std::string>()
                                     : m[0].get<std::string>() + " " + m[1].get<std::string>());
  return v;
}

TEST(GgufVocabulary, SmolLM2MatchesTheReference) {
  BpeVocabulary v = vocabulary_of("smollm2", "smollm");
  v.bos = 1;
  v.eos = {2};
  v.add_bos = false;
  auto tokenizer = make_bpe_tokenizer(std::move(v), "smollm2.gguf");
  EXPECT_EQ(tokenizer->vocab_size(), 49152);
  EXPECT_EQ(tokenizer->bos_id(), 1);
  EXPECT_EQ(tokenizer->eos_ids(), std::vector<TokenId>{2});
  for (const auto& c : test::read_parity_cases("smollm2")) {
    EXPECT_EQ(tokenizer->encode(c.text, true), c.ids) << c.name;
    EXPECT_EQ(tokenizer->decode(c.ids), c.decoded) << c.name;
  }
}

TEST(GgufVocabulary, Llama3AddsBosWhenAsked) {
  BpeVocabulary v = vocabulary_of("llama3", "llama-bpe");
  v.bos = 128000;
  v.eos = {128001, 128009};
  auto tokenizer = make_bpe_tokenizer(std::move(v), "llama3.gguf");
  EXPECT_EQ(tokenizer->vocab_size(), 128256);
  for (const auto& c : test::read_parity_cases("llama3")) {
    std::vector<TokenId> with_bos{128000};
    with_bos.insert(with_bos.end(), c.ids_plain.begin(), c.ids_plain.end());
    EXPECT_EQ(tokenizer->encode(c.text, true), with_bos) << c.name;
    EXPECT_EQ(tokenizer->encode(c.text, false), c.ids_plain) << c.name;
  }
}

void expect_error(BpeVocabulary v, const std::string& what) {
  try {
    make_bpe_tokenizer(std::move(v), "bad.gguf");
    ADD_FAILURE() << "no error for " << what;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.gguf"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
  }
}

BpeVocabulary tiny() {
  BpeVocabulary v;
  v.tokens = {"a", "b", "ab"};
  v.merges = {"a b"};
  v.pre = "gpt2";
  return v;
}

TEST(GgufVocabulary, BadMetadataIsAClearError) {
  BpeVocabulary v = tiny();
  v.pre = "default";
  expect_error(v, "tokenizer.ggml.pre 'default' is not supported");
  v = tiny();
  v.merges = {"a c"};
  expect_error(v, "'c', which is not in the vocabulary");
  v = tiny();
  v.merges = {"b a"};
  expect_error(v, "merged token 'ba'");
  v = tiny();
  v.merges = {"ab"};
  expect_error(v, "not two tokens separated by one space");
  v = tiny();
  v.token_types = {1};
  expect_error(v, "token_type has 1 entries for 3 tokens");
  v = tiny();
  v.tokens.clear();
  expect_error(v, "tokens is empty");
  v = tiny();
  v.eos = {7};
  expect_error(v, "EOS token id 7");
}

TEST(GgufVocabulary, RealSmolLM2File) {
  auto path = std::filesystem::path(LQ_SOURCE_DIR) / "models/SmolLM2-135M-Instruct.Q4_1.gguf";
  if (!std::filesystem::exists(path))
    GTEST_SKIP() << path << " is absent (scripts/fetch-models.sh fetches it)";
  auto tokenizer = open_model_files(path).tokenizer;
  ASSERT_TRUE(tokenizer);
  EXPECT_EQ(tokenizer->bos_id(), 1);
  EXPECT_EQ(tokenizer->eos_ids(), std::vector<TokenId>{2});
  for (const auto& c : test::read_parity_cases("smollm2")) {
    EXPECT_EQ(tokenizer->encode(c.text, true), c.ids) << c.name;
    EXPECT_EQ(tokenizer->decode(c.ids), c.decoded) << c.name;
  }
}

}  // namespace
}  // namespace lq
