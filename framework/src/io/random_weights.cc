#include "io/random_weights.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <thread>
#include <vector>

#include "llama_quant/diagnostics.h"
#include "model/model_files.h"

// Bit-reproducibility needs every multiply-add rounded twice, as written: no fused multiply-add.
// (GCC does not contract in ISO C++ mode, which the project builds in; clang does unless told.)
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

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

// Natural log of s in (0, 1] from exactly-rounded operations only (frexp, +, *, /), so that unlike
// std::log it gives the same bits with every C library. Relative error about 1e-12.
double portable_log(double s) {
  int e;
  double m = std::frexp(s, &e);  // s = m * 2^e, m in [0.5, 1)
  if (m < 0.70710678118654752) {
    m *= 2;
    --e;
  }
  const double t = (m - 1) / (m + 1);  // |t| < 0.172: log(m) = 2 atanh(t), a fast series
  const double t2 = t * t;
  const double series =
      2 +
      t2 * (2.0 / 3 + t2 * (2.0 / 5 + t2 * (2.0 / 7 + t2 * (2.0 / 9 + t2 * (2.0 / 11 + t2 * (2.0 / 13))))));
  return e * 0.69314718055994530942 + t * series;
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
    // Threads of its own: libtorch's OpenMP pool can hold a single thread (omp_get_max_threads() is 1 under
    // some container CPU limits), and the 1B model's weights then took ~40 s. Each element depends only on
    // its index, so any split gives the same bits.
    const int64_t n = out.numel();
    const int64_t threads = std::clamp<int64_t>(std::thread::hardware_concurrency(), 1, (n >> 16) + 1);
    std::vector<std::thread> pool;
    for (int64_t t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        const int64_t begin = n * t / threads, end = n * (t + 1) / threads;
        fill_normal(key, static_cast<uint64_t>(begin), data + begin, static_cast<size_t>(end - begin), std_);
      });
    for (std::thread& th : pool) th.join();
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

// Marsaglia's polar method: element i draws points (x, y) uniform in the square from the counter
// stream (i, attempt) until one falls inside the unit circle, then z = x sqrt(-2 ln r2 / r2). Exact
// normal samples, computed from integer hashing, exactly-rounded arithmetic and portable_log: the
// same bits on every platform, for any split of the elements over threads.
void fill_normal(uint64_t key, uint64_t first, float* out, size_t n, double std) {
  constexpr int kAttempts = 32;                 // all fail with probability 0.215^32 < 1e-21
  constexpr double kUnit = 1.0 / 2147483648.0;  // 2^-31: maps a 32-bit integer to [-1, 1)
  for (size_t j = 0; j < n; ++j) {
    const uint64_t i = first + j;
    double z = 0;
    for (int k = 0; k < kAttempts; ++k) {
      const uint64_t h = splitmix64(key + (i * kAttempts + static_cast<uint64_t>(k) + 1) * kGolden);
      const double x = static_cast<double>(static_cast<int64_t>(h >> 32) - 2147483648LL) * kUnit;
      const double y = static_cast<double>(static_cast<int64_t>(h & 0xFFFFFFFFu) - 2147483648LL) * kUnit;
      const double r2 = x * x + y * y;
      if (r2 >= 1 || r2 == 0) continue;
      z = x * std::sqrt(-2 * portable_log(r2) / r2);
      break;
    }
    out[j] = static_cast<float>(z * std);
  }
}

std::shared_ptr<TensorSource> make_random_weights(const LlamaConfig& config, uint64_t seed) {
  return std::make_shared<RandomWeights>(config, seed);
}

}  // namespace lq::io
