// A small in-process fuzz run: thousands of byte-level mutations of valid GGUF and safetensors files
// must each parse or fail with lq::Error (under ASan in a sanitizer build: without reading out of
// bounds). The libFuzzer binary (fuzz_main.cc) runs the same entry point for longer.
#include <gtest/gtest.h>

#include <random>

#include "fuzz_target.h"
#include "test_files.h"

namespace lq {
namespace {

void mutate_and_parse(const std::vector<uint8_t>& original, uint32_t seed, int rounds) {
  std::mt19937 rng(seed);
  for (int r = 0; r < rounds; ++r) {
    std::vector<uint8_t> b = original;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const size_t at = rng() % b.size();
      switch (rng() % 4) {
        case 0:
          b[at] = static_cast<uint8_t>(rng());
          break;  // random byte
        case 1:
          b[at] ^= static_cast<uint8_t>(1u << (rng() % 8));
          break;   // bit flip
        case 2: {  // a huge 64-bit value
          uint64_t v = rng() % 2 ? ~uint64_t{0} - rng() % 64 : uint64_t{1} << (32 + rng() % 31);
          for (int i = 0; i < 8 && at + static_cast<size_t>(i) < b.size(); ++i)
            b[at + static_cast<size_t>(i)] = static_cast<uint8_t>(v >> (8 * i));
          break;
        }
        default:
          b.resize(at);
          break;  // truncation
      }
      if (b.empty()) break;
    }
    ASSERT_NO_THROW(test::parse_model_bytes(b.data(), b.size())) << "round " << r;
  }
}

TEST(Mutation, Gguf) {
  // Mutations concentrate on the header: most of the file is tensor data.
  auto b = test::read_file(test::fixture_dir() / "tiny_llama.gguf");
  ASSERT_FALSE(b.empty());
  std::vector<uint8_t> header(b.begin(), b.begin() + 4096);
  mutate_and_parse(header, 1, 3000);
  mutate_and_parse(b, 2, 300);
}

TEST(Mutation, Safetensors) {
  auto b = test::read_file(test::fixture_dir() / "tiny_llama" / "model.safetensors");
  ASSERT_FALSE(b.empty());
  mutate_and_parse(b, 3, 3000);
}

}  // namespace
}  // namespace lq
