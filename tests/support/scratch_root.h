// A test program's own scratch folder under the system's temporary folder (prefix + process id), removed
// when the program exits unless a test failed (then it is kept to look into). Each test's files go in a
// folder of their own below it.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "remove_tree.h"

namespace lq::test {

class ScratchRoot {
 public:
  explicit ScratchRoot(const std::string& prefix)
      : path_(std::filesystem::temp_directory_path() / (prefix + std::to_string(::getpid()))) {}
  ~ScratchRoot() {
    if (::testing::UnitTest::GetInstance()->Passed()) remove_tree(path_);
  }
  ScratchRoot(const ScratchRoot&) = delete;
  ScratchRoot& operator=(const ScratchRoot&) = delete;

  // An empty folder for the running test.
  std::filesystem::path for_current_test() const {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    const auto dir = path_ / (std::string(info->test_suite_name()) + "." + info->name());
    remove_tree(dir);
    std::filesystem::create_directories(dir);
    return dir;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace lq::test
