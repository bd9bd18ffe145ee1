#include "tokenizer/byte_level.h"

#include <array>

#include "tokenizer/utf8.h"

namespace lq::byte_level {
namespace {

struct Alphabet {
  std::array<char32_t, 256> to_char{};
  std::array<int16_t, 512> to_byte{};  // every alphabet character is below U+0200; -1: not in it
};

const Alphabet& alphabet() {
  static const Alphabet a = [] {
    Alphabet t;
    t.to_byte.fill(-1);
    char32_t next_extra = 256;  // bytes that are not printable get U+0100, U+0101, ... in byte order
    for (int b = 0; b < 256; ++b) {
      bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      t.to_char[b] = printable ? static_cast<char32_t>(b) : next_extra++;
      t.to_byte[t.to_char[b]] = static_cast<int16_t>(b);
    }
    return t;
  }();
  return a;
}

}  // namespace

char32_t byte_to_char(uint8_t b) { return alphabet().to_char[b]; }

std::optional<std::string> to_bytes(std::string_view token) {
  const Alphabet& a = alphabet();
  std::string out;
  out.reserve(token.size());
  while (!token.empty()) {
    utf8::Sequence seq = utf8::next(token);
    if (seq.status != utf8::Status::kValid || seq.cp >= a.to_byte.size() || a.to_byte[seq.cp] < 0)
      return std::nullopt;
    out += static_cast<char>(a.to_byte[seq.cp]);
    token.remove_prefix(seq.length);
  }
  return out;
}

std::string decode_token(std::string_view token) {
  std::optional<std::string> bytes = to_bytes(token);
  return bytes ? *bytes : std::string(token);
}

}  // namespace lq::byte_level
