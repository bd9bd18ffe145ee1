// The report's plots, as SVG (and PNG when rsvg-convert is on PATH): accuracy vs model size with the
// Pareto front, decode throughput bars per batch size and prefill latency bars per prompt length.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "report/summary.h"
#include "runner/result_record.h"

namespace lq {

struct ScatterPoint {
  std::string name;
  double x = 0, y = 0;
  std::optional<double> y_error;
};

// Indices of the points no other point beats (no smaller-or-equal x with a larger y), by increasing x.
std::vector<size_t> pareto_front(const std::vector<ScatterPoint>& points);

std::string accuracy_vs_size_svg(const std::vector<ScatterPoint>& points, const std::string& y_label);

struct BarSeries {
  std::string name;                           // e.g. "batch 8"
  std::vector<std::optional<double>> values;  // one per category
};
// Horizontal grouped bars: one group per category (experiment), one bar per series.
std::string grouped_bars_svg(const std::string& title, const std::string& value_label,
                             const std::vector<std::string>& categories,
                             const std::vector<BarSeries>& series);

// Writes plots/<name>.svg (and .png) for the records that have the figures; returns the files written.
std::vector<std::filesystem::path> write_plots(const std::filesystem::path& dir,
                                               const std::vector<ResultRecord>& records);

// Converts an SVG to PNG with rsvg-convert when it is on PATH; false when it is not or it failed.
bool svg_to_png(const std::filesystem::path& svg, const std::filesystem::path& png);

}  // namespace lq
