// What kernels ask of a CUDA device before they launch (its compute capability and multiprocessor count),
// read from the runtime once per device: eager prefill asks for every product, several times over, and
// each attribute query costs host time.
#pragma once

#include <cuda_runtime.h>

#include <atomic>
#include <cstdint>

namespace lq::cuda {

struct DeviceTraits {
  int major = 0, minor = 0;  // compute capability
  int sms = 0;               // multiprocessors
};

// The traits of `device`, or zeros where it cannot be read (no such device, no driver); a successful read
// is kept, a failed one is tried again next time.
inline DeviceTraits device_traits(int device) {
  constexpr int kDevices = 64;
  // Per device: 0 not read yet, else bit 0 set and major, minor, sms in bits 8, 16 and 32 up.
  static std::atomic<uint64_t> known[kDevices];
  if (device < 0 || device >= kDevices) return {};
  uint64_t packed = known[device].load(std::memory_order_relaxed);
  if (packed == 0) {
    int major = 0, minor = 0, sms = 0;
    if (cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device) != cudaSuccess ||
        cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device) != cudaSuccess ||
        cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device) != cudaSuccess)
      return {};
    packed = 1 | static_cast<uint64_t>(major & 0xff) << 8 | static_cast<uint64_t>(minor & 0xff) << 16 |
             static_cast<uint64_t>(static_cast<uint32_t>(sms)) << 32;
    known[device].store(packed, std::memory_order_relaxed);
  }
  return {static_cast<int>(packed >> 8 & 0xff), static_cast<int>(packed >> 16 & 0xff),
          static_cast<int>(packed >> 32)};
}

// The current device's traits, or zeros where there is none.
inline DeviceTraits current_device_traits() {
  int device = 0;
  return cudaGetDevice(&device) == cudaSuccess ? device_traits(device) : DeviceTraits{};
}

}  // namespace lq::cuda
