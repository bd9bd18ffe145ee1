// A small SVG writer: just the shapes the report's plots use, with XML escaping.
#pragma once

#include <string>
#include <vector>

namespace lq {

class SvgWriter {
 public:
  SvgWriter(double width, double height);

  void rect(double x, double y, double w, double h, const std::string& fill,
            const std::string& stroke = "none");
  void line(double x1, double y1, double x2, double y2, const std::string& stroke, double stroke_width = 1,
            const std::string& dash = "");
  void polyline(const std::vector<std::pair<double, double>>& points, const std::string& stroke,
                double stroke_width = 2, const std::string& dash = "");
  void circle(double cx, double cy, double r, const std::string& fill, const std::string& stroke = "none");
  // anchor: "start", "middle" or "end"; rotate: degrees around (x, y).
  void text(double x, double y, const std::string& content, double size = 12,
            const std::string& anchor = "start", const std::string& weight = "normal", double rotate = 0,
            const std::string& fill = "#222");

  std::string str() const;

  static std::string escape(const std::string& text);

 private:
  double width_, height_;
  std::string body_;
};

// Tick values at a 1/2/5 x 10^k step, about `count` of them, from at or below lo to at or above hi.
std::vector<double> nice_ticks(double lo, double hi, int count = 5);
// A tick label without trailing zeros ("0.5", "20", "1500").
std::string tick_label(double value);

}  // namespace lq
