// Greedy decoding's choice of the next token from one step's logits.
#pragma once

#include <ATen/ATen.h>

#include "ops/op_impl.h"

namespace lq {

// scores [B, V] (V >= 2) -> [B]: each row's largest score minus its second largest.
at::Tensor top_margin(const at::Tensor& scores);

// logits [B, V]; bias [V] float32 (-inf bans a token, whatever its logit, +inf included). next [B] int64:
// each row's argmax of float(logits) + bias, as at::argmax picks it (the first index on ties); margins [B]
// float32 (only with `with_margins`): that score's lead over the runner-up, as top_margin() computes it.
// The formula (libtorch's operators): the reference that greedy_step's kernels are tested against.
struct GreedyChoice {
  at::Tensor next, margins;
};
GreedyChoice greedy_choice(const at::Tensor& logits, const at::Tensor& bias, bool with_margins);

// A greedy decode step's choice written into its buffers, and its counters moved on: next [B] int64 =
// greedy_choice(logits, bias).next, margins [B] float32 (where defined) its margins, positions [B] int64
// += 1, slot [1] int64 += 1. On CUDA (kFused) in two small kernels (ops/greedy.cu), so that nothing follows
// them in the step; otherwise the formula.
struct GreedyStep {
  at::Tensor next, margins, positions, slot;
};
void greedy_step(const at::Tensor& logits, const at::Tensor& bias, const GreedyStep& step,
                 OpImpl impl = OpImpl::kFused);

}  // namespace lq
