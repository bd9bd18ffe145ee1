// Reading the tokenizer fixtures of tests/fixtures/tokenizer (made by scripts/fixtures/tokenizer_parity.py).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "llama_quant/tokenizer.h"

namespace lq::test {

inline std::filesystem::path tokenizer_fixtures() {
  return std::filesystem::path(LQ_TEST_DIR) / "fixtures/tokenizer";
}

struct ParityCase {
  std::string name;
  std::string text;                  // raw bytes, possibly invalid UTF-8
  std::vector<TokenId> ids;          // encode(text, add_special=true)
  std::vector<TokenId> ids_plain;    // encode(text, add_special=false)
  std::string decoded;               // the reference's decode(ids)
  std::string decoded_skip_special;  // ... with skip_special
};

// <model>/tokenizer.json, loaded once per test binary (Llama 3's takes a while).
std::shared_ptr<Tokenizer> fixture_tokenizer(const std::string& model);

// The cases of <model>/parity.json.
std::vector<ParityCase> read_parity_cases(const std::string& model);

std::string from_hex(const std::string& hex);
std::string read_text_file(const std::filesystem::path& path);

}  // namespace lq::test
