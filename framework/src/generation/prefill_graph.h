// PrefillGraph: a batch's prefill captured in a CUDA graph and replayed when the same shape comes again.
// Eager prefill launches a few hundred operators one by one; at small batches the host's pace, not the
// GPU's, sets its time, and with it prefill moved by up to 3x between runs of one build (BENCHMARKS.md,
// session 9). A shape (rows, prompt tokens, first computed slot) is captured the second time it comes in a
// row, so that prompts of ever-changing lengths (an evaluation's) stay eager and pay no capture; only
// prefills of at most kMostTokens tokens are captured (larger ones keep the GPU busy on their own, and the
// graph's memory pool holds a second copy of their activations); one shape is kept at a time. Built only
// with a CUDA libtorch (prefill_graph_gpu.cc).
#pragma once

#ifdef LQ_HAVE_CUDA

#include <ATen/ATen.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <tuple>

#include "generation/cuda_graph_runner.h"

namespace lq {

class PrefillGraph {
 public:
  static constexpr int64_t kMostTokens = 2048;
  // Runs the prefill of tokens and positions ([B, T] int64, on the CPU), the keys/values going to cache
  // slots from first_slot on: `forward` (tokens and positions on the device -> last-slot logits [B, vocab])
  // eagerly, or its captured graph over the same shape with these inputs. The returned logits are the
  // caller's own (not the graph's output buffer).
  using Forward = std::function<at::Tensor(const at::Tensor& tokens, const at::Tensor& positions)>;
  at::Tensor run(const at::Tensor& tokens, const at::Tensor& positions, int64_t first_slot,
                 c10::Device device, const Forward& forward);

 private:
  using Shape = std::tuple<int64_t, int64_t, int64_t>;  // rows, tokens, first slot
  Shape last_{-1, -1, -1};                              // the shape of the previous call
  Shape captured_{-1, -1, -1};
  bool eager_only_ = false;  // a capture failed
  std::unique_ptr<CudaGraphRunner> graph_;
  at::Tensor tokens_, positions_, logits_;  // the graph's inputs and output
};

}  // namespace lq

#endif  // LQ_HAVE_CUDA
