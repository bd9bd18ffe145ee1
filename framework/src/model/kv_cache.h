// KvCache: preallocated keys and values of a batch of sequences, one slot per token position.
//
// Every layer holds keys and values of static shape [batch, kv_heads, capacity, head_dim], so decoding
// never reallocates (and a CUDA-graph path can capture the decode step). Row b's tokens occupy slots
// [pad_b, ...) after left padding; `valid` marks the slots that hold a real token, and attention only
// reads valid slots at or before the query's own slot.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

#include "model/model_config.h"

namespace lq {

class KvCache {
 public:
  KvCache(const LlamaConfig& config, int64_t batch, int64_t capacity, at::Device device,
          at::ScalarType dtype);

  int64_t batch() const { return valid_.size(0); }
  int64_t capacity() const { return valid_.size(1); }
  int64_t layers() const { return static_cast<int64_t>(keys_.size()); }
  // [layers, batch, kv_heads, capacity, head_dim]: every layer at once (keys(l) and values(l) are views
  // of these), so one copy moves a row's slots in all layers.
  at::Tensor& all_keys() { return all_keys_; }
  at::Tensor& all_values() { return all_values_; }
  // [batch, kv_heads, capacity, head_dim] of layer `layer`, written in place by the model.
  at::Tensor& keys(int64_t layer) { return keys_.at(static_cast<size_t>(layer)); }
  at::Tensor& values(int64_t layer) { return values_.at(static_cast<size_t>(layer)); }
  const at::Tensor& keys(int64_t layer) const { return keys_.at(static_cast<size_t>(layer)); }
  const at::Tensor& values(int64_t layer) const { return values_.at(static_cast<size_t>(layer)); }
  // [batch, capacity] bool: slots holding a real token.
  at::Tensor& valid() { return valid_; }
  const at::Tensor& valid() const { return valid_; }
  // Marks every slot empty (the keys and values are left as they are: empty slots are never read).
  void clear() { valid_.fill_(false); }
  int64_t bytes() const;

 private:
  at::Tensor all_keys_, all_values_;
  std::vector<at::Tensor> keys_, values_;
  at::Tensor valid_;
};

}  // namespace lq
