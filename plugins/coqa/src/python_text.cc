#include "python_text.h"

#include <algorithm>
#include <cstdint>
#include <iterator>

namespace lq::coqa {
namespace {

struct CodeRange {
  char32_t lo, hi;
};
struct LowerMapping {
  char32_t from;
  char32_t to[2];  // second code point 0 when the mapping is one code point
};

#include "python_unicode_tables.inc"

template <size_t N>
bool in_ranges(const CodeRange (&table)[N], char32_t c) {
  auto it = std::upper_bound(std::begin(table), std::end(table), c,
                             [](char32_t v, const CodeRange& r) { return v < r.lo; });
  return it != std::begin(table) && c <= std::prev(it)->hi;
}

bool cased(char32_t c) { return in_ranges(kCased, c); }
bool case_ignorable(char32_t c) { return in_ranges(kCaseIgnorable, c); }

// U+03A3 lowers to final sigma when a cased letter precedes it and none follows, skipping
// case-ignorable characters both ways (CPython's handle_capital_sigma).
bool final_sigma(std::u32string_view text, size_t i) {
  size_t j = i;
  while (j > 0 && case_ignorable(text[j - 1])) --j;
  if (j == 0 || !cased(text[j - 1])) return false;
  size_t k = i + 1;
  while (k < text.size() && case_ignorable(text[k])) ++k;
  return k == text.size() || !cased(text[k]);
}

constexpr char32_t kReplacement = 0xFFFD;

}  // namespace

std::u32string utf8_decode(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  size_t i = 0;
  const size_t n = text.size();
  auto byte = [&](size_t k) { return static_cast<uint8_t>(text[k]); };
  while (i < n) {
    uint8_t b = byte(i);
    if (b < 0x80) {
      out.push_back(b);
      ++i;
      continue;
    }
    int need;
    char32_t cp;
    uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the first continuation byte
    if (b >= 0xC2 && b <= 0xDF) {
      need = 1, cp = b & 0x1F;
    } else if (b >= 0xE0 && b <= 0xEF) {
      need = 2, cp = b & 0x0F;
      if (b == 0xE0) lo = 0xA0;  // no overlong forms
      if (b == 0xED) hi = 0x9F;  // no surrogates
    } else if (b >= 0xF0 && b <= 0xF4) {
      need = 3, cp = b & 0x07;
      if (b == 0xF0) lo = 0x90;
      if (b == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
    } else {
      out.push_back(kReplacement);
      ++i;
      continue;
    }
    size_t k = i + 1;
    bool ok = true;
    for (int m = 0; m < need; ++m, ++k) {
      uint8_t lower_bound = m == 0 ? lo : 0x80, upper_bound = m == 0 ? hi : 0xBF;
      if (k >= n || byte(k) < lower_bound || byte(k) > upper_bound) {
        ok = false;
        break;
      }
      cp = (cp << 6) | (byte(k) & 0x3F);
    }
    // A truncated or broken sequence is replaced as a whole (its maximal valid prefix), and decoding
    // resumes at the offending byte.
    out.push_back(ok ? cp : kReplacement);
    i = k;
  }
  return out;
}

std::string utf8_encode(std::u32string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t c : text) {
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (c < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (c >> 12)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (c >> 18)));
      out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  return out;
}

bool py_isspace(char32_t c) { return in_ranges(kSpace, c); }
bool py_isword(char32_t c) { return in_ranges(kWord, c); }

std::u32string py_lower(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char32_t c = text[i];
    if (c == 0x03A3) {
      out.push_back(final_sigma(text, i) ? 0x03C2 : 0x03C3);
      continue;
    }
    auto it = std::lower_bound(std::begin(kLower), std::end(kLower), c,
                               [](const LowerMapping& m, char32_t v) { return m.from < v; });
    if (it == std::end(kLower) || it->from != c) {
      out.push_back(c);
      continue;
    }
    out.push_back(it->to[0]);
    if (it->to[1]) out.push_back(it->to[1]);
  }
  return out;
}

std::u32string_view py_strip(std::u32string_view text) {
  size_t b = 0, e = text.size();
  while (b < e && py_isspace(text[b])) ++b;
  while (e > b && py_isspace(text[e - 1])) --e;
  return text.substr(b, e - b);
}

std::vector<std::u32string> py_split(std::u32string_view text) {
  std::vector<std::u32string> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && py_isspace(text[i])) ++i;
    size_t start = i;
    while (i < text.size() && !py_isspace(text[i])) ++i;
    if (i > start) out.emplace_back(text.substr(start, i - start));
  }
  return out;
}

const char* python_unicode_version() { return kPythonUnicodeVersion; }

}  // namespace lq::coqa
