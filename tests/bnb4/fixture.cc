#include "fixture.h"

#include <llama_quant/diagnostics.h>

#include <fstream>
#include <iterator>

namespace bnb4_test {

std::filesystem::path fixture_dir() { return std::filesystem::path(LQ_TEST_DIR) / "fixtures" / "bnb4"; }

nlohmann::json load_index() {
  const auto path = fixture_dir() / "index.json";
  std::ifstream in(path);
  if (!in) return nullptr;
  try {
    return nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    throw lq::Error(path.string() + ": not valid JSON: " + e.what());
  }
}

std::vector<uint8_t> read_bytes(const std::string& file, size_t expected_bytes) {
  const auto path = fixture_dir() / file;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw lq::Error(path.string() + ": cannot open fixture file");
  std::vector<uint8_t> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (data.size() != expected_bytes)
    throw lq::Error(path.string() + ": expected " + std::to_string(expected_bytes) + " bytes, found " +
                    std::to_string(data.size()));
  return data;
}

}  // namespace bnb4_test
