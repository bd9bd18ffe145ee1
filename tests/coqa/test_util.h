// Helpers shared by the CoQA tests: fixture paths, file reading, scratch files.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include "../support/remove_tree.h"

namespace lq::coqa::test {

inline std::filesystem::path fixture(const std::string& name) {
  return std::filesystem::path(LQ_TEST_DIR) / "fixtures" / "coqa" / name;
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << "cannot open " << path;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A file under a fresh folder of the test's own, removed with the object.
class ScratchFile {
 public:
  ScratchFile(const std::string& name, const std::string& content) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("lq_coqa_" + std::string(info->test_suite_name()) + "_" + info->name());
    std::filesystem::create_directories(dir_);
    path_ = dir_ / name;
    std::ofstream(path_, std::ios::binary) << content;
  }
  ~ScratchFile() { lq::test::remove_tree(dir_); }
  const std::filesystem::path& path() const { return path_; }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_, path_;
};

}  // namespace lq::coqa::test
