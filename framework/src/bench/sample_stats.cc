#include "bench/sample_stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace lq {
namespace {

double percentile(const std::vector<double>& sorted, double q) {
  double pos = q * static_cast<double>(sorted.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(pos));
  size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (pos - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

}  // namespace

json SampleStats::to_json() const {
  return {{"median", median}, {"p10", p10}, {"p90", p90}, {"mean", mean},
          {"stddev", stddev}, {"min", min}, {"max", max}, {"samples", samples}};
}

SampleStats summarize(const std::vector<double>& samples) {
  if (samples.empty()) throw Error("summarize: no samples");
  SampleStats s;
  s.samples = samples;
  std::vector<double> sorted = samples;
  std::sort(sorted.begin(), sorted.end());
  s.min = sorted.front();
  s.max = sorted.back();
  s.median = percentile(sorted, 0.5);
  s.p10 = percentile(sorted, 0.1);
  s.p90 = percentile(sorted, 0.9);
  double n = static_cast<double>(samples.size());
  s.mean = std::accumulate(samples.begin(), samples.end(), 0.0) / n;
  if (samples.size() > 1) {
    double ss = 0;
    for (double x : samples) ss += (x - s.mean) * (x - s.mean);
    s.stddev = std::sqrt(ss / (n - 1));
  }
  return s;
}

}  // namespace lq
