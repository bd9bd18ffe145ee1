// The two matrix-vector kernels behind matvec_4bit_cuda and matvec_4bit_normed_cuda (matmul_4bit.h), which
// pick between them. Both take a group, an optional residual and an optional RMSNorm of x (norm_weight
// null: none).
#pragma once

#include "matmul_4bit.h"

namespace bnb4 {

// CUDA cores, any activation type (matvec_4bit_gpu.cu).
cudaError_t matvec_4bit_cuda_cores(const void* x, ElemType x_type, int64_t K, const WeightGroup& group,
                                   const void* residual, const void* norm_weight, float eps, void* y,
                                   cudaStream_t stream);
// Tensor cores (matvec_4bit_mma_gpu.cu): float16 / bfloat16, K elements of x within 48 KB, sm_80 or newer
// (else cudaErrorNotSupported).
cudaError_t matvec_4bit_tensor_cores(const void* x, ElemType x_type, int64_t K, const WeightGroup& group,
                                     const void* residual, const void* norm_weight, float eps, void* y,
                                     cudaStream_t stream);
// Whether the tensor-core kernel takes this type and K on the current device.
bool matvec_tensor_cores_take(ElemType x_type, int64_t K);

}  // namespace bnb4
