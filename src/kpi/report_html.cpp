#include "citytwin/kpi/report_html.hpp"

#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "citytwin/kpi/trend_chart.hpp"
#include "html_escape.hpp"

namespace citytwin::kpi {
namespace {

// "onTrack" -> "OnTrack": message keys are a prefix and the capitalized code.
std::string key_of(std::string_view prefix, std::string_view code) {
  std::string key(prefix);
  if (!code.empty()) {
    key += static_cast<char>(std::toupper(static_cast<unsigned char>(code[0])));
    key += code.substr(1);
  }
  return key;
}

std::string dimension_key(std::string_view dimension) {
  if (dimension == "Economy") return "dimEconomy";
  if (dimension == "Environment") return "dimEnvironment";
  if (dimension == "Society and Culture") return "dimSociety";
  return "allDimensions";
}

std::string unit_text(std::string_view unit) {
  if (unit == "percent") return "%";
  if (unit == "1") return "";
  return std::string(unit);
}

std::string percent(double share) {
  return format_number(std::round(share * 1000) / 10) + " %";
}

constexpr std::string_view kStyle = R"css(
@page { size: A4; margin: 14mm 12mm; }
body { font-family: "Noto Sans", "Noto Sans Arabic", "Noto Naskh Arabic", "Noto Sans CJK SC",
       "DejaVu Sans", sans-serif; font-size: 9.5pt; color: #222; margin: 0; }
html[lang="zh"] body { font-family: "Noto Sans CJK SC", "Noto Sans", sans-serif; }
h1 { font-size: 22pt; margin: 30mm 0 4mm; color: #124; }
h2 { font-size: 14pt; color: #124; border-bottom: 1px solid #9ab; padding-bottom: 1mm;
     margin-top: 8mm; }
h3 { font-size: 11.5pt; color: #235; margin: 5mm 0 2mm; }
.subtitle { font-size: 12pt; color: #456; }
section { page-break-before: always; }
section.cover { page-break-before: avoid; }
table { border-collapse: collapse; width: 100%; margin: 2mm 0; }
th, td { border-bottom: 1px solid #dde; padding: 1.2mm 1.5mm; text-align: start;
         vertical-align: top; }
th { background: #eef2f6; font-weight: 600; }
thead { display: table-header-group; }
tr { page-break-inside: avoid; }
td.num { font-variant-numeric: tabular-nums; white-space: nowrap; }
.code { font-family: "DejaVu Sans Mono", monospace; font-size: 8pt; white-space: nowrap;
        direction: ltr; unicode-bidi: embed; }
.status { font-weight: 600; white-space: nowrap; }
.onTrack { color: #17723a; } .offTrack { color: #b3261e; }
.noData { color: #777; } .noStatus { color: #7a5b00; }
.why { display: block; font-size: 7.5pt; color: #555; font-weight: normal; white-space: normal; }
svg.chart { direction: ltr; display: block; }
dl.facts { display: grid; grid-template-columns: max-content auto; gap: 1mm 6mm; font-size: 12pt; }
dl.facts dt { font-weight: 600; }
.note { color: #555; font-size: 8.5pt; }
)css";

std::string status_cell(const KpiAssessment& kpi, const Messages& m) {
  std::string status(status_name(kpi.status.status));
  std::map<std::string, std::string> params;
  if (kpi.target) params["year"] = std::to_string(kpi.target->year);
  return "<td class=\"status " + status + "\">" + html_escape(m.text(key_of("status", status))) +
         "<span class=\"why\">" +
         html_escape(m.text(key_of("reason", status_reason_name(kpi.status.reason)), params)) +
         "</span></td>";
}

std::string target_text(const KpiAssessment& kpi, const Messages& m) {
  if (!kpi.target) return html_escape(m.text("none"));
  return html_escape(m.text("targetBy", {{"value", format_number(kpi.target->value)},
                                         {"year", std::to_string(kpi.target->year)}}));
}

std::string change_text(const KpiAssessment& kpi, const Messages& m) {
  if (!kpi.change) return "";
  std::string text = (*kpi.change > 0 ? "+" : "") + format_number(*kpi.change);
  if (kpi.change_percent) {
    text += " (" + std::string(*kpi.change_percent > 0 ? "+" : "") +
            format_number(std::round(*kpi.change_percent * 10) / 10) + " %)";
  }
  if (!kpi.trend_word.empty())
    text += "<br>" + html_escape(m.text(key_of("trend", kpi.trend_word)));
  return text;
}

void cover(std::string& html, const Assessment& a, const ReportContext& context,
           const Messages& m) {
  html += "<section class=\"cover\"><h1>" + html_escape(m.text("title")) + "</h1>";
  html += "<p class=\"subtitle\">" + html_escape(m.text("subtitle")) + "</p>";
  html += "<dl class=\"facts\"><dt>" + html_escape(m.text("city")) + "</dt><dd>" +
          html_escape(a.city) + "</dd><dt>" + html_escape(m.text("period")) + "</dt><dd>" +
          html_escape(a.period) + "</dd><dt>" + html_escape(m.text("generated")) + "</dt><dd>" +
          html_escape(context.generated_at) + "</dd></dl>";
  html += "<p>" +
          html_escape(
              m.text("coverSummary", {{"withValue", std::to_string(a.total.with_value)},
                                      {"kpis", std::to_string(a.total.kpis)},
                                      {"coreWithValue", std::to_string(a.total.core_with_value)},
                                      {"core", std::to_string(a.total.core)}})) +
          "</p>";
  html += "<p class=\"note\">" + html_escape(m.text("coverNote")) + "</p>";
  html += "<h2>" + html_escape(m.text("contents")) + "</h2><ol>";
  for (auto [anchor, key] : {std::pair{"summary", "sectionSummary"},
                             {"kpis", "sectionKpis"},
                             {"sdg", "sectionSdg"},
                             {"completeness", "sectionCompleteness"},
                             {"provenance", "sectionProvenance"}}) {
    html +=
        "<li><a href=\"#" + std::string(anchor) + "\">" + html_escape(m.text(key)) + "</a></li>";
  }
  html += "</ol></section>";
}

void summary(std::string& html, const Assessment& a, const Messages& m) {
  html += "<section id=\"summary\"><h2>" + html_escape(m.text("sectionSummary")) +
          "</h2><table><thead><tr>";
  for (auto key : {"colDimension", "colKpis", "colWithValue", "colCompleteness", "colCore",
                   "statusOnTrack", "statusOffTrack", "statusNoStatus", "statusNoData"}) {
    html += "<th>" + html_escape(m.text(key)) + "</th>";
  }
  html += "</tr></thead><tbody>";
  auto row = [&](const DimensionSummary& s, bool total) {
    auto count = [&s](const char* status) {
      auto it = s.by_status.find(status);
      return std::to_string(it == s.by_status.end() ? 0 : it->second);
    };
    html += std::string(total ? "<tr class=\"total\"><th>" : "<tr><td>") +
            html_escape(m.text(dimension_key(s.dimension))) + (total ? "</th>" : "</td>");
    html += "<td class=\"num\">" + std::to_string(s.kpis) + "</td><td class=\"num\">" +
            std::to_string(s.with_value) + "</td><td class=\"num\">" + percent(s.completeness()) +
            "</td><td class=\"num\">" + std::to_string(s.core_with_value) + " / " +
            std::to_string(s.core) + "</td>";
    for (auto status : {"onTrack", "offTrack", "noStatus", "noData"}) {
      html += "<td class=\"num " + std::string(status) + "\">" + count(status) + "</td>";
    }
    html += "</tr>";
  };
  for (const auto& s : a.dimensions) row(s, false);
  row(a.total, true);
  html += "</tbody></table></section>";
}

void indicators(std::string& html, const Assessment& a, const Messages& m) {
  html += "<section id=\"kpis\"><h2>" + html_escape(m.text("sectionKpis")) + "</h2>";
  for (const auto& dimension : a.dimensions) {
    html += "<h3>" + html_escape(m.text(dimension_key(dimension.dimension))) +
            "</h3><table><thead><tr>";
    for (auto key : {"colCode", "colName", "colValue", "colUnit", "colTarget", "colStatus",
                     "colTrend", "colChange"}) {
      html += "<th>" + html_escape(m.text(key)) + "</th>";
    }
    html += "</tr></thead><tbody>";
    for (const auto& kpi : a.kpis) {
      if (kpi.entry->dimension != dimension.dimension) continue;
      std::optional<double> target;
      if (kpi.target) target = kpi.target->value;
      html += "<tr><td class=\"code\">" + html_escape(kpi.entry->code) + "</td><td>" +
              html_escape(kpi.entry->name) + "<span class=\"why\">" +
              html_escape(m.text(kpi.entry->core_or_advanced == "core" ? "core" : "advanced")) +
              " · " + html_escape(m.text(key_of("direction", kpi.entry->direction))) +
              (kpi.origin == "local" ? " · " + html_escape(m.text("originLocal")) : std::string()) +
              "</span></td><td class=\"num\">" + (kpi.value ? format_number(*kpi.value) : "—") +
              "</td><td>" + html_escape(unit_text(kpi.unit)) + "</td><td>" + target_text(kpi, m) +
              "</td>" + status_cell(kpi, m) + "<td>" +
              trend_chart_svg(kpi.trend, target, kpi.entry->code) + "</td><td class=\"num\">" +
              change_text(kpi, m) + "</td></tr>";
    }
    html += "</tbody></table>";
  }
  html += "</section>";
}

void sdg_mapping(std::string& html, const Assessment& a, const Messages& m) {
  html += "<section id=\"sdg\"><h2>" + html_escape(m.text("sectionSdg")) + "</h2><p>" +
          html_escape(m.text("sdgIntro")) + "</p><table><thead><tr><th>" +
          html_escape(m.text("colGoal")) + "</th><th>" + html_escape(m.text("colCode")) +
          "</th><th>" + html_escape(m.text("colName")) + "</th><th>" +
          html_escape(m.text("colSdg")) + "</th><th>" + html_escape(m.text("colStatus")) +
          "</th></tr></thead><tbody>";
  // goal number -> KPIs referring to one of its targets or indicators
  std::map<int, std::vector<const KpiAssessment*>> by_goal;
  std::size_t without = 0;
  for (const auto& kpi : a.kpis) {
    std::set<int> goals;
    for (const auto& ref : kpi.entry->sdg) {
      int goal = std::atoi(ref.c_str());
      if (goal >= 1 && goal <= 17) goals.insert(goal);
    }
    if (goals.empty()) ++without;
    for (int goal : goals) by_goal[goal].push_back(&kpi);
  }
  for (const auto& [goal, kpis] : by_goal) {
    bool first = true;
    for (const KpiAssessment* kpi : kpis) {
      std::string refs;
      for (const auto& ref : kpi->entry->sdg) {
        if (std::atoi(ref.c_str()) == goal) refs += (refs.empty() ? "" : ", ") + ref;
      }
      std::string status(status_name(kpi->status.status));
      html += "<tr>";
      if (first) {
        html += "<th rowspan=\"" + std::to_string(kpis.size()) + "\">" +
                html_escape(m.text("sdgGoal", {{"goal", std::to_string(goal)}})) + "</th>";
      }
      first = false;
      html += "<td class=\"code\">" + html_escape(kpi->entry->code) + "</td><td>" +
              html_escape(kpi->entry->name) + "</td><td class=\"code\">" + html_escape(refs) +
              "</td><td class=\"status " + status + "\">" +
              html_escape(m.text(key_of("status", status))) + "</td></tr>";
    }
  }
  html += "</tbody></table><p>" +
          html_escape(m.text("sdgNone", {{"count", std::to_string(without)}})) + "</p></section>";
}

void completeness(std::string& html, const Assessment& a, const Messages& m) {
  std::map<std::string, std::size_t> origins;
  std::size_t core_lacking = 0;
  std::size_t advanced_lacking = 0;
  for (const auto& kpi : a.kpis) {
    origins[kpi.origin] += 1;
    if (!kpi.value) ++(kpi.entry->core_or_advanced == "core" ? core_lacking : advanced_lacking);
  }
  html +=
      "<section id=\"completeness\"><h2>" + html_escape(m.text("sectionCompleteness")) + "</h2>";
  html += "<p>" +
          html_escape(m.text("definitionsCount", {{"official", std::to_string(origins["official"])},
                                                  {"local", std::to_string(origins["local"])},
                                                  {"pending", std::to_string(origins["none"])}})) +
          "</p><p>" +
          html_escape(core_lacking == 0
                          ? m.text("allCoreCovered")
                          : m.text("coreLacking", {{"count", std::to_string(core_lacking)}})) +
          "</p><p>" +
          html_escape(m.text("advancedLacking", {{"count", std::to_string(advanced_lacking)}})) +
          "</p><p>" + html_escape(m.text("completenessIntro")) + "</p>";
  html += "<table><thead><tr>";
  for (auto key : {"colCode", "colName", "colType", "colDefinition", "colMissing"}) {
    html += "<th>" + html_escape(m.text(key)) + "</th>";
  }
  html += "</tr></thead><tbody>";
  // Core KPIs first: they are the ones a U4SSC verification requires.
  for (const char* kind : {"core", "advanced"}) {
    for (const auto& kpi : a.kpis) {
      if (kpi.value || kpi.entry->core_or_advanced != kind) continue;
      std::string missing;
      if (kpi.origin == "none") {
        missing = html_escape(m.text("noDefinition"));
      } else if (!kpi.missing.empty()) {
        for (const auto& name : kpi.missing) {
          missing += (missing.empty() ? "" : ", ") +
                     ("<span class=\"code\">" + html_escape(name) + "</span>");
        }
      } else {
        missing = html_escape(kpi.no_data_reason.empty() ? m.text("noInputs") : kpi.no_data_reason);
      }
      html += "<tr><td class=\"code\">" + html_escape(kpi.entry->code) + "</td><td>" +
              html_escape(kpi.entry->name) + "</td><td>" + html_escape(m.text(kind)) + "</td><td>" +
              html_escape(m.text(key_of("origin", kpi.origin))) + "</td><td>" + missing +
              "</td></tr>";
    }
  }
  html += "</tbody></table>";
  // Definitions set by the city are listed by name: a verifier must see them.
  std::string local;
  for (const auto& kpi : a.kpis) {
    if (kpi.origin == "local")
      local += "<li><span class=\"code\">" + html_escape(kpi.entry->code) + "</span> " +
               html_escape(kpi.entry->name) + "</li>";
  }
  if (!local.empty()) {
    html += "<h3>" + html_escape(m.text("originLocal")) + "</h3><ul>" + local + "</ul>";
  }
  html += "</section>";
}

std::string member(const boost::json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (value == nullptr) return {};
  if (value->is_string()) return std::string(value->as_string());
  if (value->is_number()) return format_number(value->to_number<double>());
  return {};
}

void provenance(std::string& html, const Assessment& a, const ReportContext& context,
                const Messages& m) {
  html += "<section id=\"provenance\"><h2>" + html_escape(m.text("sectionProvenance")) +
          "</h2><p>" + html_escape(m.text("provenanceIntro")) + "</p><table><thead><tr>";
  for (auto key :
       {"colCode", "colInput", "colValue", "colUnit", "colSource", "colMethod", "colImport"}) {
    html += "<th>" + html_escape(m.text(key)) + "</th>";
  }
  html += "</tr></thead><tbody>";
  for (const auto& kpi : a.kpis) {
    if (!kpi.value) continue;
    for (const auto& item : kpi.provenance) {
      const auto* object = item.if_object();
      if (object == nullptr) continue;
      std::string import = member(*object, "importId");
      if (auto row = member(*object, "row"); !row.empty()) import += " #" + row;
      html += "<tr><td class=\"code\">" + html_escape(kpi.entry->code) +
              "</td><td class=\"code\">" + html_escape(member(*object, "variable")) +
              "</td><td class=\"num\">" + html_escape(member(*object, "value")) + "</td><td>" +
              html_escape(unit_text(member(*object, "unit"))) + "</td><td>" +
              html_escape(member(*object, "source")) + "</td><td>" +
              html_escape(member(*object, "method")) + "</td><td class=\"code\">" +
              html_escape(import) + "</td></tr>";
    }
  }
  html += "</tbody></table><h3>" + html_escape(m.text("integrity")) + "</h3><p>";
  if (context.log_records) {
    html += html_escape(
        context.log_problems == 0
            ? m.text("integrityOk", {{"records", std::to_string(*context.log_records)},
                                     {"seq", std::to_string(context.head_seq)},
                                     {"hash", context.head_hash}})
            : m.text("integrityBad", {{"count", std::to_string(context.log_problems)}}));
  }
  html += "</p></section>";
}

}  // namespace

std::string format_number(double number) {
  char buffer[64];
  if (std::fabs(number) < 1e15 && number == std::floor(number)) {
    std::snprintf(buffer, sizeof buffer, "%.0f", number);
  } else if (std::fabs(number) < 1) {
    std::snprintf(buffer, sizeof buffer, "%.3g", number);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.2f", number);
    std::string text = buffer;
    while (text.back() == '0') text.pop_back();
    if (text.back() == '.') text.pop_back();
    return text;
  }
  return buffer;
}

std::string render_report_html(const Assessment& assessment, const ReportContext& context,
                               const Messages& messages) {
  std::string html = "<!DOCTYPE html>\n<html lang=\"" + messages.lang() + "\" dir=\"" +
                     (messages.right_to_left() ? "rtl" : "ltr") +
                     "\"><head><meta charset=\"utf-8\"><title>" +
                     html_escape(messages.text("title")) + " — " + html_escape(assessment.city) +
                     " " + html_escape(assessment.period) + "</title><style>" +
                     std::string(kStyle) + "</style></head><body>";
  cover(html, assessment, context, messages);
  summary(html, assessment, messages);
  indicators(html, assessment, messages);
  sdg_mapping(html, assessment, messages);
  completeness(html, assessment, messages);
  provenance(html, assessment, context, messages);
  html += "</body></html>\n";
  return html;
}

}  // namespace citytwin::kpi
