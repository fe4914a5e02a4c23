#include "citytwin/kpi/trend_chart.hpp"

#include <algorithm>
#include <cstdio>

#include "html_escape.hpp"

namespace citytwin::kpi {
namespace {

constexpr double kWidth = 150;
constexpr double kHeight = 44;
constexpr double kPadX = 8;
constexpr double kPadTop = 5;
constexpr double kPadBottom = 12;  // room for the period labels

std::string fixed(double number) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f", number);
  return buffer;
}

}  // namespace

std::string trend_chart_svg(const std::vector<TrendPoint>& points, std::optional<double> target,
                            std::string_view aria_label) {
  if (points.empty()) return {};
  double low = points.front().value;
  double high = low;
  for (const auto& point : points) {
    low = std::min(low, point.value);
    high = std::max(high, point.value);
  }
  if (target) {
    low = std::min(low, *target);
    high = std::max(high, *target);
  }
  if (high == low) {  // a flat series: centre it
    high += 1;
    low -= 1;
  }
  const double first = points.front().position;
  const double span = points.back().position - first;
  auto x_of = [&](double position) {
    if (span == 0) return kWidth / 2;
    return kPadX + (position - first) / span * (kWidth - 2 * kPadX);
  };
  auto y_of = [&](double value) {
    return kPadTop + (high - value) / (high - low) * (kHeight - kPadTop - kPadBottom);
  };
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"" +
                    fixed(kWidth) + "\" height=\"" + fixed(kHeight) + "\" viewBox=\"0 0 " +
                    fixed(kWidth) + " " + fixed(kHeight) + "\" role=\"img\" aria-label=\"" +
                    html_escape(aria_label) + "\">";
  svg += "<line class=\"axis\" x1=\"0\" x2=\"" + fixed(kWidth) + "\" y1=\"" +
         fixed(kHeight - kPadBottom) + "\" y2=\"" + fixed(kHeight - kPadBottom) +
         "\" stroke=\"#bbb\" stroke-width=\"0.5\"/>";
  if (target) {
    svg += "<line class=\"target\" x1=\"0\" x2=\"" + fixed(kWidth) + "\" y1=\"" +
           fixed(y_of(*target)) + "\" y2=\"" + fixed(y_of(*target)) +
           "\" stroke=\"#2a7\" stroke-width=\"1\" stroke-dasharray=\"3 2\"/>";
  }
  if (points.size() > 1) {
    svg += "<polyline fill=\"none\" stroke=\"#246\" stroke-width=\"1.5\" points=\"";
    for (const auto& point : points) {
      svg += fixed(x_of(point.position)) + "," + fixed(y_of(point.value)) + " ";
    }
    svg.back() = '"';
    svg += "/>";
  }
  for (const auto& point : points) {
    svg += "<circle cx=\"" + fixed(x_of(point.position)) + "\" cy=\"" + fixed(y_of(point.value)) +
           "\" r=\"2\" fill=\"#246\"/>";
  }
  // Labels of the first and last period only: the chart is small.
  auto label = [&](const TrendPoint& point, std::string_view anchor) {
    return "<text x=\"" + fixed(x_of(point.position)) + "\" y=\"" + fixed(kHeight - 2) +
           "\" font-size=\"8\" text-anchor=\"" + std::string(anchor) + "\" fill=\"#555\">" +
           html_escape(point.period) + "</text>";
  };
  if (points.size() == 1) {
    svg += label(points.front(), "middle");
  } else {
    svg += label(points.front(), "start");
    svg += label(points.back(), "end");
  }
  svg += "</svg>";
  return svg;
}

}  // namespace citytwin::kpi
