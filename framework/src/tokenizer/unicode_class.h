// The code point classes the pre-tokenizer splits on: \p{L}, \p{N} and \s as the reference regex engine
// sees them. The table is generated (unicode_table.cc, Unicode 16.0.0).
#pragma once

#include <cstddef>
#include <cstdint>

namespace lq::unicode {

enum CharClass : uint8_t { kOther = 0, kLetter = 1, kNumber = 2, kSpace = 4 };

struct CodepointRange {
  char32_t first;
  char32_t last;
  uint8_t classes;
};

extern const CodepointRange kClassRanges[];
extern const size_t kClassRangeCount;

// A CharClass bit set; kOther for unassigned code points and everything else.
uint8_t char_class(char32_t cp);

}  // namespace lq::unicode
