// make_bpe_tokenizer: a byte-level BPE tokenizer from a GGUF file's tokenizer.ggml.* metadata.

#include "llama_quant/diagnostics.h"
#include "tokenizer/bpe_tokenizer.h"
#include "tokenizer/byte_level_bpe.h"

namespace lq {
namespace {

constexpr int32_t kControl = 3;
constexpr int32_t kUserDefined = 4;

// tokenizer.ggml.pre -> how llama.cpp splits text for it.
bool split_rules(const std::string& pre, std::vector<SplitRule>& rules, bool& ignore_merges) {
  if (pre == "llama-bpe" || pre == "llama3" || pre == "llama-v3") {
    rules = {SplitRule::kLlama3};
    ignore_merges = true;  // as Llama 3's tokenizer.json says
  } else if (pre == "smollm") {
    rules = {SplitRule::kDigitsIndividual, SplitRule::kGpt2};
  } else if (pre == "gpt2") {
    rules = {SplitRule::kGpt2};
  } else {
    return false;
  }
  return true;
}

}  // namespace

std::shared_ptr<Tokenizer> make_bpe_tokenizer(BpeVocabulary v, const std::string& source) {
  BpeSpec spec;
  spec.source = source;
  if (v.tokens.empty()) throw Error(source + ": tokenizer.ggml.tokens is empty");
  if (!v.token_types.empty() && v.token_types.size() != v.tokens.size())
    throw Error(source + ": tokenizer.ggml.token_type has " + std::to_string(v.token_types.size()) +
                " entries for " + std::to_string(v.tokens.size()) + " tokens");
  if (!split_rules(v.pre, spec.splits, spec.ignore_merges))
    throw Error(source + ": tokenizer.ggml.pre '" + v.pre +
                "' is not supported (expected llama-bpe, smollm or gpt2)");

  spec.vocab.reserve(v.tokens.size());
  for (size_t i = 0; i < v.tokens.size(); ++i) {
    TokenId id = static_cast<TokenId>(i);
    spec.vocab.emplace_back(v.tokens[i], id);
    int32_t type = v.token_types.empty() ? 1 : v.token_types[i];
    if (type == kControl || type == kUserDefined) spec.added.push_back({id, v.tokens[i], type == kControl});
  }
  spec.merges.reserve(v.merges.size());
  for (size_t i = 0; i < v.merges.size(); ++i) {
    const std::string& m = v.merges[i];
    size_t space = m.find(' ');
    if (space == std::string::npos || m.find(' ', space + 1) != std::string::npos)
      throw Error(source + ": tokenizer.ggml.merges[" + std::to_string(i) + "] '" + m +
                  "' is not two tokens separated by one space");
    spec.merges.emplace_back(m.substr(0, space), m.substr(space + 1));
  }
  if (v.add_bos && v.bos >= 0) spec.prefix = {v.bos};
  spec.bos = v.bos;
  spec.eos = std::move(v.eos);
  return std::make_shared<BpeTokenizer>(std::move(spec));
}

}  // namespace lq
