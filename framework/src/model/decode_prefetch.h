// How many of decode's next products the engine tells each projection about (Linear::prefetch_next), so
// that a product can ask L2 for their weights while it runs: 1 unless LQ_L2_PREFETCH in the environment says
// otherwise (0 none, to measure what the hints gain; 2 or 3 to look further ahead), recorded in every CUDA
// result's environment block as `l2_prefetch`. Read when a model is loaded.
#pragma once

#include <cstdlib>
#include <cstring>

namespace lq {

inline int decode_prefetch_depth() {
  const char* env = std::getenv("LQ_L2_PREFETCH");
  if (env == nullptr || std::strlen(env) != 1 || env[0] < '0' || env[0] > '3') return 1;
  return env[0] - '0';
}

}  // namespace lq
