// The SVG writer and the plots: Pareto front, escaping, axis labels and legends present, ticks.
#include <gtest/gtest.h>

#include "report/plots.h"
#include "report/svg_writer.h"
#include "report_records.h"

using namespace lq;

TEST(Pareto, KeepsPointsNoOtherBeats) {
  auto point = [](const char* name, double x, double y) { return ScatterPoint{name, x, y, std::nullopt}; };
  std::vector<ScatterPoint> p = {point("fp16", 256, 60), point("nf4", 80, 59), point("fp4", 80, 55),
                                 point("int8", 130, 58), point("big", 300, 61)};
  EXPECT_EQ(pareto_front(p), (std::vector<size_t>{1, 0, 4}));  // int8 is beaten by the smaller nf4
  EXPECT_TRUE(pareto_front({}).empty());
}

TEST(Svg, EscapesTextAndNamesAxes) {
  EXPECT_EQ(SvgWriter::escape("a<b & \"c\">"), "a&lt;b &amp; &quot;c&quot;&gt;");
  std::string svg =
      accuracy_vs_size_svg({{"fp16 <base>", 256, 60.1, 1.2}, {"nf4", 80, 59.3, 1.2}}, "coqa F1 (%)");
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_NE(svg.find("fp16 &lt;base&gt;"), std::string::npos);
  EXPECT_NE(svg.find("Model size (MB, weights)"), std::string::npos);
  EXPECT_NE(svg.find("coqa F1 (%)"), std::string::npos);
  EXPECT_NE(svg.find("Pareto front"), std::string::npos);
  EXPECT_NE(svg.find("<polyline"), std::string::npos);
  EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n");
}

TEST(Svg, BarsShowMissingValuesAsNotAvailable) {
  std::string svg =
      grouped_bars_svg("t", "tokens per second", {"a", "b"}, {{"batch 1", {10.0, std::nullopt}}});
  EXPECT_NE(svg.find("n/a"), std::string::npos);
  EXPECT_NE(svg.find("tokens per second"), std::string::npos);
}

TEST(Svg, NiceTicksCoverTheRange) {
  EXPECT_EQ(nice_ticks(0, 100), (std::vector<double>{0, 20, 40, 60, 80, 100}));
  EXPECT_EQ(nice_ticks(0, 7), (std::vector<double>{0, 2, 4, 6, 8}));
  EXPECT_EQ(nice_ticks(52, 63), (std::vector<double>{50, 55, 60, 65}));
  auto small = nice_ticks(0.1, 0.35);
  std::vector<double> expected{0.1, 0.15, 0.2, 0.25, 0.3, 0.35};
  ASSERT_EQ(small.size(), expected.size());
  for (size_t i = 0; i < small.size(); ++i) EXPECT_NEAR(small[i], expected[i], 1e-12);
  EXPECT_EQ(tick_label(0.5), "0.5");
  EXPECT_EQ(tick_label(1500), "1500");
}
