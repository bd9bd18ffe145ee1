// Helpers for the config tests: YAML files written into a fresh folder per test.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include "config/config_loader.h"
#include "../support/remove_tree.h"

namespace lq::testing {

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() / ("lq_config_" + std::string(info->test_suite_name()) +
                                                     "_" + info->name() + "_" + std::to_string(::getpid()));
    lq::test::remove_tree(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { lq::test::remove_tree(dir_); }

  // Writes `text` to dir/name and returns its path.
  std::filesystem::path write(const std::string& name, const std::string& text) {
    auto path = dir_ / name;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << text;
    return path;
  }
  // "DIR/name:line:column", as a SourceLocation prints it.
  std::string where(const std::string& name, int line, int column) const {
    return (dir_ / name).lexically_normal().generic_string() + ":" + std::to_string(line) + ":" +
           std::to_string(column);
  }
  // The start of an error message at that location.
  std::string at(const std::string& name, int line, int column) const {
    return where(name, line, column) + ": ";
  }

  std::filesystem::path dir_;
};

// A complete, valid experiment (backend echo from tests/plugin), to which a test appends or edits.
inline const char* kMinimal =
    "name: minimal\n"
    "model:\n"
    "  path: model.gguf\n"
    "quantization:\n"
    "  backend: echo\n"
    "  params:\n"
    "    factor: 3.0\n";

// True when `diag` holds a message containing `text`; prints all of them otherwise.
inline ::testing::AssertionResult HasError(const Diagnostics& diag, const std::string& text) {
  for (const auto& d : diag.items())
    if (d.str().find(text) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "no error containing \"" << text << "\" in:\n" << diag.str();
}

}  // namespace lq::testing
