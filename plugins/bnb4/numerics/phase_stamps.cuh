// Phase stamps: where a launch of the M = 1 kernel spends its time, CTA by CTA. Compiled in only where
// LQ_PHASE_STAMPS is defined (scripts/gpu/matvec_phases.cu includes the kernel's source that way); otherwise
// the macros are empty and the kernel is as it was.
//
// With it, thread 0 of every CTA keeps the global timer (ns) at each phase the kernel names in shared memory
// (a store: the stamps barely move what they measure), and at the end takes a row of a device table for
// them, with the SM it ran on, its launch's tag (the variant) and the launch's ordinal among launches of
// that tag (tickets per tag: two launches of one variant never run at once in a chain).
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

// Thread 0, after the last phase: the CTA's stamps into the next free row (dropped once the table is full).
__device__ __forceinline__ void record(uint32_t tag, const uint64_t* t) {
  const uint32_t r = atomicAdd(&rows_taken, 1u);
  if (r >= kRows) return;
  uint32_t sm;
  asm volatile("mov.u32 %0, %%smid;" : "=r"(sm));
  rows[r].tag = tag;
  rows[r].launch = atomicAdd(&tickets[tag % kTags], 1u) / gridDim.x;
  rows[r].cta = blockIdx.x;
  rows[r].sm = sm;
  for (int p = 0; p < kPhases; ++p) rows[r].t[p] = t[p];
}

}  // namespace bnb4::phase_stamps

#define LQ_PHASE(p) \
  if (threadIdx.x == 0) lq_phase_t[p] = bnb4::phase_stamps::now()
#define LQ_PHASE_BEGIN(tag)                                    \
  __shared__ uint64_t lq_phase_t[bnb4::phase_stamps::kPhases]; \
  const uint32_t lq_phase_tag = (tag);                         \
  LQ_PHASE(0)
#define LQ_PHASE_END()                       \
  LQ_PHASE(bnb4::phase_stamps::kPhases - 1); \
  if (threadIdx.x == 0) bnb4::phase_stamps::record(lq_phase_tag, lq_phase_t)
#else
#define LQ_PHASE_BEGIN(tag)
#define LQ_PHASE(p)
#define LQ_PHASE_END()
#endif
