// Peak memory of the experiment: the CUDA caching allocator's peak (plus what the driver reports in use)
// on a GPU, the process's peak resident set size on the CPU.
#pragma once

#include <string>

#include "llama_quant/params.h"

namespace lq {

// Starts a new peak measurement on `device` (the CPU peak RSS is reset through /proc/self/clear_refs
// where the kernel allows it; otherwise it counts from process start, which in a per-experiment child
// process is nearly the same).
void reset_peak_memory(const std::string& device);

// {"peak_bytes", "source", ...}: source is "cuda_caching_allocator" or "rss"; on a GPU also
// "reserved_peak_bytes", "device_used_bytes" and "device_total_bytes".
json peak_memory(const std::string& device);

// Returns cached device memory to the driver (after the model is freed).
void release_device_memory(const std::string& device);

// The process's peak resident set size in bytes (VmHWM), or -1 when unknown.
int64_t peak_rss_bytes();

#ifdef LQ_HAVE_CUDA
void reset_cuda_peak(const std::string& device);  // memory_stats_gpu.cc
json cuda_peak_memory(const std::string& device);
void release_cuda_memory();
#endif

}  // namespace lq
