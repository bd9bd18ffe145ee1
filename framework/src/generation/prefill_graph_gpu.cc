#include "generation/prefill_graph.h"

#include <c10/util/Exception.h>
#include <spdlog/spdlog.h>

#include <exception>

namespace lq {

at::Tensor PrefillGraph::run(const at::Tensor& tokens, const at::Tensor& positions, int64_t first_slot,
                             c10::Device device, const Forward& forward) {
  const Shape shape{tokens.size(0), tokens.size(1), first_slot};
  const bool again = shape == last_;
  last_ = shape;
  if (graph_ && shape == captured_) {
    tokens_.copy_(tokens);
    positions_.copy_(positions);
    graph_->replay();
    return logits_.clone();
  }
  if (eager_only_ || !again || tokens.numel() > kMostTokens)
    return forward(tokens.to(device), positions.to(device));
  // The second time in a row: run eagerly on the graph's stream (cuBLAS and the allocator set up there
  // before capture), then capture the same work over the same input buffers for the next time.
  graph_.reset();  // the old graph's memory pool goes before the new one fills
  graph_ = std::make_unique<CudaGraphRunner>(device);
  tokens_ = tokens.to(device);
  positions_ = positions.to(device);
  at::Tensor logits;
  graph_->run([&] { logits = forward(tokens_, positions_); });
  try {
    graph_->capture([&] { logits_ = forward(tokens_, positions_); });
    captured_ = shape;
  } catch (const std::exception& e) {
    // Some operator of this model cannot be captured (it waits on the host): stay eager from now on.
    const auto* c10_error = dynamic_cast<const c10::Error*>(&e);  // its what() carries a backtrace
    spdlog::warn("prefill stays eager: capturing it as a CUDA graph failed: {}",
                 c10_error ? c10_error->what_without_backtrace() : e.what());
    graph_.reset();
    eager_only_ = true;
  }
  return logits;
}

}  // namespace lq
