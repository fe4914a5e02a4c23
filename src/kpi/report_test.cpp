// The self-assessment report: message catalogues, numbers, trend charts, HTML in six languages.
#include <gtest/gtest.h>

#include "citytwin/kpi/pdf_renderer.hpp"
#include "citytwin/kpi/report_html.hpp"
#include "citytwin/kpi/report_messages.hpp"
#include "citytwin/kpi/trend_chart.hpp"

namespace citytwin::kpi {
namespace {

TEST(ReportMessages, EveryLanguageHasEveryKey) {
  EXPECT_EQ(Messages::languages(), (std::vector<std::string>{"en", "fr", "es", "ar", "ru", "zh"}));
  for (const auto& lang : Messages::languages()) {
    auto messages = Messages::load(lang);
    ASSERT_TRUE(messages.ok()) << lang << ": " << messages.error().detail;
    EXPECT_EQ(messages->right_to_left(), lang == "ar");
  }
  auto unknown = Messages::load("de");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().kind, ErrorKind::kBadRequestData);
}

TEST(ReportMessages, PlaceholdersAreFilled) {
  auto en = Messages::load("en");
  ASSERT_TRUE(en.ok());
  EXPECT_EQ(en->text("targetBy", {{"value", "80"}, {"year", "2030"}}), "80 by 2030");
  EXPECT_EQ(en->text("noSuchKey"), "noSuchKey");
  auto fr = Messages::load("fr");
  ASSERT_TRUE(fr.ok());
  EXPECT_EQ(fr->text("targetBy", {{"value", "80"}, {"year", "2030"}}), "80 d'ici 2030");
}

TEST(ReportNumbers, Formatting) {
  EXPECT_EQ(format_number(30000), "30000");
  EXPECT_EQ(format_number(75.5), "75.5");
  EXPECT_EQ(format_number(2.3456), "2.35");
  EXPECT_EQ(format_number(0.01234), "0.0123");
  EXPECT_EQ(format_number(-4), "-4");
}

TEST(TrendChart, DrawsPointsAndTarget) {
  std::vector<TrendPoint> points = {{"2023", 2023, 60}, {"2024", 2024, 65}, {"2025", 2025, 70}};
  std::string svg = trend_chart_svg(points, 80.0, "EC.ICT.ICT.1C");
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("<polyline"), std::string::npos);
  EXPECT_NE(svg.find("class=\"target\""), std::string::npos);
  EXPECT_NE(svg.find(">2023<"), std::string::npos);
  EXPECT_NE(svg.find(">2025<"), std::string::npos);
  std::size_t circles = 0;
  for (std::size_t at = svg.find("<circle"); at != std::string::npos;
       at = svg.find("<circle", at + 1)) {
    ++circles;
  }
  EXPECT_EQ(circles, 3u);
  // The highest value (target 80) is at the top, the lowest (60) at the bottom of the plot.
  EXPECT_NE(svg.find("y1=\"5.0\""), std::string::npos);
  EXPECT_EQ(trend_chart_svg({}, std::nullopt, "x"), "");
  std::string single = trend_chart_svg({{"2025", 2025, 5}}, std::nullopt, "x");
  EXPECT_EQ(single.find("<polyline"), std::string::npos);
  EXPECT_NE(single.find("<circle"), std::string::npos);
}

Catalogue one_kpi() {
  auto catalogue = Catalogue::parse(R"({"kpis": [
    {"code": "EC.A.1C", "name": "Households <with> Internet", "dimension": "Economy",
     "subDimension": "ICT", "coreOrAdvanced": "core", "sdg": ["17.6.1", "9.c"],
     "direction": "higher", "status": "computable",
     "definition": {"numerator": {"name": "a", "unit": "count"},
                    "denominator": {"name": "b", "unit": "count"},
                    "multiplier": 100, "unit": "percent"}},
    {"code": "EN.B.2A", "name": "Pending one", "dimension": "Environment", "subDimension": "Air",
     "coreOrAdvanced": "advanced", "sdg": [], "direction": "unknown", "status": "pending"}]})");
  EXPECT_TRUE(catalogue.ok());
  return std::move(*catalogue);
}

TEST(ReportHtml, TranslatedHeadingsRtlAndContent) {
  Catalogue catalogue = one_kpi();
  AssessmentSources sources;
  sources.catalogue = &catalogue;
  sources.origin = {{"EC.A.1C", "official"}};
  sources.variables = {{"EC.A.1C", {"a", "b"}}};
  boost::json::array provenance{{{"variable", "a"},
                                 {"value", 42000},
                                 {"unit", "count"},
                                 {"importId", "imp-00000001"},
                                 {"row", 2},
                                 {"source", "Census"}}};
  sources.results = {
      {{"kpiCode", "EC.A.1C"}, {"area", "demo"}, {"period", "2024"}, {"kpiValue", 65}},
      {{"kpiCode", "EC.A.1C"},
       {"area", "demo"},
       {"period", "2025"},
       {"kpiValue", 70},
       {"provenance", provenance}}};
  sources.targets = {Target{"EC.A.1C", "", 80, 2030, "", "", ""}};
  Assessment assessment = assess(sources, "demo", "2025");
  ReportContext context{"2026-01-01T00:00:00Z", 5, 5, "abc123", 0};
  for (const auto& lang : Messages::languages()) {
    auto messages = Messages::load(lang);
    ASSERT_TRUE(messages.ok());
    std::string html = render_report_html(assessment, context, *messages);
    for (auto key : {"title", "sectionSummary", "sectionKpis", "sectionSdg", "sectionCompleteness",
                     "sectionProvenance", "statusOnTrack"}) {
      EXPECT_NE(html.find(messages->text(key)), std::string::npos) << lang << " " << key;
    }
    EXPECT_NE(html.find(std::string("dir=\"") + (lang == "ar" ? "rtl" : "ltr") + "\""),
              std::string::npos)
        << lang;
    // KPI names stay as in the catalogue, escaped.
    EXPECT_NE(html.find("Households &lt;with&gt; Internet"), std::string::npos);
    EXPECT_NE(html.find("<svg"), std::string::npos);
    EXPECT_NE(html.find("imp-00000001 #2"), std::string::npos);
    EXPECT_NE(html.find("abc123"), std::string::npos);
    EXPECT_EQ(html.find("<script"), std::string::npos);
  }
  auto en = Messages::load("en");
  std::string html = render_report_html(assessment, context, *en);
  EXPECT_NE(html.find("SDG 17"), std::string::npos);
  EXPECT_NE(html.find("SDG 9"), std::string::npos);
  EXPECT_NE(html.find("Advanced KPIs without data: 1."), std::string::npos);
  EXPECT_NE(html.find("Every core KPI has a value."), std::string::npos);
  EXPECT_NE(html.find("The trend reaches the target by 2030."), std::string::npos);
}

TEST(PdfRenderer, MissingChromiumIsAClearError) {
  auto printed = html_to_pdf("<html></html>", PdfOptions{"/nonexistent/chromium", 5});
  ASSERT_FALSE(printed.ok());
  EXPECT_EQ(printed.error().kind, ErrorKind::kOperationNotSupported);
  EXPECT_NE(printed.error().detail.find("chromium"), std::string::npos);
}

}  // namespace
}  // namespace citytwin::kpi
