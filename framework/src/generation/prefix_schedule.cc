#include "generation/prefix_schedule.h"

#include <algorithm>
#include <map>
#include <numeric>

namespace lq {

namespace {

bool is_prefix(const std::vector<TokenId>& a, const std::vector<TokenId>& b) {
  return a.size() <= b.size() && std::equal(a.begin(), a.end(), b.begin());
}

}  // namespace

std::vector<std::vector<size_t>> prefix_batches(const std::vector<std::vector<TokenId>>& prompts,
                                                int64_t max_batch) {
  const size_t n = prompts.size(), per_batch = static_cast<size_t>(std::max<int64_t>(1, max_batch));
  // In lexicographic order a prompt comes right after its prefixes, so a stack of the prefixes of the
  // current prompt gives every prompt's depth and family root in one pass.
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return prompts[a] < prompts[b]; });
  std::vector<size_t> depth(n, 0), root(n, 0), stack;
  for (size_t i : order) {
    while (!stack.empty() && !is_prefix(prompts[stack.back()], prompts[i])) stack.pop_back();
    depth[i] = stack.size();
    root[i] = stack.empty() ? i : root[stack.front()];
    stack.push_back(i);
  }
  // Families in order of their first prompt; members in index order.
  std::map<size_t, size_t> first_of_root;  // root -> smallest member index
  for (size_t i = 0; i < n; ++i) first_of_root.emplace(root[i], i);
  std::vector<std::pair<size_t, size_t>> families;  // (first member, root)
  for (const auto& [r, first] : first_of_root) families.emplace_back(first, r);
  std::sort(families.begin(), families.end());
  std::map<size_t, size_t> group_of_root;
  for (size_t f = 0; f < families.size(); ++f) group_of_root[families[f].second] = f / per_batch;

  std::vector<std::vector<std::vector<size_t>>> waves;  // [group][depth] -> indices
  for (size_t i = 0; i < n; ++i) {
    const size_t g = group_of_root[root[i]];
    if (g >= waves.size()) waves.resize(g + 1);
    if (depth[i] >= waves[g].size()) waves[g].resize(depth[i] + 1);
    waves[g][depth[i]].push_back(i);
  }
  std::vector<std::vector<size_t>> batches;
  for (auto& group : waves)
    for (auto& wave : group) {
      std::stable_sort(wave.begin(), wave.end(),
                       [&](size_t a, size_t b) { return prompts[a].size() > prompts[b].size(); });
      for (size_t begin = 0; begin < wave.size(); begin += per_batch)
        batches.emplace_back(
            wave.begin() + static_cast<std::ptrdiff_t>(begin),
            wave.begin() + static_cast<std::ptrdiff_t>(std::min(wave.size(), begin + per_batch)));
    }
  return batches;
}

}  // namespace lq
