// The host-side copy of the dynamic map, passed to kernels by value (table16 is inline: device_common.cuh).
#include "device_common.cuh"

namespace bnb4 {

Table256 dynamic_map_table() {
  Table256 out;
  for (int i = 0; i < 256; ++i) out.v[i] = kDynamicMap[i];
  return out;
}

}  // namespace bnb4
