// DecodeStep: LlamaGenerator's greedy decode step over static buffers: feed each row's token at the
// shared cache slot (LlamaModel::decode), add a bias to the scores (-inf bans a token, e.g. EOS before
// min_new_tokens), take the argmax, advance positions and slot. With graphs on a CUDA model, the first
// run() is eager (warming cuBLAS and the allocator up), the second captures the step as a CUDA graph
// and every later one replays it: one launch per token instead of several hundred, which is what
// bounds eager decoding of small models on a GPU. Otherwise every run() is eager.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <memory>

#include "model/llama_model.h"

namespace lq {

class CudaGraphRunner;

class DecodeStep {
 public:
  // `model` and `cache` must outlive the step; the graph stays valid for every batch laid out in
  // `cache` (it reads the cache's tensors in place).
  // With `record_margins` each step also keeps the chosen score minus the runner-up's (margins()).
  DecodeStep(const LlamaModel& model, KvCache& cache, bool use_graph, bool record_margins = false);
  ~DecodeStep();
  DecodeStep(const DecodeStep&) = delete;
  DecodeStep& operator=(const DecodeStep&) = delete;

  // The tokens to feed next ([B] int64), each row's rotary position for them ([B]), and their slot.
  void reset(const at::Tensor& tokens, const at::Tensor& positions, int64_t slot);
  // Bans `ids` ([n] int64 on the model's device) from being chosen, or lifts the ban.
  void ban(const at::Tensor& ids, bool banned);
  // Feeds the current tokens and returns the chosen next ones: [B] int64 on the device, a buffer that
  // the next run() overwrites.
  const at::Tensor& run();

  // [B] float32 on the device: the last run()'s top-1 minus top-2 score per row (record_margins only).
  const at::Tensor& margins() const { return margins_; }
  bool records_margins() const { return margins_.defined(); }

  const KvCache& cache() const { return cache_; }
  bool graphed() const;

 private:
  void step();  // the work captured: everything on the device, nothing read back

  const LlamaModel& model_;
  KvCache& cache_;
  at::Tensor tokens_, positions_, slot_, bias_, margins_;
  int64_t host_slot_ = 0;
  bool banned_ = false, warmed_up_ = false;
#ifdef LQ_HAVE_CUDA
  std::unique_ptr<CudaGraphRunner> graph_;
#endif
};

}  // namespace lq
