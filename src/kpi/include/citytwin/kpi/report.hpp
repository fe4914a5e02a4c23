#pragma once

#include <string>

#include "citytwin/common/result.hpp"
#include "citytwin/kpi/kpi_service.hpp"
#include "citytwin/kpi/pdf_renderer.hpp"

namespace citytwin::kpi {

struct ReportRequest {
  std::string city;
  std::string period;
  std::string format = "html";  // html | pdf
  std::string lang = "en";      // en | fr | es | ar | ru | zh
};

struct RenderedReport {
  std::string content_type;  // text/html; charset=utf-8 | application/pdf
  std::string body;
};

// The self-assessment report of a city for a period (docs/kpi.md, "Report"), used by
// `citytwin kpi report` and GET /kpi/v1/report: the assessment, the integrity log's state,
// rendered as HTML in the asked language and, for pdf, printed by headless Chromium.
Result<RenderedReport> make_report(const KpiService& service, std::string_view tenant,
                                   const ReportRequest& request, const PdfOptions& pdf = {});

}  // namespace citytwin::kpi
