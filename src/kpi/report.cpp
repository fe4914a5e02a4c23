#include "citytwin/kpi/report.hpp"

#include "citytwin/common/instant.hpp"
#include "citytwin/kpi/report_html.hpp"

namespace citytwin::kpi {

Result<RenderedReport> make_report(const KpiService& service, std::string_view tenant,
                                   const ReportRequest& request, const PdfOptions& pdf) {
  if (request.format != "html" && request.format != "pdf") {
    return make_error(ErrorKind::kBadRequestData, "format must be html or pdf");
  }
  auto messages = Messages::load(request.lang);
  if (!messages) return std::move(messages).error();
  auto assessment = service.assessment(tenant, request.city, request.period);
  if (!assessment) return std::move(assessment).error();
  ReportContext context;
  context.generated_at = format_date_time(service.clock().now());
  auto reports = service.verify(std::string(tenant));
  if (!reports) return std::move(reports).error();
  if (!reports->empty() && reports->front().records > 0) {
    const auto& report = reports->front();
    context.log_records = report.records;
    context.head_seq = report.head_seq;
    context.head_hash = report.head_hash;
    context.log_problems = report.problems.size();
  }
  std::string html = render_report_html(*assessment, context, *messages);
  if (request.format == "html") return RenderedReport{"text/html; charset=utf-8", std::move(html)};
  auto printed = html_to_pdf(html, pdf);
  if (!printed) return std::move(printed).error();
  return RenderedReport{"application/pdf", std::move(*printed)};
}

}  // namespace citytwin::kpi
