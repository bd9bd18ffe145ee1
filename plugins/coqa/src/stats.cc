#include "stats.h"

#include <cmath>
#include <limits>

namespace lq::coqa {

double py_sum(const std::vector<double>& values) {
  double total = 0, compensation = 0;
  for (double x : values) {
    double t = total + x;
    if (std::fabs(total) >= std::fabs(x))
      compensation += (total - t) + x;
    else
      compensation += (x - t) + total;
    total = t;
  }
  if (compensation != 0 && std::isfinite(compensation)) total += compensation;
  return total;
}

double mean(const std::vector<double>& values) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  return py_sum(values) / static_cast<double>(values.size());
}

double mean_stderr(const std::vector<double>& values) {
  if (values.size() < 2) return std::numeric_limits<double>::quiet_NaN();
  const double mu = mean(values);
  std::vector<double> squares;
  squares.reserve(values.size());
  for (double x : values) squares.push_back((x - mu) * (x - mu));
  const double n = static_cast<double>(values.size());
  return std::sqrt(py_sum(squares) / (n - 1)) / std::sqrt(n);
}

}  // namespace lq::coqa
