// The plain-C++ fp16 / bf16 decoders agree with c10's on every one of the 65536 bit patterns.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "io/half_float.h"

namespace lq {
namespace {

bool same(float a, float b) { return (std::isnan(a) && std::isnan(b)) || std::memcmp(&a, &b, 4) == 0; }

TEST(HalfFloat, MatchesC10OnEveryValue) {
  for (uint32_t bits = 0; bits < 65536; ++bits) {
    const auto b = static_cast<uint16_t>(bits);
    ASSERT_TRUE(same(io::fp16_to_float(b), static_cast<float>(c10::Half(b, c10::Half::from_bits())))) << bits;
    ASSERT_TRUE(same(io::bf16_to_float(b), static_cast<float>(c10::BFloat16(b, c10::BFloat16::from_bits()))))
        << bits;
  }
}

}  // namespace
}  // namespace lq
