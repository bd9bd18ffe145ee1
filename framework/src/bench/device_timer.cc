#include "bench/device_timer.h"

#include <chrono>

#include "llama_quant/diagnostics.h"

namespace lq {

bool is_cuda_device(const std::string& device) { return device.rfind("cuda", 0) == 0; }

std::string timer_name(const std::string& device) {
  return is_cuda_device(device) ? "cuda_events" : "steady_clock";
}

double time_on_device(const std::string& device, const std::function<void()>& work) {
  if (is_cuda_device(device)) {
#ifdef LQ_HAVE_CUDA
    return time_on_cuda(device, work);
#else
    throw Error("cannot time on " + device + ": this build of llama-quant has no CUDA support");
#endif
  }
  auto start = std::chrono::steady_clock::now();
  work();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace lq
