#include "bench/copy_bandwidth.h"

#include "bench/device_timer.h"

namespace lq {

std::optional<double> device_copy_bytes_per_s(const std::string& device) {
#ifdef LQ_HAVE_CUDA
  if (is_cuda_device(device)) return cuda_copy_bytes_per_s(device);
#else
  (void)device;
#endif
  return std::nullopt;
}

}  // namespace lq
