// Phase stamps: where a launch of the M = 1 kernel spends its time, CTA by CTA. Compiled in only where
// LQ_PHASE_STAMPS is defined (scripts/gpu/matvec_phases.cu includes the kernel's source that way); otherwise
// the macros are empty and the kernel is as it was.
//
// With it, thread 0 of every CTA takes a row of a device table and writes the global timer (ns) at each phase
// the kernel names, with the SM it ran on, its launch's tag (the variant) and the launch's ordinal among
// launches of that tag (tickets per tag: two launches of one variant never run at once in a chain).
#pragma once

#ifdef LQ_PHASE_STAMPS
#include <cstdint>

namespace bnb4::phase_stamps {

constexpr int kPhases = 8, kRows = 1 << 16, kTags = 64;

struct Row {
  uint32_t tag, launch, cta, sm;
  uint64_t t[kPhases];
};

__device__ Row rows[kRows];
__device__ uint32_t rows_taken;
__device__ uint32_t tickets[kTags];

__device__ __forceinline__ uint64_t now() {
  uint64_t t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}

// The row of this CTA (thread 0 only), or kRows when the table is full.
__device__ __forceinline__ uint32_t begin(uint32_t tag) {
  const uint64_t t0 = now();
  const uint32_t r = atomicAdd(&rows_taken, 1u);
  if (r >= kRows) return kRows;
  uint32_t sm;
  asm volatile("mov.u32 %0, %%smid;" : "=r"(sm));
  rows[r].tag = tag;
  rows[r].launch = atomicAdd(&tickets[tag % kTags], 1u) / gridDim.x;
  rows[r].cta = blockIdx.x;
  rows[r].sm = sm;
  rows[r].t[0] = t0;
  return r;
}

}  // namespace bnb4::phase_stamps

#define LQ_PHASE_BEGIN(tag) \
  const uint32_t lq_phase_row = threadIdx.x == 0 ? bnb4::phase_stamps::begin(tag) : bnb4::phase_stamps::kRows
#define LQ_PHASE(p)                             \
  if (lq_phase_row < bnb4::phase_stamps::kRows) \
  bnb4::phase_stamps::rows[lq_phase_row].t[p] = bnb4::phase_stamps::now()
#else
#define LQ_PHASE_BEGIN(tag)
#define LQ_PHASE(p)
#endif
