// The card's device-to-device copy rate, measured in the run whose figures are compared with it: a batch-1
// decode floor is the model's bytes over this rate, and a floor taken from another card (or another run)
// would make "% of floor" a silently wrong number.
#pragma once

#include <optional>
#include <string>

namespace lq {

// Bytes read plus written per second by a 256 MiB device-to-device copy on `device`: the median of five,
// after two for warm-up, timed with CUDA events; the source holds a non-zero pattern. nullopt where
// `device` is not CUDA or the buffers cannot be allocated (the report then has no floor of its own).
std::optional<double> device_copy_bytes_per_s(const std::string& device);

#ifdef LQ_HAVE_CUDA
std::optional<double> cuda_copy_bytes_per_s(const std::string& device);  // copy_bandwidth_gpu.cc
#endif

}  // namespace lq
