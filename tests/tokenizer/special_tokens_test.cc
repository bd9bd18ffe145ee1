// Added tokens written in text, BOS/EOS from the files beside tokenizer.json, and a BOS post-processor.
#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "fixtures.h"
#include "tokenizer/bpe_tokenizer.h"
#include "../support/remove_tree.h"

namespace lq {
namespace {

TEST(SpecialTokens, Llama3ChatMarkersAreSingleTokens) {
  auto t = test::fixture_tokenizer("llama3");
  std::vector<TokenId> ids = t->encode("<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>", false);
  ASSERT_GE(ids.size(), 4u);
  EXPECT_EQ(ids.front(), 128006);
  EXPECT_EQ(ids[2], 128007);
  EXPECT_EQ(ids.back(), 128009);
  EXPECT_EQ(t->decode(ids, true), "user\n\nHi");
  EXPECT_EQ(t->decode(ids, false), "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>");
  // Not a marker: a piece missing.
  for (TokenId id : t->encode("<|eot_id", false)) EXPECT_LT(id, 128000);
}

TEST(SpecialTokens, BosAndEosComeFromTokenizerConfig) {
  auto llama = test::fixture_tokenizer("llama3");
  EXPECT_EQ(llama->vocab_size(), 128256);
  EXPECT_EQ(llama->bos_id(), 128000);
  EXPECT_EQ(llama->eos_ids(), std::vector<TokenId>{128001});
  // This tokenizer.json's post-processor adds nothing: no BOS even with add_special.
  EXPECT_EQ(llama->encode("Hi", true), llama->encode("Hi", false));

  auto smol = test::fixture_tokenizer("smollm2");
  EXPECT_EQ(smol->bos_id(), 1);
  EXPECT_EQ(smol->eos_ids(), std::vector<TokenId>{2});
  EXPECT_EQ(smol->encode("<|im_start|>assistant\n", false).front(), 1);
}

// A copy of the Llama 3 tokenizer.json with Llama 3.2's post-processor, in a folder of its own.
std::filesystem::path llama32_tokenizer_json(const nlohmann::json& post_processor) {
  auto dir = std::filesystem::temp_directory_path() / ("lq_tokenizer_llama32_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto root =
      nlohmann::json::parse(test::read_text_file(test::tokenizer_fixtures() / "llama3/tokenizer.json"));
  root["post_processor"] = post_processor;
  std::ofstream(dir / "tokenizer.json") << root.dump();
  std::ofstream(dir / "generation_config.json") << R"({"eos_token_id": [128001, 128008, 128009]})";
  return dir / "tokenizer.json";
}

TEST(SpecialTokens, TemplatePostProcessorAddsBos) {
  auto fixture = nlohmann::json::parse(
      test::read_text_file(test::tokenizer_fixtures() / "llama3/parity_llama32_post_processor.json"));
  auto path = llama32_tokenizer_json(fixture.at("post_processor"));
  auto t = load_tokenizer_json(path);
  lq::test::remove_tree(path.parent_path());
  EXPECT_EQ(t->bos_id(), 128000);  // no tokenizer_config.json: the post-processor's first token
  EXPECT_EQ(t->eos_ids(), (std::vector<TokenId>{128001, 128008, 128009}));
  ASSERT_GE(fixture.at("cases").size(), 20u);
  for (const auto& c : fixture.at("cases")) {
    std::string text = test::from_hex(c.at("hex").get<std::string>());
    EXPECT_EQ(t->encode(text, true), c.at("ids").get<std::vector<TokenId>>()) << c.at("name");
    EXPECT_EQ(t->encode(text, false), c.at("ids_plain").get<std::vector<TokenId>>()) << c.at("name");
  }
}

// encode() is const and shares a word cache: threads encoding at once must agree with one thread.
TEST(Concurrency, ThreadsEncodingAtOnceAgree) {
  auto t = test::fixture_tokenizer("llama3");
  auto cases = test::read_parity_cases("llama3");
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int k = 0; k < 4; ++k)
    threads.emplace_back([&, k] {
      for (size_t i = k; i < cases.size() * 2; i += 3)
        mismatches[k] += t->encode(cases[i % cases.size()].text) != cases[i % cases.size()].ids;
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

}  // namespace
}  // namespace lq
