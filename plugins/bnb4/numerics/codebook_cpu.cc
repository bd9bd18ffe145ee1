#include "codebook.h"

namespace bnb4 {

const char* quant_type_name(QuantType t) { return t == QuantType::kNF4 ? "nf4" : "fp4"; }

// Normal-float 4-bit quantiles (QLoRA), exactly as stored in bitsandbytes' kernels.
const float kNF4Values[16] = {-1.0f,
                              -0.6961928009986877f,
                              -0.5250730514526367f,
                              -0.39491748809814453f,
                              -0.28444138169288635f,
                              -0.18477343022823334f,
                              -0.09105003625154495f,
                              0.0f,
                              0.07958029955625534f,
                              0.16093020141124725f,
                              0.24611230194568634f,
                              0.33791524171829224f,
                              0.44070982933044434f,
                              0.5626170039176941f,
                              0.7229568362236023f,
                              1.0f};

// FP4 (1 sign, 2 exponent, 1 mantissa bit, bias 3) divided by its maximum 12; codes 8..15 are negative.
const float kFP4Values[16] = {
    0.0f,  0.005208333333f,  0.66666667f,  1.0f,  0.33333333f,  0.5f,  0.16666667f,  0.25f,
    -0.0f, -0.005208333333f, -0.66666667f, -1.0f, -0.33333333f, -0.5f, -0.16666667f, -0.25f};

// create_dynamic_map(signed=True) exactly as bitsandbytes builds it: float32 torch.linspace and float32
// arithmetic on the CPU, whose vectorised linspace rounds some entries differently from a scalar one.
// These values are the table bitsandbytes 0.50.2 stored on the fixture machine
// (tests/fixtures/bnb4/dynamic_map.bin, checked by tests/bnb4/parity_test.cc).
const float kDynamicMap[256] = {
#include "dynamic_map_values.inc"
};

}  // namespace bnb4
