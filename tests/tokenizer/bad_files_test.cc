// Bad tokenizer files give an lq::Error that names the file and what was wrong.
#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>

#include "llama_quant/diagnostics.h"
#include "tokenizer/bpe_tokenizer.h"
#include "../support/remove_tree.h"

namespace lq {
namespace {

class BadFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("lq_bad_tokenizer_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { lq::test::remove_tree(dir_); }

  // Writes `content` as tokenizer.json and expects loading it to fail with `message` in the error.
  void expect_error(const std::string& content, const std::string& message) {
    auto path = dir_ / "tokenizer.json";
    std::ofstream(path, std::ios::trunc) << content;
    try {
      load_tokenizer_json(path);
      ADD_FAILURE() << "no error for: " << content;
    } catch (const Error& e) {
      std::string what = e.what();
      EXPECT_NE(what.find(path.string()), std::string::npos) << what;
      EXPECT_NE(what.find(message), std::string::npos) << what;
    }
  }
  static std::string with_model(const std::string& model, const std::string& rest = "") {
    return R"({"model": )" + model +
           R"(, "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false}, "decoder": {"type": "ByteLevel"})" +
           rest + "}";
  }
  std::filesystem::path dir_;
};

TEST_F(BadFile, Missing) {
  try {
    load_tokenizer_json(dir_ / "nope.json");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("nope.json: cannot open"), std::string::npos) << e.what();
  }
}

TEST_F(BadFile, NotJson) { expect_error("{\"model\": {", "not valid JSON"); }
TEST_F(BadFile, Empty) { expect_error("", "not valid JSON"); }
TEST_F(BadFile, NotAnObject) { expect_error("[1, 2]", "expected a JSON object"); }
TEST_F(BadFile, NoModel) { expect_error(R"({"decoder": {"type": "ByteLevel"}})", "has no 'model'"); }
TEST_F(BadFile, UnknownModelType) {
  expect_error(with_model(R"({"type": "WordPiece", "vocab": {}})"),
               "model type 'WordPiece' is not supported");
}
TEST_F(BadFile, MergeOfUnknownToken) {
  expect_error(with_model(R"({"type": "BPE", "vocab": {"a": 0, "ab": 1}, "merges": ["a b"]})"),
               "merge 0 ('a b') names the token 'b', which is not in the vocabulary");
}
TEST_F(BadFile, MergedTokenMissing) {
  expect_error(with_model(R"({"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": [["a", "b"]]})"),
               "the merged token 'ab'");
}
TEST_F(BadFile, MalformedMerge) {
  expect_error(with_model(R"({"type": "BPE", "vocab": {"a": 0}, "merges": ["a"]})"),
               "merge 0 'a' is not two tokens");
  expect_error(with_model(R"({"type": "BPE", "vocab": {"a": 0}, "merges": [7]})"), "merge 0 must be");
}
TEST_F(BadFile, WrongTypes) {
  expect_error(with_model(R"({"type": "BPE", "vocab": ["a"], "merges": []})"),
               "model.vocab must be an object");
  expect_error(with_model(R"({"type": "BPE", "vocab": {"a": "zero"}, "merges": []})"),
               "must be an integer id");
  expect_error(with_model(R"({"type": "BPE", "vocab": {"a": -4}, "merges": []})"), "token id -4");
  expect_error(with_model(R"({"type": "BPE", "vocab": {}, "merges": []})"), "the vocabulary is empty");
}
TEST_F(BadFile, UnsupportedPieces) {
  const std::string bpe = R"({"type": "BPE", "vocab": {"a": 0}, "merges": []})";
  expect_error(R"({"model": )" + bpe +
                   R"(, "pre_tokenizer": {"type": "Metaspace"}, "decoder": {"type": "ByteLevel"}})",
               "pre_tokenizer type 'Metaspace' is not supported");
  expect_error(R"({"model": )" + bpe + R"(, "decoder": {"type": "ByteLevel"}})", "must end with ByteLevel");
  expect_error(R"({"model": )" + bpe + R"(, "pre_tokenizer": {"type": "ByteLevel"}})",
               "decoder must be ByteLevel");
  expect_error(with_model(bpe, R"(, "normalizer": {"type": "NFC"})"), "normalizer is not supported");
  expect_error(with_model(bpe, R"(, "post_processor": {"type": "BertProcessing"})"),
               "post_processor type 'BertProcessing'");
  expect_error(with_model(bpe, R"(, "added_tokens": [{"id": 1, "content": "<x>", "lstrip": true}])"),
               "added token '<x>': lstrip is not supported");
  expect_error(with_model(R"({"type": "BPE", "vocab": {"a": 0}, "merges": [], "dropout": 0.1})"), "dropout");
  expect_error(
      R"({"model": )" + bpe +
          R"(, "pre_tokenizer": {"type": "Split", "pattern": {"Regex": "\\w+"}, "behavior": "Isolated"}, "decoder": {"type": "ByteLevel"}})",
      "only the Llama 3 regex");
}

}  // namespace
}  // namespace lq
