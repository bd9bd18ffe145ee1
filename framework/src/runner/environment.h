// The environment block of a result record: what built and ran the experiment, so that figures from
// different machines or versions are never compared unknowingly.
#pragma once

#include <string>

#include "llama_quant/params.h"

namespace lq {

// {"llama_quant_version", "git_commit", "compiler", "libtorch_version", "cuda_version" (when built with
// CUDA), "cpu_model", "os", "hostname", and for a CUDA `device` "gpu_name" and "gpu_driver"}.
json collect_environment(const std::string& device);

#ifdef LQ_HAVE_CUDA
json cuda_environment(const std::string& device);  // environment_gpu.cc
#endif

}  // namespace lq
