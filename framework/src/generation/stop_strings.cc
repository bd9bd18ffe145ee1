#include "generation/stop_strings.h"

namespace lq {

std::optional<size_t> find_stop(const std::string& text, const std::vector<std::string>& stops) {
  std::optional<size_t> first;
  for (const std::string& stop : stops) {
    if (stop.empty()) continue;
    size_t pos = text.find(stop);
    if (pos != std::string::npos && (!first || pos < *first)) first = pos;
  }
  return first;
}

}  // namespace lq
