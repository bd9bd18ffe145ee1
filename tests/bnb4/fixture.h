// Reads the bitsandbytes fixtures under tests/fixtures/bnb4 (made by scripts/gpu/bnb4_fixtures.sh).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

namespace bnb4_test {

std::filesystem::path fixture_dir();
// The parsed index.json, or null when the fixtures have not been generated yet.
nlohmann::json load_index();
// The raw bytes of a fixture file, which must hold exactly `expected_bytes`; throws lq::Error naming
// the file otherwise.
std::vector<uint8_t> read_bytes(const std::string& file, size_t expected_bytes);

template <class T>
std::vector<T> read_array(const std::string& file, size_t count) {
  std::vector<uint8_t> raw = read_bytes(file, count * sizeof(T));
  std::vector<T> out(count);
  if (count) std::memcpy(out.data(), raw.data(), raw.size());
  return out;
}

}  // namespace bnb4_test
