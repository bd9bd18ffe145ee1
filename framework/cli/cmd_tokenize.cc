// llama-quant tokenize: text to token ids and back, like llama.cpp's llama-tokenize.
#include <climits>
#include <iomanip>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

#include "command.h"
#include "llama_quant/diagnostics.h"
#include "tokenizer/byte_level_bpe.h"
#include "tokenizer/open_tokenizer.h"
#include "tokenizer/utf8.h"

namespace lq::cli {
namespace {

std::string read_stdin() {
  std::ostringstream s;
  s << std::cin.rdbuf();
  return s.str();
}

// A token's bytes for a terminal: UTF-8 characters as they are, control characters and bytes that are
// not UTF-8 on their own (part of a character split over tokens) escaped.
std::string printable(std::string_view bytes) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  while (!bytes.empty()) {
    utf8::Sequence seq = utf8::next(bytes);
    if (seq.status == utf8::Status::kValid && seq.cp >= 0x20 && seq.cp != 0x7F && seq.cp != '\\' &&
        seq.cp != '\'') {
      out.append(bytes.data(), seq.length);
    } else if (seq.status == utf8::Status::kValid && (seq.cp == '\n' || seq.cp == '\t' || seq.cp == '\r')) {
      out += seq.cp == '\n' ? "\\n" : seq.cp == '\t' ? "\\t" : "\\r";
    } else if (seq.status == utf8::Status::kValid && (seq.cp == '\\' || seq.cp == '\'')) {
      out += '\\';
      out += static_cast<char>(seq.cp);
    } else {
      for (size_t i = 0; i < seq.length; ++i) {
        auto b = static_cast<unsigned char>(bytes[i]);
        out += "\\x";
        out += hex[b >> 4];
        out += hex[b & 15];
      }
    }
    bytes.remove_prefix(seq.length);
  }
  return out;
}

std::string token_text(const Tokenizer& t, TokenId id) {
  if (const auto* bpe = dynamic_cast<const BpeTokenizer*>(&t)) return bpe->token_bytes(id);
  return t.decode({id});
}

// Ids as a JSON array or separated by spaces or commas.
std::vector<TokenId> parse_ids(const std::string& text) {
  std::string s = text;
  for (char& c : s)
    if (c == ',' || c == '[' || c == ']') c = ' ';
  std::istringstream in(s);
  std::vector<TokenId> ids;
  for (std::string word; in >> word;) {
    size_t used = 0;
    long long v = 0;
    try {
      v = std::stoll(word, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != word.size() || v < INT32_MIN || v > INT32_MAX)
      throw Error("--decode: '" + word + "' is not a token id");
    ids.push_back(static_cast<TokenId>(v));
  }
  return ids;
}

int run_tokenize(Args& args) {
  bool as_json = args.flag("json");
  bool decode = args.flag("decode");
  bool no_special = args.flag("no-special");
  bool skip_special = args.flag("skip-special");
  std::vector<std::string> positional = args.finish();
  if (positional.empty() || positional.size() > 2) throw UsageError("expected TOKENIZER [TEXT]");
  std::shared_ptr<Tokenizer> tokenizer = open_tokenizer(positional[0]);
  std::string input = positional.size() == 2 ? positional[1] : read_stdin();

  if (decode) {
    std::cout << tokenizer->decode(parse_ids(input), skip_special);
    return kExitOk;
  }
  std::vector<TokenId> ids = tokenizer->encode(input, !no_special);
  if (as_json) {
    std::cout << nlohmann::json(ids).dump() << "\n";
    return kExitOk;
  }
  for (TokenId id : ids)
    std::cout << std::setw(7) << id << " -> '" << printable(token_text(*tokenizer, id)) << "'\n";
  return kExitOk;
}

const RegisterVerb registered{
    {"tokenize", "turn text into token ids (or ids back into text) with a model's tokenizer",
     "usage: llama-quant tokenize TOKENIZER [TEXT] [--json] [--no-special]\n"
     "       llama-quant tokenize TOKENIZER --decode [IDS] [--skip-special]\n\n"
     "TOKENIZER is a tokenizer.json, a folder holding one, a GGUF file or a model folder. TEXT (or IDS)\n"
     "is read from standard input when not given.\n\n"
     "  --json          print the ids as one JSON array instead of one 'id -> piece' line per token\n"
     "  --no-special    do not add what the model puts around a text (BOS)\n"
     "  --decode        read ids (a JSON array, or separated by spaces or commas) and print their text\n"
     "  --skip-special  with --decode, leave out special tokens such as <|eot_id|>\n",
     run_tokenize}};

}  // namespace
}  // namespace lq::cli
