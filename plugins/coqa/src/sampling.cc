#include "sampling.h"

#include <algorithm>
#include <llama_quant/diagnostics.h>
#include <numeric>
#include <string>

namespace lq::coqa {

uint64_t SplitMix64::next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t SplitMix64::below(uint64_t bound) {
  // Values under 2^64 mod bound would make the low residues more likely; draw again.
  const uint64_t threshold = (0 - bound) % bound;
  uint64_t r;
  do r = next();
  while (r < threshold);
  return r % bound;
}

std::vector<size_t> select_stories(size_t total, std::optional<int64_t> limit, std::optional<uint64_t> seed) {
  std::vector<size_t> all(total);
  std::iota(all.begin(), all.end(), size_t{0});
  if (!limit) return all;
  if (*limit < 1) throw Error("coqa: limit must be at least 1, got " + std::to_string(*limit));
  const size_t n = std::min(total, static_cast<size_t>(*limit));
  if (!seed) return std::vector<size_t>(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n));
  SplitMix64 rng(*seed);
  for (size_t i = 0; i < n; ++i) std::swap(all[i], all[i + rng.below(total - i)]);
  std::vector<size_t> chosen(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n));
  std::sort(chosen.begin(), chosen.end());
  return chosen;
}

}  // namespace lq::coqa
