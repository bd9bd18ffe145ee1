#include "report/plots.h"

#include <algorithm>
#include <cmath>
#include <unistd.h>

#include <cstdlib>
#include <set>

#include "report/svg_writer.h"
#include "runner/atomic_file.h"
#include "runner/child_process.h"

namespace fs = std::filesystem;

namespace lq {
namespace {

const std::vector<std::string> kPalette = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                           "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
const std::string& color(size_t i) { return kPalette[i % kPalette.size()]; }

constexpr double kCharWidth = 7.0;  // average width of a 12 px character, for layout

std::optional<fs::path> find_on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  if (!path) return std::nullopt;
  std::string all = path;
  for (size_t start = 0; start <= all.size();) {
    size_t end = all.find(':', start);
    if (end == std::string::npos) end = all.size();
    fs::path candidate = fs::path(all.substr(start, end - start)) / program;
    std::error_code ec;
    if (end > start && fs::is_regular_file(candidate, ec) && ::access(candidate.c_str(), X_OK) == 0)
      return candidate;
    start = end + 1;
  }
  return std::nullopt;
}

}  // namespace

std::vector<size_t> pareto_front(const std::vector<ScatterPoint>& points) {
  std::vector<size_t> order(points.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return points[a].x != points[b].x ? points[a].x < points[b].x : points[a].y > points[b].y;
  });
  std::vector<size_t> front;
  for (size_t i : order)
    if (front.empty() || points[i].y > points[front.back()].y) front.push_back(i);
  return front;
}

std::string accuracy_vs_size_svg(const std::vector<ScatterPoint>& points, const std::string& y_label) {
  size_t longest = 12;
  for (const auto& p : points) longest = std::max(longest, p.name.size());
  const double left = 70, top = 50, plot_w = 480, plot_h = 320, legend_w = 40 + kCharWidth * longest;
  SvgWriter svg(left + plot_w + legend_w + 20, top + plot_h + 70);
  svg.text(left + plot_w / 2, 28, "Accuracy vs model size", 16, "middle", "bold");

  double x_max = 0, y_lo = 100, y_hi = 0;
  for (const auto& p : points) {
    double e = p.y_error.value_or(0);
    x_max = std::max(x_max, p.x);
    y_lo = std::min(y_lo, p.y - e);
    y_hi = std::max(y_hi, p.y + e);
  }
  if (points.empty()) y_lo = 0, y_hi = 100, x_max = 1;
  double pad = std::max(2.0, (y_hi - y_lo) * 0.15);
  auto yt = nice_ticks(std::max(0.0, y_lo - pad), std::min(100.0, y_hi + pad));
  auto xt = nice_ticks(0, x_max * 1.1);
  double x0 = 0, x1 = xt.back(), y0 = yt.front(), y1 = yt.back();
  auto px = [&](double x) { return left + (x - x0) / (x1 - x0) * plot_w; };
  auto py = [&](double y) { return top + plot_h - (y - y0) / (y1 - y0) * plot_h; };

  for (double t : yt) {
    svg.line(left, py(t), left + plot_w, py(t), "#e5e5e5");
    svg.text(left - 8, py(t) + 4, tick_label(t), 12, "end");
  }
  for (double t : xt) {
    svg.line(px(t), top, px(t), top + plot_h, "#e5e5e5");
    svg.text(px(t), top + plot_h + 18, tick_label(t), 12, "middle");
  }
  svg.rect(left, top, plot_w, plot_h, "none", "#444");
  svg.text(left + plot_w / 2, top + plot_h + 44, "Model size (MB, weights)", 13, "middle");
  svg.text(20, top + plot_h / 2, y_label, 13, "middle", "normal", -90);

  std::vector<std::pair<double, double>> front;
  for (size_t i : pareto_front(points)) front.emplace_back(px(points[i].x), py(points[i].y));
  if (front.size() > 1) svg.polyline(front, "#555", 1.5, "6,4");
  for (size_t i = 0; i < points.size(); ++i) {
    const auto& p = points[i];
    if (p.y_error) {
      svg.line(px(p.x), py(p.y - *p.y_error), px(p.x), py(p.y + *p.y_error), color(i), 1.5);
      svg.line(px(p.x) - 4, py(p.y - *p.y_error), px(p.x) + 4, py(p.y - *p.y_error), color(i), 1.5);
      svg.line(px(p.x) - 4, py(p.y + *p.y_error), px(p.x) + 4, py(p.y + *p.y_error), color(i), 1.5);
    }
    svg.circle(px(p.x), py(p.y), 6, color(i), "white");
  }
  double lx = left + plot_w + 20, ly = top + 10;
  for (size_t i = 0; i < points.size(); ++i, ly += 20) {
    svg.circle(lx + 6, ly - 4, 6, color(i), "white");
    svg.text(lx + 18, ly, points[i].name, 12);
  }
  svg.line(lx, ly - 4, lx + 14, ly - 4, "#555", 1.5, "6,4");
  svg.text(lx + 18, ly, "Pareto front", 12);
  svg.text(lx, ly + 22, "bars: ± standard error", 11, "start", "normal", 0, "#666");
  return svg.str();
}

