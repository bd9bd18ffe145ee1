// Plain-C++ parts of generation: stop strings and the prefix-wave schedule.
#include <gtest/gtest.h>

#include "generation/prefix_schedule.h"
#include "generation/stop_strings.h"

namespace lq {
namespace {

TEST(FindStop, EarliestOfSeveralAndEmptyIgnored) {
  EXPECT_EQ(find_stop("yes\nQ: what", {"\nQ:"}), std::optional<size_t>(3));
  EXPECT_EQ(find_stop("a.b\nQ:", {"\nQ:", "."}), std::optional<size_t>(1));
  EXPECT_FALSE(find_stop("yes\nQ", {"\nQ:", ""}).has_value());
}

TEST(PrefixWaves, TurnsOfAConversationGoInSuccessiveWaves) {
  const std::vector<std::vector<TokenId>> prompts = {
      {1, 2, 3, 4, 5},     // story A turn 2
      {9, 9},              // story B turn 1
      {1, 2, 3},           // story A turn 1
      {1, 2, 3, 4, 5, 6},  // story A turn 3
      {9, 9, 8},           // story B turn 2
      {1, 2, 7},           // shares a prefix with A but extends nothing
      {9, 9},              // a duplicate runs after the first
  };
  auto waves = prefix_waves(prompts);
  ASSERT_EQ(waves.size(), 3u);
  EXPECT_EQ(waves[0], (std::vector<size_t>{2, 5, 1}));  // longest first
  EXPECT_EQ(waves[1], (std::vector<size_t>{0, 6}));
  EXPECT_EQ(waves[2], (std::vector<size_t>{3, 4}));  // B turn 2 extends both copies of B turn 1
}

TEST(PrefixWaves, EmptyInput) { EXPECT_TRUE(prefix_waves({}).empty()); }

}  // namespace
}  // namespace lq
