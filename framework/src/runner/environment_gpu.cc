// GPU name, driver and CUDA versions, whether kernels launch chained (LQ_CHAINED_LAUNCHES) and how many
// next products' weights decode's products ask L2 for (LQ_L2_PREFETCH), for the environment block; built
// only with a CUDA libtorch.
#include <c10/core/Device.h>
#include <cuda_runtime_api.h>

#include "llama_quant/cuda/chained_launch.cuh"
#include "model/decode_prefetch.h"
#include "runner/environment.h"

namespace lq {

json cuda_environment(const std::string& device) {
  c10::Device d(device);
  json env = {{"cuda_runtime_version", CUDART_VERSION}};
  cudaDeviceProp prop{};
  const int index = d.has_index() ? d.index() : 0;
  env["chained_launches"] = cuda::chained_launches_enabled_on(index);
  env["l2_prefetch"] = decode_prefetch_depth();
  if (cudaGetDeviceProperties(&prop, index) == cudaSuccess) {
    env["gpu_name"] = prop.name;
    env["gpu_memory_bytes"] = static_cast<int64_t>(prop.totalGlobalMem);
    env["gpu_compute_capability"] = std::to_string(prop.major) + "." + std::to_string(prop.minor);
  }
  int driver = 0;
  if (cudaDriverGetVersion(&driver) == cudaSuccess) env["cuda_driver_version"] = driver;
  return env;
}

}  // namespace lq
