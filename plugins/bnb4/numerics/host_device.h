// BNB4_HD marks the small functions that the CPU reference and the CUDA kernels share: host and device
// inline under nvcc, plain inline elsewhere.
#pragma once

#ifdef __CUDACC__
#define BNB4_HD __host__ __device__ __forceinline__
#else
#define BNB4_HD inline
#endif
