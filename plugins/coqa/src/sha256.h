// SHA-256 (FIPS 180-4), for checking the official CoQA file and hashing prompts in records.
#pragma once

#include <string>
#include <string_view>

namespace lq::coqa {

// Lower-case hex digest of `data`.
std::string sha256_hex(std::string_view data);

}  // namespace lq::coqa
