#include "generation/decode_step.h"

#include <c10/core/GradMode.h>

#include <limits>

#include "generation/cuda_graph_runner.h"
#include "llama_quant/diagnostics.h"
#include "ops/greedy.h"

namespace lq {

DecodeStep::DecodeStep(const LlamaModel& model, KvCache& cache, bool use_graph, bool record_margins)
    : model_(model), cache_(cache) {
  const auto ids = at::TensorOptions().dtype(at::kLong).device(model.device());
  tokens_ = at::zeros({cache.batch()}, ids);
  positions_ = at::zeros({cache.batch()}, ids);
  slot_ = at::zeros({1}, ids);
  bias_ = at::zeros({model.config().vocab_size}, ids.dtype(at::kFloat));
  if (record_margins) margins_ = at::zeros({cache.batch()}, ids.dtype(at::kFloat));
#ifdef LQ_HAVE_CUDA
  if (use_graph && model.device().is_cuda()) graph_ = std::make_unique<CudaGraphRunner>(model.device());
#else
  (void)use_graph;
#endif
}

DecodeStep::~DecodeStep() = default;

bool DecodeStep::graphed() const {
#ifdef LQ_HAVE_CUDA
  return graph_ != nullptr;
#else
  return false;
#endif
}

void DecodeStep::reset(const at::Tensor& tokens, const at::Tensor& positions, int64_t slot) {
  tokens_.copy_(tokens.reshape({-1}));
  positions_.copy_(positions.reshape({-1}));
  slot_.fill_(slot);
  host_slot_ = slot;
}

void DecodeStep::ban(const at::Tensor& ids, bool banned) {
  if (banned == banned_ || ids.numel() == 0) return;
  bias_.index_fill_(0, ids, banned ? -std::numeric_limits<float>::infinity() : 0.0f);
  banned_ = banned;
}

void DecodeStep::step() {
  c10::NoGradGuard no_grad;
  const int64_t B = tokens_.size(0);
  at::Tensor logits = model_.decode(tokens_.view({B, 1}), positions_.view({B, 1}), slot_, cache_);
  // The chosen tokens are the next step's input: written where decode() reads them.
  greedy_step(logits, bias_, {tokens_, margins_, positions_, slot_}, model_.op_impl());
}

const at::Tensor& DecodeStep::run() {
  if (host_slot_ >= cache_.capacity())
    throw Error("decode step at slot " + std::to_string(host_slot_) + " past the KV cache's capacity of " +
                std::to_string(cache_.capacity()));
#ifdef LQ_HAVE_CUDA
  if (graph_) {
    if (!warmed_up_) {
      graph_->run([this] { step(); });
      warmed_up_ = true;
    } else {
      if (!graph_->captured()) graph_->capture([this] { step(); });
      graph_->replay();
    }
    ++host_slot_;
    return tokens_;
  }
#endif
  step();
  ++host_slot_;
  return tokens_;
}

}  // namespace lq
