#include "tokenizer/utf8.h"

namespace lq::utf8 {

Sequence next(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const unsigned char b0 = p[0];
  if (b0 < 0x80) return {Status::kValid, 1, b0};
  size_t need;
  unsigned char lo = 0x80, hi = 0xBF;  // range of the second byte (excludes overlongs and surrogates)
  char32_t cp;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 2;
    cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 3;
    cp = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 4;
    cp = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return {Status::kInvalid, 1, 0};
  }
  for (size_t i = 1; i < need; ++i) {
    if (i >= s.size()) return {Status::kIncomplete, i, 0};
    const unsigned char b = p[i];
    if (b < (i == 1 ? lo : 0x80) || b > (i == 1 ? hi : 0xBF)) return {Status::kInvalid, i, 0};
    cp = (cp << 6) | (b & 0x3F);
  }
  return {Status::kValid, need, cp};
}

void append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool is_valid(std::string_view s) {
  while (!s.empty()) {
    Sequence seq = next(s);
    if (seq.status != Status::kValid) return false;
    s.remove_prefix(seq.length);
  }
  return true;
}

std::string sanitize(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  while (!s.empty()) {
    Sequence seq = next(s);
    if (seq.status == Status::kValid)
      out.append(s.data(), seq.length);
    else
      out += kReplacement;
    s.remove_prefix(seq.length);
  }
  return out;
}

}  // namespace lq::utf8
