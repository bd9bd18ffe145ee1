// Host-side copies of the code tables, passed to kernels by value.
#include "device_common.cuh"

namespace bnb4 {

Table16 table16(QuantType t) {
  Table16 out;
  for (int i = 0; i < 16; ++i) out.v[i] = code_values(t)[i];
  return out;
}

Table256 dynamic_map_table() {
  Table256 out;
  for (int i = 0; i < 256; ++i) out.v[i] = kDynamicMap[i];
  return out;
}

}  // namespace bnb4
