#include "model/kv_cache.h"

namespace lq {

KvCache::KvCache(const LlamaConfig& config, int64_t batch, int64_t capacity, at::Device device,
                 at::ScalarType dtype) {
  auto opts = at::TensorOptions().device(device).dtype(dtype);
  for (int64_t i = 0; i < config.num_hidden_layers; ++i) {
    keys_.push_back(at::zeros({batch, config.num_key_value_heads, capacity, config.head_dim}, opts));
    values_.push_back(at::zeros({batch, config.num_key_value_heads, capacity, config.head_dim}, opts));
  }
  valid_ = at::zeros({batch, capacity}, opts.dtype(at::kBool));
}

int64_t KvCache::bytes() const {
  int64_t total = 0;
  for (size_t i = 0; i < keys_.size(); ++i)
    total += (keys_[i].numel() + values_[i].numel()) * static_cast<int64_t>(keys_[i].element_size());
  return total;
}

}  // namespace lq
