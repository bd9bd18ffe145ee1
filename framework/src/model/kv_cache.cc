#include "model/kv_cache.h"

namespace lq {

KvCache::KvCache(const LlamaConfig& config, int64_t batch, int64_t capacity, at::Device device,
                 at::ScalarType dtype) {
  auto opts = at::TensorOptions().device(device).dtype(dtype);
  const std::vector<int64_t> shape = {config.num_hidden_layers, batch, config.num_key_value_heads, capacity,
                                      config.head_dim};
  all_keys_ = at::zeros(shape, opts);
  all_values_ = at::zeros(shape, opts);
  for (int64_t i = 0; i < config.num_hidden_layers; ++i) {
    keys_.push_back(all_keys_.select(0, i));
    values_.push_back(all_values_.select(0, i));
  }
  valid_ = at::zeros({batch, capacity}, opts.dtype(at::kBool));
}

int64_t KvCache::bytes() const {
  return (all_keys_.numel() + all_values_.numel()) * static_cast<int64_t>(all_keys_.element_size());
}

}  // namespace lq
