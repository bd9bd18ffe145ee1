#include "bench/memory_stats.h"

#include <sys/resource.h>

#include <fstream>
#include <string>

#include "bench/device_timer.h"

namespace lq {

int64_t peak_rss_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stoll(line.substr(6)) * 1024;  // "VmHWM:  1234 kB"
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) == 0) return static_cast<int64_t>(usage.ru_maxrss) * 1024;
  return -1;
}

void reset_peak_memory(const std::string& device) {
  if (is_cuda_device(device)) {
#ifdef LQ_HAVE_CUDA
    reset_cuda_peak(device);
#endif
    return;
  }
  std::ofstream clear("/proc/self/clear_refs");
  if (clear) clear << "5";  // resets VmHWM to the current RSS (Linux >= 4.0)
}

json peak_memory(const std::string& device) {
#ifdef LQ_HAVE_CUDA
  if (is_cuda_device(device)) return cuda_peak_memory(device);
#endif
  return {{"peak_bytes", peak_rss_bytes()}, {"source", "rss"}};
}

void release_device_memory(const std::string& device) {
#ifdef LQ_HAVE_CUDA
  if (is_cuda_device(device)) release_cuda_memory();
#endif
}

}  // namespace lq
