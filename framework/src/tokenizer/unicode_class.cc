#include "tokenizer/unicode_class.h"

#include <algorithm>
#include <array>

namespace lq::unicode {
namespace {

uint8_t lookup(char32_t cp) {
  const CodepointRange* end = kClassRanges + kClassRangeCount;
  const CodepointRange* it = std::upper_bound(
      kClassRanges, end, cp, [](char32_t c, const CodepointRange& r) { return c < r.first; });
  if (it == kClassRanges) return kOther;
  --it;
  return cp <= it->last ? it->classes : uint8_t{kOther};
}

// Most text is Latin: its classes come from a table instead of a binary search.
const std::array<uint8_t, 0x800>& low_table() {
  static const std::array<uint8_t, 0x800> table = [] {
    std::array<uint8_t, 0x800> t{};
    for (char32_t cp = 0; cp < t.size(); ++cp) t[cp] = lookup(cp);
    return t;
  }();
  return table;
}

}  // namespace

uint8_t char_class(char32_t cp) {
  if (cp < 0x800) return low_table()[cp];
  return lookup(cp);
}

}  // namespace lq::unicode
