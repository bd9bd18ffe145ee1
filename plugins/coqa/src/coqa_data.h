// A CoQA data set in the official JSON format (coqa-dev-v1.0.json): parsing and validation.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace lq::coqa {

struct Turn {
  int turn_id = 0;  // 1-based, equal to the turn's position
  std::string question;
  // The turn's answer followed by each additional answer, in the file's key order; not deduplicated.
  std::vector<std::string> answers;
};

struct Story {
  std::string id;
  std::string source;  // the domain: mctest, race, cnn, wikipedia, gutenberg, ... (or the sample's)
  std::string story;
  std::vector<Turn> turns;
};

struct Dataset {
  std::string origin;  // the file path, or "embedded sample"
  std::string sha256;  // of the bytes parsed
  std::vector<Story> stories;
};

// The official dev set: a file named like it, or of its size, must have this digest.
constexpr std::string_view kOfficialDevName = "coqa-dev-v1.0.json";
constexpr std::string_view kOfficialDevSha256 =
    "dfa367a9733ce53222918d0231d9b3bedc2b8ee831a2845f62dfc70701f2540a";
constexpr uint64_t kOfficialDevBytes = 9090845;
constexpr size_t kOfficialDevStories = 500;

// Parses and checks `bytes`; every problem is an lq::Error naming `origin` and, where it applies, the
// story id (or index) and turn.
Dataset parse_dataset(std::string_view bytes, const std::string& origin);
// Reads `path`, checks the official dev set's digest when the file claims to be it, and parses it.
Dataset load_dataset(const std::filesystem::path& path);
// The CoQA-format sample compiled into the plugin (plugins/coqa/data/coqa-sample-v1.json).
Dataset embedded_sample();

}  // namespace lq::coqa
