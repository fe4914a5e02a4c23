// GET /citytwin/v1/export: the recorded history of the selected entities as CSV or JSON
// Lines, streamed (issue #3 "export for analysts"; core::HistoryExport says what a row is).
#include <memory>

#include "citytwin/core/history_export.hpp"
#include "handler_support.hpp"
#include "handlers.hpp"
#include "output_options.hpp"
#include "query_params.hpp"
#include "temporal_params.hpp"

namespace citytwin::http::ngsi {
namespace {

// The export as a response body; the first piece is made before the response starts so
// that errors found early (an unknown tenant, a history too long) are a ProblemDetails.
class ExportStream final : public BodyStream {
 public:
  ExportStream(std::shared_ptr<const jsonld::Context> context,
               std::unique_ptr<core::HistoryExport> source)
      : context_(std::move(context)), source_(std::move(source)) {}

  Result<std::optional<std::string>> next() override {
    if (first_) return std::optional<std::string>(std::exchange(first_, std::nullopt));
    return source_->next();
  }

  Status prefetch() {
    auto piece = source_->next();
    if (!piece) return std::move(piece).error();
    first_ = std::move(*piece);
    return ok_status();
  }

 private:
  std::shared_ptr<const jsonld::Context> context_;  // the export's term mapper lives here
  std::unique_ptr<core::HistoryExport> source_;
  std::optional<std::string> first_;
};

Result<core::HistoryExport::Format> export_format(const Request& request) {
  auto format = request.param("format").value_or("csv");
  if (format == "csv") return core::HistoryExport::Format::kCsv;
  if (format == "jsonl") return core::HistoryExport::Format::kJsonLines;
  return make_error(ErrorKind::kBadRequestData,
                    "format must be csv or jsonl, got '" + std::string(format) + "'");
}

}  // namespace

Response export_history(Request& request, NgsiApi& api) {
  auto env = prepare_read(request, api);
  if (!env) return fail(env.error());
  auto format = export_format(request);
  if (!format) return fail(format.error());
  auto selection = query_from_parameters(request, *env, api.options);
  if (!selection) return fail(selection.error());
  auto temporal = temporal_query_params(request);
  if (!temporal) return fail(temporal.error());
  if (temporal->aggregation) {
    return fail(
        make_error(ErrorKind::kBadRequestData, "an export holds instances, not aggregates"));
  }
  // Personal attributes never leave in an export (docs/security.md, "Personal data").
  if (api.data_policies != nullptr) {
    auto redaction = api.data_policies->export_view(env->tenant);
    if (!redaction) return fail(redaction.error());
    temporal->restriction = std::move(*redaction);
  }
  if (auto attrs = request.param("attrs")) {
    for (const auto& name : split_list(*attrs)) temporal->attrs.insert(env->context->expand(name));
  }
  auto source =
      std::make_unique<core::HistoryExport>(api.entities, api.temporal, *env->context, env->tenant,
                                            std::move(*selection), std::move(*temporal), *format);
  auto stream = std::make_shared<ExportStream>(env->context, std::move(source));
  if (auto status = stream->prefetch(); !status.ok()) return fail(status.error());
  bool csv = *format == core::HistoryExport::Format::kCsv;
  Response response;
  response.status = 200;
  response.header("Content-Type", csv ? "text/csv; charset=utf-8" : "application/x-ndjson");
  response.header("Content-Disposition", std::string("attachment; filename=\"citytwin-export.") +
                                             (csv ? "csv" : "jsonl") + "\"");
  response.stream = std::move(stream);
  return response;
}

}  // namespace citytwin::http::ngsi
