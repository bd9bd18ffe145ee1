#include "matmul_4bit.h"

#include <vector>

namespace bnb4 {

void matmul_4bit_cpu(const float* x, int64_t M, int64_t K, const Packed4bit& w, int64_t N, float* y) {
  std::vector<float> weight(static_cast<size_t>(N * K));
  dequantize_4bit_cpu(w, weight.data(), ElemType::kF32);
  for (int64_t m = 0; m < M; ++m)
    for (int64_t r = 0; r < N; ++r) {
      double acc = 0;
      const float* row = weight.data() + r * K;
      for (int64_t k = 0; k < K; ++k) acc += static_cast<double>(x[m * K + k]) * row[k];
      y[m * N + r] = static_cast<float>(acc);
    }
}

}  // namespace bnb4
