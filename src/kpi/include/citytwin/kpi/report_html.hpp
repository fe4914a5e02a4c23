#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "citytwin/kpi/assessment.hpp"
#include "citytwin/kpi/report_messages.hpp"

namespace citytwin::kpi {

// What the report states beyond the assessment.
struct ReportContext {
  std::string generated_at;  // ISO 8601
  // The tenant's integrity log when it has one: records, head and problems found.
  std::optional<std::uint64_t> log_records;
  std::uint64_t head_seq = 0;
  std::string head_hash;
  std::size_t log_problems = 0;
};

// The self-assessment report (docs/kpi.md, "Report") as one self-contained HTML document: a
// cover, the summary by dimension, every KPI with value, unit, target, status and an inline
// SVG trend chart, the SDG mapping, data completeness and a provenance appendix. No script,
// no external resource: it prints to PDF offline. Arabic gets dir="rtl".
std::string render_report_html(const Assessment& assessment, const ReportContext& context,
                               const Messages& messages);

// A number for people: whole numbers without a fraction, others with at most two decimals
// (three significant digits below 1). Always ASCII digits and '.'.
std::string format_number(double number);

}  // namespace citytwin::kpi
