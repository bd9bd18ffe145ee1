#include "io/random_weights.h"

#include <ATen/Parallel.h>

#include <cmath>
#include <map>

#include "llama_quant/diagnostics.h"
#include "model/model_files.h"

namespace lq::io {
namespace {

constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ull;

uint64_t splitmix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t fnv1a64(const std::string& s) {
  uint64_t h = 0xCBF29CE484222325ull;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001B3ull;
  return h;
}

// Sum of the four 16-bit lanes of x.
uint64_t lane_sum(uint64_t x) {
  x = (x & 0x0000FFFF0000FFFFull) + ((x >> 16) & 0x0000FFFF0000FFFFull);
  return (x & 0xFFFFFFFFull) + (x >> 32);
}

class RandomWeights final : public TensorSource {
 public:
  RandomWeights(const LlamaConfig& config, uint64_t seed) : seed_(seed), std_(config.initializer_range) {
    for (auto& spec : llama_tensor_specs(config)) {
      TensorMeta meta{spec.shape, "random", "random weights (seed " + std::to_string(seed) + ")", true};
      order_.push_back(spec.name);
      specs_.emplace(std::move(spec.name), std::move(meta));
    }
  }

  std::vector<std::string> names() const override { return order_; }
  bool has(const std::string& name) const override { return specs_.count(name) != 0; }
  const TensorMeta* meta(const std::string& name) const override {
    auto it = specs_.find(name);
    return it == specs_.end() ? nullptr : &it->second;
  }
  std::string describe() const override { return "random weights (seed " + std::to_string(seed_) + ")"; }

  at::Tensor load(const std::string& name, at::ScalarType dtype,
                  const std::vector<int64_t>& expected_shape) const override {
    const std::string where = describe();
    auto it = specs_.find(name);
    if (it == specs_.end()) throw Error(where + ": no tensor '" + name + "'");
    check_shape(where, name, it->second.shape, expected_shape);
    check_float_dtype(where, name, dtype);
    const auto options = at::TensorOptions().dtype(dtype);
    if (ends_with(name, "norm.weight")) return at::ones(expected_shape, options);
    if (ends_with(name, ".bias")) return at::zeros(expected_shape, options);
    at::Tensor out = at::empty(expected_shape, at::TensorOptions().dtype(at::kFloat));
    const uint64_t key = splitmix64(seed_ ^ fnv1a64(name));
    float* data = out.data_ptr<float>();
    at::parallel_for(0, out.numel(), 1 << 16, [&](int64_t begin, int64_t end) {
      fill_normal(key, static_cast<uint64_t>(begin), data + begin, static_cast<size_t>(end - begin), std_);
    });
    return dtype == at::kFloat ? out : out.to(dtype);
  }

 private:
  static bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
  }

  uint64_t seed_;
  double std_;
  std::vector<std::string> order_;
  std::map<std::string, TensorMeta> specs_;
};

}  // namespace

// Element i sums the eight 16-bit lanes of two splitmix64 outputs (Irwin-Hall with n = 8: within a
// fraction of a percent of a normal's quantiles out to 3 sigma), all in exact integer arithmetic, then
// centres and scales it with one double multiply, so every platform produces the same bits.
void fill_normal(uint64_t key, uint64_t first, float* out, size_t n, double std) {
  const double mean = 8 * 65535.0 / 2;
  const double scale = std / std::sqrt(8 * (65536.0 * 65536.0 - 1) / 12);
  for (size_t j = 0; j < n; ++j) {
    const uint64_t i = first + j;
    const uint64_t a = splitmix64(key + (2 * i + 1) * kGolden);
    const uint64_t b = splitmix64(key + (2 * i + 2) * kGolden);
    out[j] = static_cast<float>((static_cast<double>(lane_sum(a) + lane_sum(b)) - mean) * scale);
  }
}

std::shared_ptr<TensorSource> make_random_weights(const LlamaConfig& config, uint64_t seed) {
  return std::make_shared<RandomWeights>(config, seed);
}

}  // namespace lq::io
