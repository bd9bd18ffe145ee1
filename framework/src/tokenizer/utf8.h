// UTF-8 decoding that treats invalid bytes the way Python's errors="replace" and Rust's
// String::from_utf8_lossy do: each maximal invalid subpart becomes one U+FFFD.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace lq::utf8 {

enum class Status { kValid, kInvalid, kIncomplete };

struct Sequence {
  Status status;
  size_t length;  // bytes consumed: the character, the maximal invalid subpart, or the incomplete tail
  char32_t cp;    // the character when kValid
};

// Reads one character at the start of `s` (non-empty). kIncomplete: the bytes are a valid beginning of
// a character that `s` ends before finishing.
Sequence next(std::string_view s);

void append(std::string& out, char32_t cp);

inline constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

bool is_valid(std::string_view s);
// `s` with every invalid subpart (and an incomplete tail) replaced by U+FFFD.
std::string sanitize(std::string_view s);

}  // namespace lq::utf8
