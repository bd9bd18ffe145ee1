// StreamDecoder (declared in bpe_tokenizer.h): holds back the bytes of an unfinished UTF-8 character.
#include "llama_quant/diagnostics.h"
#include "tokenizer/bpe_tokenizer.h"
#include "tokenizer/byte_level_bpe.h"
#include "tokenizer/utf8.h"

namespace lq {

StreamDecoder::StreamDecoder(const Tokenizer& tokenizer, bool skip_special)
    : tokenizer_(dynamic_cast<const BpeTokenizer*>(&tokenizer)), skip_special_(skip_special) {
  if (tokenizer_ == nullptr)
    throw Error(
        "streaming decode needs a byte-level BPE tokenizer (from load_tokenizer_json or make_bpe_tokenizer)");
}

std::string StreamDecoder::push(TokenId id) {
  const std::string& bytes = tokenizer_->token_bytes(id);
  if (skip_special_ && tokenizer_->is_special(id)) return {};
  pending_ += bytes;
  std::string out;
  size_t pos = 0;
  while (pos < pending_.size()) {
    utf8::Sequence seq = utf8::next(std::string_view(pending_).substr(pos));
    if (seq.status == utf8::Status::kIncomplete) break;  // wait for the rest of the character
    if (seq.status == utf8::Status::kValid)
      out.append(pending_, pos, seq.length);
    else
      out += utf8::kReplacement;
    pos += seq.length;
  }
  pending_.erase(0, pos);
  return out;
}

std::string StreamDecoder::flush() {
  std::string out = utf8::sanitize(pending_);
  pending_.clear();
  return out;
}

}  // namespace lq
