// Weights drawn from a seed, for a model known only by its config: linear and embedding weights
// ~ normal(0, initializer_range), norms 1, biases 0. Reproducible bit for bit on every machine and
// libtorch version: a counter-based generator in plain integer arithmetic, independent of load order
// and thread count. Each tensor is generated when it is loaded.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "io/tensor_source.h"

namespace lq::io {

std::shared_ptr<TensorSource> make_random_weights(const LlamaConfig& config, uint64_t seed);

// Fills `out[0..n)` with normal(0, std) samples for element indices [first, first + n)
// of the stream `key` (exposed for tests).
void fill_normal(uint64_t key, uint64_t first, float* out, size_t n, double std);

}  // namespace lq::io
