// Overflow-checked size arithmetic for parsers of untrusted files: every offset and byte count a file
// header claims goes through these, so that a lying header becomes an lq::Error instead of a wrap-around.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "llama_quant/diagnostics.h"

namespace lq::io {

// a + b; throws lq::Error("<what>: ... overflows") when the sum does not fit in 64 bits.
inline uint64_t checked_add(uint64_t a, uint64_t b, const std::string& what) {
  uint64_t r;
  if (__builtin_add_overflow(a, b, &r)) throw Error(what + ": size arithmetic overflows 64 bits");
  return r;
}

inline uint64_t checked_mul(uint64_t a, uint64_t b, const std::string& what) {
  uint64_t r;
  if (__builtin_mul_overflow(a, b, &r)) throw Error(what + ": size arithmetic overflows 64 bits");
  return r;
}

// The product of a tensor's dimensions (none negative); throws when it does not fit in int64.
inline int64_t checked_numel(const std::vector<int64_t>& dims, const std::string& what) {
  uint64_t n = 1;
  for (int64_t d : dims) {
    if (d < 0) throw Error(what + ": negative dimension " + std::to_string(d));
    n = checked_mul(n, static_cast<uint64_t>(d), what);
  }
  if (n > static_cast<uint64_t>(INT64_MAX)) throw Error(what + ": element count overflows int64");
  return static_cast<int64_t>(n);
}

}  // namespace lq::io
