// Story selection: all, the first N, a seeded random N that is the same everywhere.
#include <gtest/gtest.h>

#include <llama_quant/diagnostics.h>
#include <set>

#include "sampling.h"

namespace lq::coqa {
namespace {

TEST(CoqaSampling, NoLimitTakesEverything) {
  EXPECT_EQ(select_stories(4, std::nullopt, std::nullopt), (std::vector<size_t>{0, 1, 2, 3}));
  EXPECT_EQ(select_stories(4, std::nullopt, 7u), (std::vector<size_t>{0, 1, 2, 3}));
}

TEST(CoqaSampling, LimitTakesTheFirstStories) {
  EXPECT_EQ(select_stories(10, 3, std::nullopt), (std::vector<size_t>{0, 1, 2}));
  EXPECT_EQ(select_stories(3, 50, std::nullopt), (std::vector<size_t>{0, 1, 2}));
  EXPECT_THROW(select_stories(3, 0, std::nullopt), Error);
  EXPECT_THROW(select_stories(3, -2, 1u), Error);
}

// Published SplitMix64 outputs for seed 0 (Vigna's reference splitmix64.c).
TEST(CoqaSampling, SplitMix64MatchesTheReference) {
  SplitMix64 rng(0);
  EXPECT_EQ(rng.next(), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(rng.next(), 0x6e789e6aa1b965f4ULL);
  EXPECT_EQ(rng.next(), 0x06c45d188009454fULL);
}

TEST(CoqaSampling, SeededLimitIsReproducibleSortedAndDistinct) {
  const auto a = select_stories(500, 20, 1234u);
  EXPECT_EQ(a, select_stories(500, 20, 1234u));
  EXPECT_NE(a, select_stories(500, 20, 1235u));
  EXPECT_NE(a, select_stories(500, 20, std::nullopt));
  ASSERT_EQ(a.size(), 20u);
  EXPECT_TRUE(std::is_sorted(a.begin(), a.end()));
  EXPECT_EQ(std::set<size_t>(a.begin(), a.end()).size(), 20u);
  EXPECT_LT(a.back(), 500u);
  // Pinned, so that a change of algorithm is noticed: the same seed must pick the same stories on
  // every platform and in every release.
  EXPECT_EQ(select_stories(21, 5, 42u), (std::vector<size_t>{3, 6, 12, 16, 19}));
  EXPECT_EQ(select_stories(8, 100, 3u), (std::vector<size_t>{0, 1, 2, 3, 4, 5, 6, 7}));
}

TEST(CoqaSampling, EveryStoryCanBeChosen) {
  std::vector<int> hits(10, 0);
  for (uint64_t seed = 0; seed < 2000; ++seed)
    for (size_t i : select_stories(10, 1, seed)) ++hits[i];
  for (int h : hits) EXPECT_GT(h, 120) << "a roughly uniform pick gives about 200 each";
}

}  // namespace
}  // namespace lq::coqa
