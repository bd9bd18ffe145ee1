// Helpers of the model tests: a whole-sequence forward and the argmax agreement check.
#pragma once

#include <ATen/ATen.h>

#include <vector>

#include "model/llama_model.h"

namespace lq::test {

// Logits [T, vocab] of one sequence, computed in one forward over a fresh cache.
inline at::Tensor run_full(const LlamaModel& m, const std::vector<int64_t>& ids) {
  const int64_t T = static_cast<int64_t>(ids.size());
  KvCache cache = m.make_cache(1, T);
  cache.valid().fill_(true);
  at::Tensor tokens = at::tensor(ids, at::kLong).view({1, T});
  return m.forward(tokens, at::arange(T, at::kLong).view({1, T}), cache, 0, false)[0].cpu();
}

// Fraction of rows whose argmax agrees with the fp32 reference, counting a flip as agreement where the
// reference's top two logits are within `tie` of each other (low precision may pick either).
inline double argmax_agreement(const at::Tensor& ref, const at::Tensor& got, double tie) {
  at::Tensor r = ref.to(at::kFloat).cpu(), g = got.to(at::kFloat).cpu();
  at::Tensor top2 = std::get<0>(r.topk(2, -1));
  at::Tensor near_tie = (top2.select(1, 0) - top2.select(1, 1)) < tie;
  at::Tensor agree = (r.argmax(-1) == g.argmax(-1)).logical_or(near_tie);
  return agree.to(at::kDouble).mean().item<double>();
}

}  // namespace lq::test
