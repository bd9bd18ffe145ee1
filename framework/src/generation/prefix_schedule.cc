#include "generation/prefix_schedule.h"

#include <algorithm>
#include <numeric>

namespace lq {

namespace {

bool is_prefix(const std::vector<TokenId>& a, const std::vector<TokenId>& b) {
  return a.size() <= b.size() && std::equal(a.begin(), a.end(), b.begin());
}

}  // namespace

std::vector<std::vector<size_t>> prefix_waves(const std::vector<std::vector<TokenId>>& prompts) {
  // In lexicographic order a prompt comes right after its prefixes, so a stack of the prefixes of the
  // current prompt gives every prompt's depth in one pass.
  std::vector<size_t> order(prompts.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return prompts[a] < prompts[b]; });
  std::vector<size_t> depth(prompts.size(), 0), stack;
  for (size_t i : order) {
    while (!stack.empty() && !is_prefix(prompts[stack.back()], prompts[i])) stack.pop_back();
    depth[i] = stack.size();
    stack.push_back(i);
  }
  std::vector<std::vector<size_t>> waves;
  for (size_t i = 0; i < prompts.size(); ++i) {
    if (depth[i] >= waves.size()) waves.resize(depth[i] + 1);
    waves[depth[i]].push_back(i);
  }
  for (auto& wave : waves)
    std::stable_sort(wave.begin(), wave.end(),
                     [&](size_t a, size_t b) { return prompts[a].size() > prompts[b].size(); });
  return waves;
}

}  // namespace lq
