// Means and standard errors as lm-evaluation-harness aggregates per-sample scores.
#pragma once

#include <vector>

namespace lq::coqa {

// Python 3.12's sum() of floats (compensated, Neumaier), so means agree with the harness's to the bit.
double py_sum(const std::vector<double>& values);
// sum / n; NaN for no values.
double mean(const std::vector<double>& values);
// The harness's mean_stderr: sample standard deviation (n - 1) over sqrt(n); NaN below two values.
double mean_stderr(const std::vector<double>& values);

}  // namespace lq::coqa