std::string grouped_bars_svg(const std::string& title, const std::string& value_label,
                             const std::vector<std::string>& categories,
                             const std::vector<BarSeries>& series) {
  size_t longest = 8;
  for (const auto& c : categories) longest = std::max(longest, c.size());
  const double bar_h = 16, gap = 14, plot_w = 460;
  const double left = 20 + kCharWidth * longest, top = 70;
  const double group_h = bar_h * static_cast<double>(series.size()) + gap;
  const double plot_h = group_h * static_cast<double>(categories.size()) + gap;
  SvgWriter svg(left + plot_w + 90, top + plot_h + 60);
  svg.text((left + plot_w) / 2 + 20, 26, title, 16, "middle", "bold");

  double vmax = 0;
  for (const auto& s : series)
    for (const auto& v : s.values)
      if (v) vmax = std::max(vmax, *v);
  auto ticks = nice_ticks(0, vmax > 0 ? vmax * 1.05 : 1);
  double xmax = ticks.back();
  auto px = [&](double v) { return left + v / xmax * plot_w; };

  double lx = left;
  for (size_t s = 0; s < series.size(); ++s) {
    svg.rect(lx, 42, 12, 12, color(s));
    svg.text(lx + 17, 52, series[s].name, 12);
    lx += 40 + kCharWidth * static_cast<double>(series[s].name.size());
  }
  for (double t : ticks) {
    svg.line(px(t), top, px(t), top + plot_h, "#e5e5e5");
    svg.text(px(t), top + plot_h + 18, tick_label(t), 12, "middle");
  }
  for (size_t c = 0; c < categories.size(); ++c) {
    double gy = top + gap + group_h * static_cast<double>(c);
    svg.text(left - 8, gy + bar_h * static_cast<double>(series.size()) / 2 + 4, categories[c], 12, "end");
    for (size_t s = 0; s < series.size(); ++s) {
      double y = gy + bar_h * static_cast<double>(s);
      const auto& v = series[s].values[c];
      if (!v) {
        svg.text(left + 4, y + bar_h - 4, "n/a", 11, "start", "normal", 0, "#888");
        continue;
      }
      svg.rect(left, y + 1, px(*v) - left, bar_h - 2, color(s));
      svg.text(px(*v) + 4, y + bar_h - 4, tick_label(std::round(*v * 10) / 10), 11);
    }
  }
  svg.line(left, top, left, top + plot_h, "#444");
  svg.line(left, top + plot_h, left + plot_w, top + plot_h, "#444");
  svg.text(left + plot_w / 2, top + plot_h + 44, value_label, 13, "middle");
  return svg.str();
}

bool svg_to_png(const fs::path& svg, const fs::path& png) {
  auto program = find_on_path("rsvg-convert");
  if (!program) return false;
  ChildSpec spec;
  spec.program = program->string();
  spec.args = {"--zoom=2", "--background-color=white", "-o", png.string(), svg.string()};
  spec.timeout_s = 60;
  try {
    return run_child(spec).succeeded();
  } catch (const std::exception&) {
    return false;
  }
}

std::vector<fs::path> write_plots(const fs::path& dir, const std::vector<ResultRecord>& records) {
  std::vector<std::pair<std::string, std::string>> plots;  // file stem, svg

  std::vector<ScatterPoint> points;
  std::string task;
  for (const auto& r : records) {
    if (!r.ok() || !r.size_mb()) continue;
    for (auto it = r.tasks.begin(); it != r.tasks.end(); ++it) {
      auto f1 = r.metric(it.key(), "f1");
      if (!f1 || (!task.empty() && task != it.key())) continue;
      task = it.key();
      auto se = r.metric(task, "f1_stderr");
      points.push_back(
          {r.name, *r.size_mb(), *f1 * 100, se ? std::optional<double>(*se * 100) : std::nullopt});
      break;
    }
  }
  if (!points.empty()) plots.emplace_back("accuracy_vs_size", accuracy_vs_size_svg(points, task + " F1 (%)"));

  // One series per batch size (throughput) or prompt length (latency) measured by any experiment.
  auto bars = [&](const char* list, const char* key, const char* stat, const std::string& prefix) {
    std::set<int64_t> keys;
    std::vector<const ResultRecord*> with;
    for (const auto& r : records) {
      auto l = r.benchmark.find(list);
      if (!r.ok() || l == r.benchmark.end() || !l->is_array() || l->empty()) continue;
      with.push_back(&r);
      for (const auto& e : *l) keys.insert(e.value(key, int64_t{0}));
    }
    std::vector<std::string> names;
    for (auto* r : with) names.push_back(r->name);
    std::vector<BarSeries> series;
    for (int64_t k : keys) {
      BarSeries s{prefix + std::to_string(k), {}};
      for (auto* r : with) {
        std::optional<double> v;
        for (const auto& e : r->benchmark[list])
          if (e.value(key, int64_t{0}) == k && e.contains(stat) && e[stat].contains("median"))
            v = e[stat]["median"].get<double>();
        s.values.push_back(v);
      }
      series.push_back(std::move(s));
    }
    return std::make_pair(names, series);
  };
  auto [tp_names, tp_series] = bars("decode", "batch_size", "tokens_per_s", "batch ");
  if (!tp_names.empty())
    plots.emplace_back("decode_throughput",
                       grouped_bars_svg("Decode throughput (median)", "tokens per second (higher is better)",
                                        tp_names, tp_series));
  auto [lat_names, lat_series] = bars("prefill", "prompt_length", "latency_ms", "prompt ");
  if (!lat_names.empty())
    plots.emplace_back("prefill_latency",
                       grouped_bars_svg("Prefill latency, time to first token (median)",
                                        "milliseconds (lower is better)", lat_names, lat_series));

  std::vector<fs::path> written;
  for (const auto& [stem, svg] : plots) {
    fs::path file = dir / "plots" / (stem + ".svg");
    write_file_atomically(file, svg);
    written.push_back(file);
    fs::path png = dir / "plots" / (stem + ".png");
    if (svg_to_png(file, png)) written.push_back(png);
  }
  return written;
}

}  // namespace lq
