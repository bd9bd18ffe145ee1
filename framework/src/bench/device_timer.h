// Times work on a device: CUDA events around the work (after synchronizing) on a GPU, the steady clock on
// the CPU.
#pragma once

#include <functional>
#include <string>

namespace lq {

// Seconds `work` took on `device` ("cpu", "cuda", "cuda:N"). Waits for the device to finish first, so
// that earlier queued work is not counted, and after, so that all of this work is.
double time_on_device(const std::string& device, const std::function<void()>& work);

// "cuda_events" or "steady_clock": how time_on_device measures on `device`.
std::string timer_name(const std::string& device);

bool is_cuda_device(const std::string& device);

#ifdef LQ_HAVE_CUDA
double time_on_cuda(const std::string& device, const std::function<void()>& work);  // device_timer_gpu.cc
#endif

}  // namespace lq
