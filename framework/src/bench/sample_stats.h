// Summary statistics of repeated timing samples: what every benchmark figure reports.
#pragma once

#include <vector>

#include "llama_quant/params.h"

namespace lq {

struct SampleStats {
  double median = 0, p10 = 0, p90 = 0, mean = 0, stddev = 0, min = 0, max = 0;
  std::vector<double> samples;  // raw, in the order measured

  json to_json() const;
};

// Percentiles by linear interpolation between closest ranks (numpy's default); stddev is the sample
// standard deviation (n-1), 0 for a single sample. Throws lq::Error for an empty input.
SampleStats summarize(const std::vector<double>& samples);

}  // namespace lq
