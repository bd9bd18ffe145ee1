# Every external dependency of llama-quant, found in one place.
find_package(Torch REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(spdlog REQUIRED)
find_package(nlohmann_json 3.9 REQUIRED)
# CONFIG: CMake 4 no longer ships FindBoost. Boost.DLL is header-only with BOOST_DLL_USE_STD_FS.
find_package(Boost 1.70 CONFIG REQUIRED)
find_package(Threads REQUIRED)
if(LQ_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(LQ_BUILD_BENCHMARKS)
  find_package(benchmark REQUIRED)
endif()

# CUDA: kernels compile wherever nvcc is (CI has the toolkit but no GPU); the libtorch glue that hands
# them tensors builds only where libtorch itself was built with CUDA.
include(CheckLanguage)
check_language(CUDA)
set(_lq_torch_has_cuda OFF)
if(TARGET torch_cuda OR TORCH_CUDA_LIBRARIES OR CAFFE2_USE_CUDA)
  set(_lq_torch_has_cuda ON)
endif()
set(_lq_cuda_default OFF)
if(CMAKE_CUDA_COMPILER)
  set(_lq_cuda_default ON)
endif()
option(LQ_WITH_CUDA "Compile the CUDA kernels" ${_lq_cuda_default})
set(LQ_TORCH_CUDA ${_lq_torch_has_cuda} CACHE INTERNAL "libtorch was built with CUDA")
if(LQ_WITH_CUDA)
  # The H100 (sm_90) unless the user names architectures; the kernels need sm_80 or newer (mma.m16n8k16).
  # Set before enable_language, which would otherwise pick the compiler's default (sm_75 for CUDA 13).
  if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES AND NOT DEFINED ENV{CUDAARCHS})
    set(CMAKE_CUDA_ARCHITECTURES 90)
  endif()
  enable_language(CUDA)
  # bnb4's prefill kernel is built for sm_90a (wgmma), which nvcc has from CUDA 12.0.
  if(CMAKE_CUDA_COMPILER_VERSION VERSION_LESS 12.0)
    message(FATAL_ERROR "llama-quant: the CUDA kernels need nvcc 12.0 or newer (sm_90a); found "
                        "${CMAKE_CUDA_COMPILER_VERSION}. Configure with -DLQ_WITH_CUDA=OFF to build without them.")
  endif()
  find_package(CUDAToolkit REQUIRED)
  set(CMAKE_CUDA_STANDARD 17)
  set(CMAKE_CUDA_STANDARD_REQUIRED ON)
endif()
message(STATUS "llama-quant: torch ${Torch_VERSION}, CUDA kernels ${LQ_WITH_CUDA}, torch CUDA ${LQ_TORCH_CUDA}")
