// SHA-256 (FIPS 180-4), for content hashes such as an experiment's config_hash. Plain C++, no libtorch.
#pragma once

#include <cstdint>
#include <string>

namespace lq {

// Lower-case hex digest of `data`.
std::string sha256_hex(const std::string& data);

}  // namespace lq
