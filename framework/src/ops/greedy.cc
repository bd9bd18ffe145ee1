#include "ops/greedy.h"

#include <limits>

#include "ops/fused_ops.h"

namespace lq {

at::Tensor top_margin(const at::Tensor& scores) {
  const at::Tensor top = std::get<0>(scores.topk(2, -1));
  return top.select(-1, 0) - top.select(-1, 1);
}

GreedyChoice greedy_choice(const at::Tensor& logits, const at::Tensor& bias, bool with_margins) {
  at::Tensor scores = logits.to(at::kFloat) + bias;
  // A ban holds whatever the logit: +inf (an fp16 overflow) plus -inf is NaN, which argmax would pick.
  scores.masked_fill_(at::isneginf(bias), -std::numeric_limits<float>::infinity());
  return {scores.argmax(-1), with_margins ? top_margin(scores) : at::Tensor()};
}

void greedy_step(const at::Tensor& logits, const at::Tensor& bias, const GreedyStep& step, OpImpl impl) {
#ifdef LQ_HAVE_CUDA
  if (logits.is_cuda() && impl == OpImpl::kFused) return greedy_step_cuda(logits, bias, step);
#else
  (void)impl;
#endif
  const GreedyChoice choice = greedy_choice(logits, bias, step.margins.defined());
  step.next.copy_(choice.next);
  if (step.margins.defined()) step.margins.copy_(choice.margins);
  step.positions.add_(1);
  step.slot.add_(1);
}

}  // namespace lq
