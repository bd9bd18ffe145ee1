// Device helpers shared by the framework's raw CUDA kernels (ops/*.cu): the SDK's element roundings and
// chained launches, and the dtype dispatch of a launcher.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include "llama_quant/cuda/chained_launch.cuh"
#include "llama_quant/cuda/element_rounding.cuh"
#include "ops/fused_kernels.h"

namespace lq::kernels {

using lq::cuda::from_float;
using lq::cuda::launch_chained;
using lq::cuda::let_next_kernel_start;
using lq::cuda::mul_round;
using lq::cuda::prefetch_l2;
using lq::cuda::rms_scale;
using lq::cuda::rotated_round;
using lq::cuda::silu_mul_round;
using lq::cuda::silu_mul_round_of_sums;
using lq::cuda::to_float;
using lq::cuda::unit_to_floats;
using lq::cuda::wait_for_previous_kernel;

template <class F>
cudaError_t dispatch(Dtype dtype, F&& f) {
  switch (dtype) {
    case Dtype::kF32:
      return f(float{});
    case Dtype::kF16:
      return f(__half{});
    case Dtype::kBF16:
      return f(__nv_bfloat16{});
  }
  return cudaErrorInvalidValue;
}

}  // namespace lq::kernels
