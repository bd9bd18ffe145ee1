// LlamaModel: the Llama architecture (embeddings, RMSNorm, rotary embeddings incl. Llama 3 scaling,
// grouped-query causal attention over a KvCache, SwiGLU MLP, tied or untied output head) on a libtorch
// device, with every linear layer behind lq::Linear so that a quantization backend can replace it.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "llama_quant/backend.h"
#include "llama_quant/linear.h"
#include "model/kv_cache.h"
#include "model/weight_source.h"
#include "ops/op_impl.h"
#include "ops/rope.h"

namespace lq {

// One linear layer as built: its Hugging Face name ("model.layers.0.self_attn.q_proj", "lm_head"),
// format (Linear::describe()) and exact bytes.
struct LayerFormat {
  std::string name;
  std::string format;
  int64_t bytes = 0;
  bool tied = false;  // lm_head sharing the embedding matrix (its bytes are the embedding's)
};

class LlamaModel {
 public:
  // Loads the weights tensor by tensor: each is read as `dtype` on the CPU, moved to `device`, and for
  // every linear layer the backend wants() replaced by backend->quantize() (the dense copy is dropped
  // at once), so peak memory stays about one model. Without a backend every layer is a DenseLinear in
  // `dtype`. Throws lq::Error for a configuration or weight the model cannot use.
  static std::unique_ptr<LlamaModel> load(const LlamaConfig& config, const WeightSource& weights,
                                          at::Device device, at::ScalarType dtype,
                                          QuantBackend* backend = nullptr);
  static std::unique_ptr<LlamaModel> load(const ModelFiles& files, at::Device device, at::ScalarType dtype,
                                          QuantBackend* backend = nullptr);

  // Runs T tokens per row: tokens and positions are [B, T] int64 (positions are the rotary positions),
  // written to cache slots [start, start + T); the caller marks those slots valid() beforehand (or not,
  // for padding). Returns logits in dtype(): [B, T, vocab], or [B, vocab] for the last slot only.
  at::Tensor forward(const at::Tensor& tokens, const at::Tensor& positions, KvCache& cache, int64_t start,
                     bool last_only) const;

  // One token per row, written at the cache slot `slot` ([1] int64 on this model's device), attending to
  // every valid slot up to it over the whole cache: tokens and positions [B, 1]; returns logits [B, vocab].
  // Shapes never change between tokens and nothing is read back to the host, so the step can be
  // captured once in a CUDA graph and replayed (see DecodeStep). Equal to forward() at start = slot up
  // to rounding (attention reduces over more, masked, slots).
  at::Tensor decode(const at::Tensor& tokens, const at::Tensor& positions, const at::Tensor& slot,
                    KvCache& cache) const;

  // A cache for `batch` sequences of up to `capacity` tokens on this model's device and dtype.
  KvCache make_cache(int64_t batch, int64_t capacity) const;

  // The framework's fused CUDA kernels (the default) or libtorch's operators for norms, rotary
  // embeddings, attention and the MLP gate, with each projection run on its own and residuals added
  // apart: the latter is the reference path the former is tested against.
  void set_op_impl(OpImpl impl) { ops_ = impl; }
  OpImpl op_impl() const { return ops_; }

  const LlamaConfig& config() const { return config_; }
  at::Device device() const { return device_; }
  at::ScalarType dtype() const { return dtype_; }

  // Exact bytes of the weights: every Linear::bytes(), the embeddings and the norms; a tied output
  // head shares the embedding matrix and is counted once.
  int64_t weight_bytes() const;
  // Every linear layer in model order, then lm_head.
  std::vector<LayerFormat> layer_formats() const;
  // One line per distinct format with its layer count, e.g. "210 x nf4 blocksize=64; 1 x dense Half (lm_head,
  // tied)".
  std::string format_summary() const;

 private:
  struct Block {
    at::Tensor input_norm, post_attention_norm;
    std::shared_ptr<Linear> q, k, v, o, gate, up, down;
    // q/k/v and gate/up as one product each, where the parts are dense in one dtype (the parts then
    // view the fused weight, so every byte is counted once) or the backend fuses its own layers: fewer,
    // larger kernels per layer. Null where neither applies; used on the fused path only.
    std::shared_ptr<Linear> qkv, gate_up;
  };
  LlamaModel(LlamaConfig config, at::Device device, at::ScalarType dtype)
      : config_(std::move(config)), device_(device), dtype_(dtype) {}
  // tokens [B, T] go to cache slots `slots` ([T] int64, on the device); attention reads slots [0, span).
  at::Tensor run(const at::Tensor& tokens, const at::Tensor& positions, KvCache& cache,
                 const at::Tensor& slots, int64_t span, bool last_only) const;
  // Tells each projection of the fused path what the next one reads (Linear::prefetch_next).
  void chain_decode_prefetch();
  at::Tensor block_forward(int64_t layer, const at::Tensor& h, const RopeAngles& rope, KvCache& cache,
                           const at::Tensor& slots, int64_t span, const at::Tensor& allowed) const;

  LlamaConfig config_;
  at::Device device_;
  at::ScalarType dtype_;
  at::Tensor embed_, final_norm_, inv_freq_;
  std::vector<Block> blocks_;
  std::shared_ptr<Linear> lm_head_;
  bool tied_ = false;
  OpImpl ops_ = OpImpl::kFused;
};

}  // namespace lq
