// Stop strings: where generated text must be cut.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace lq {

// The position of the earliest occurrence of any of `stops` in `text` (empty stops are ignored), or
// nothing. Searching the whole decoded text, not the last token, finds a stop split across tokens.
std::optional<size_t> find_stop(const std::string& text, const std::vector<std::string>& stops);

}  // namespace lq
