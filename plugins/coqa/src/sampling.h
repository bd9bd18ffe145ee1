// Which stories an evaluation covers: all, the first N, or a reproducible random N.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace lq::coqa {

// Indices into the `total` stories, ascending. No limit: all of them. limit alone: the first `limit`.
// limit and seed: `limit` stories drawn without replacement by a partial Fisher-Yates shuffle of
// 0..total-1 driven by SplitMix64 seeded with `seed` (step i swaps i with i + r % (total - i), r drawn
// by rejection so every index is equally likely), then sorted. A limit above total takes every story;
// a limit below 1 is an lq::Error.
std::vector<size_t> select_stories(size_t total, std::optional<int64_t> limit, std::optional<uint64_t> seed);

// SplitMix64 (Steele, Lea, Flood 2014): a tiny generator that gives the same stream on every platform.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t next();
  // Uniform in [0, bound), bound > 0, without modulo bias.
  uint64_t below(uint64_t bound);

 private:
  uint64_t state_;
};

}  // namespace lq::coqa
