#include <boost/json.hpp>

#include "citytwin/common/json_document.hpp"
#include "citytwin/common/json_parse.hpp"
#include "citytwin/common/json_text.hpp"
#include "citytwin/http/kpi_routes.hpp"
#include "citytwin/http/problem.hpp"
#include "citytwin/kpi/report.hpp"
#include "ngsi/media_type.hpp"
#include "ngsi/request_env.hpp"

namespace citytwin::http {
namespace {

using kpi::KpiService;

constexpr std::string_view kBase = "/kpi/v1";

Response json(int status, const boost::json::value& body) {
  return Response::with_body(status, "application/json", to_json_text(body));
}

std::string param(const Request& request, std::string_view name) {
  return std::string(request.param(name).value_or(""));
}

Response list_catalogue(Request& request, KpiService& service) {
  auto tenant = ngsi::tenant_of(request);
  if (!tenant) return problem_response(tenant.error());
  kpi::CatalogueFilter filter;
  filter.dimension = param(request, "dimension");
  filter.sub_dimension = param(request, "subDimension");
  filter.core_or_advanced = param(request, "coreOrAdvanced");
  filter.sdg = param(request, "sdg");
  auto listed = service.list_catalogue(*tenant, filter);
  if (!listed) return problem_response(listed.error());
  return json(200, *listed);
}

Response get_catalogue_entry(Request& request, KpiService& service) {
  auto tenant = ngsi::tenant_of(request);
  if (!tenant) return problem_response(tenant.error());
  auto entry = service.describe(*tenant, request.path_param("code"));
  if (!entry) return problem_response(entry.error());
  return json(200, *entry);
}

Response list_definitions(Request& request, KpiService& service) {
  auto tenant = ngsi::tenant_of(request);
  if (!tenant) return problem_response(tenant.error());
  auto listed = service.list_definitions(*tenant);
  if (!listed) return problem_response(listed.error());
  return json(200, *listed);
}

Response put_definition(Request& request, KpiService& service) {
  auto tenant = ngsi::tenant_of(request);
  if (!tenant) return problem_response(tenant.error());
  if (ngsi::media_type_essence(request.header("content-type").value_or("")) != "application/json") {
    return problem_response(
        make_error(ErrorKind::kUnsupportedMediaType, "Content-Type must be application/json"));
  }
  auto body = parse_json_document(request.body, "the body");
  if (!body) return problem_response(body.error());
  auto stored = service.put_definition(*tenant, request.path_param("code"), *body);
  if (!stored) return problem_response(stored.error());
  return json(200, *stored);
}

// A refused file: ProblemDetails (400 BadRequestData) with every row's error.
Response rejected(const std::vector<kpi::RowError>& errors) {
  Response response = problem_response(make_error(
      ErrorKind::kBadRequestData,
      std::to_string(errors.size()) + " problem(s) in the inputs; nothing was imported"));
  boost::system::error_code ec;
  auto body = citytwin::parse_json(response.body, ec);
  if (ec || !body.is_object()) return response;
  boost::json::array list;
  for (const auto& error : errors) {
    list.push_back({{"row", error.row}, {"column", error.column}, {"reason", error.reason}});
  }
  body.as_object()["errors"] = std::move(list);
  response.body = to_json_text(body);
  return response;
}

Response post_inputs(Request& request, KpiService& service) {
  auto tenant = ngsi::tenant_of(request);
  if (!tenant) return problem_response(tenant.error());
  auto type = ngsi::media_type_essence(request.header("content-type").value_or(""));
  kpi::InputFormat format;
  if (type == "text/csv") {
    format = kpi::InputFormat::kCsv;
  } else if (type == "application/json") {
    format = kpi::InputFormat::kJson;
  } else {
    return problem_response(make_error(ErrorKind::kUnsupportedMediaType,
                                       "Content-Type must be text/csv or application/json"));
  }
  auto outcome = service.import(*tenant, format, request.body);
  if (!outcome) return problem_response(outcome.error());
  if (!outcome->accepted) return rejected(outcome->errors);
  return json(201, boost::json::object{{"importId", outcome->import_id},
                                       {"rows", outcome->rows},
                                       {"results", outcome->results}});
}

Response get_inputs(Request& request, KpiService& service) {
  auto tenant = ngsi::tenant_of(request);
  if (!tenant) return problem_response(tenant.error());
  kpi::InputFilter filter{param(request, "city"), param(request, "period"),
                          param(request, "variable")};
  auto listed = service.inputs(*tenant, filter);
  if (!listed) return problem_response(listed.error());
  return json(200, *listed);
}

Response get_results(Request& request, KpiService& service) {
  auto tenant = ngsi::tenant_of(request);
  if (!tenant) return problem_response(tenant.error());
  kpi::ResultFilter filter{param(request, "city"), param(request, "period"),
                           param(request, "dimension"), param(request, "code")};
  auto listed = service.results(*tenant, filter);
  if (!listed) return problem_response(listed.error());
  return json(200, *listed);
}

Result<boost::json::value> json_body(const Request& request) {
  if (ngsi::media_type_essence(request.header("content-type").value_or("")) != "application/json") {
    return make_error(ErrorKind::kUnsupportedMediaType, "Content-Type must be application/json");
  }
  return parse_json_document(request.body, "the body");
}

Response put_rule(Request& request, KpiService& service) {
  auto tenant = ngsi::tenant_of(request);
  if (!tenant) return problem_response(tenant.error());
  auto body = json_body(request);
  if (!body) return problem_response(body.error());
  auto stored = service.put_rule(*tenant, request.path_param("variable"), *body);
  if (!stored) return problem_response(stored.error());
  return json(200, *stored);
}

Response list_rules(Request& request, KpiService& service) {
  auto tenant = ngsi::tenant_of(request);
  if (!tenant) return problem_response(tenant.error());
  auto listed = service.list_rules(*tenant);
  if (!listed) return problem_response(listed.error());
  return json(200, *listed);
}

// {"city", "period"}: computes the city's sensor-derived inputs for the period and imports
// them (then recomputes the KPIs that use them).
Response evaluate_rules(Request& request, KpiService& service) {
  auto tenant = ngsi::tenant_of(request);
  if (!tenant) return problem_response(tenant.error());
  auto body = json_body(request);
  if (!body) return problem_response(body.error());
  const auto* object = body->if_object();
  const auto* city = object ? object->if_contains("city") : nullptr;
  const auto* period = object ? object->if_contains("period") : nullptr;
  if (city == nullptr || period == nullptr || !city->is_string() || !period->is_string()) {
    return problem_response(make_error(ErrorKind::kBadRequestData,
                                       "the body must be {\"city\": ..., \"period\": ...}"));
  }
  auto evaluation = service.evaluate_rules(*tenant, city->as_string(), period->as_string());
  if (!evaluation) return problem_response(evaluation.error());
  boost::json::array skipped;
  for (const auto& [variable, reason] : evaluation->skipped) {
    skipped.push_back({{"variable", variable}, {"reason", reason}});
  }
  boost::json::object out{{"skipped", std::move(skipped)}};
  if (evaluation->imported.accepted) {
    out["importId"] = evaluation->imported.import_id;
    out["rows"] = evaluation->imported.rows;
    out["results"] = evaluation->imported.results;
  }
  return json(200, out);
}

Response put_targets(Request& request, KpiService& service) {
  auto tenant = ngsi::tenant_of(request);
  if (!tenant) return problem_response(tenant.error());
  auto body = json_body(request);
  if (!body) return problem_response(body.error());
  auto stored = service.put_targets(*tenant, *body);
  if (!stored) return problem_response(stored.error());
  return json(200, *stored);
}

Response put_target(Request& request, KpiService& service) {
  auto tenant = ngsi::tenant_of(request);
  if (!tenant) return problem_response(tenant.error());
  auto body = json_body(request);
  if (!body) return problem_response(body.error());
  auto stored = service.put_target(*tenant, request.path_param("code"), *body);
  if (!stored) return problem_response(stored.error());
  return json(200, *stored);
}

// ?code= and ?city= filter; a city-specific target and the tenant-wide one are both listed.
Response list_targets(Request& request, KpiService& service) {
  auto tenant = ngsi::tenant_of(request);
  if (!tenant) return problem_response(tenant.error());
  auto targets = service.targets(*tenant);
  if (!targets) return problem_response(targets.error());
  const std::string city = param(request, "city");
  boost::json::array out;
  for (const auto& target : *targets) {
    if (!city.empty() && !target.city.empty() && target.city != city) continue;
    out.push_back(target.to_json());
  }
  return json(200, out);
}

// The target that applies to one KPI (in ?city= when given: the city's own, else the
// tenant-wide one); 404 when there is none.
Response get_target(Request& request, KpiService& service) {
  auto tenant = ngsi::tenant_of(request);
  if (!tenant) return problem_response(tenant.error());
  auto targets = service.targets(*tenant);
  if (!targets) return problem_response(targets.error());
  std::string code(request.path_param("code"));
  const kpi::Target* target = kpi::find_target(*targets, code, param(request, "city"));
  if (target == nullptr) {
    return problem_response(make_error(ErrorKind::kResourceNotFound, "no target for " + code));
  }
  return json(200, target->to_json());
}

Response get_assessment(Request& request, KpiService& service) {
  auto tenant = ngsi::tenant_of(request);
  if (!tenant) return problem_response(tenant.error());
  auto assessment = service.assessment(*tenant, param(request, "city"), param(request, "period"));
  if (!assessment) return problem_response(assessment.error());
  return json(200, assessment->to_json());
}

Response get_comparison(Request& request, KpiService& service) {
  auto tenant = ngsi::tenant_of(request);
  if (!tenant) return problem_response(tenant.error());
  std::vector<std::string> cities;
  std::string list = param(request, "cities");
  for (std::size_t start = 0; start <= list.size();) {
    std::size_t end = list.find(',', start);
    if (end == std::string::npos) end = list.size();
    if (end > start) cities.push_back(list.substr(start, end - start));
    start = end + 1;
  }
  auto compared = service.comparison(*tenant, cities, param(request, "period"));
  if (!compared) return problem_response(compared.error());
  return json(200, *compared);
}

// The self-assessment report. PDF runs headless Chromium for a few seconds on this request's
// worker thread: reports are rare, and the server stays responsive on its other workers.
Response get_report(Request& request, KpiService& service) {
  auto tenant = ngsi::tenant_of(request);
  if (!tenant) return problem_response(tenant.error());
  kpi::ReportRequest wanted{param(request, "city"), param(request, "period"),
                            param(request, "format"), param(request, "lang")};
  if (wanted.format.empty()) wanted.format = "html";
  if (wanted.lang.empty()) wanted.lang = "en";
  auto rendered = kpi::make_report(service, *tenant, wanted);
  if (!rendered) return problem_response(rendered.error());
  Response response = Response::with_body(200, rendered->content_type, std::move(rendered->body));
  return response;
}

Response get_integrity(Request& request, KpiService& service) {
  auto tenant = ngsi::tenant_of(request);
  if (!tenant) return problem_response(tenant.error());
  auto reports = service.verify(*tenant);
  if (!reports) return problem_response(reports.error());
  return json(200, reports->at(0).to_json());
}

}  // namespace

void add_kpi_routes(Router& router, KpiService& service) {
  auto bind = [&service](Response (*handler)(Request&, KpiService&)) {
    return [handler, &service](Request& request) { return handler(request, service); };
  };
  const std::string base(kBase);
  router.add("GET", base + "/catalogue", Permission::kRead, bind(list_catalogue));
  router.add("GET", base + "/catalogue/{code}", Permission::kRead, bind(get_catalogue_entry));
  router.add("GET", base + "/definitions", Permission::kRead, bind(list_definitions));
  router.add("PUT", base + "/definitions/{code}", Permission::kWrite, bind(put_definition));
  router.add("POST", base + "/inputs", Permission::kWrite, bind(post_inputs));
  router.add("GET", base + "/inputs", Permission::kRead, bind(get_inputs));
  router.add("GET", base + "/results", Permission::kRead, bind(get_results));
  router.add("GET", base + "/integrity", Permission::kRead, bind(get_integrity));
  router.add("GET", base + "/targets", Permission::kRead, bind(list_targets));
  router.add("PUT", base + "/targets", Permission::kWrite, bind(put_targets));
  router.add("GET", base + "/targets/{code}", Permission::kRead, bind(get_target));
  router.add("PUT", base + "/targets/{code}", Permission::kWrite, bind(put_target));
  router.add("GET", base + "/assessment", Permission::kRead, bind(get_assessment));
  router.add("GET", base + "/comparison", Permission::kRead, bind(get_comparison));
  router.add("GET", base + "/report", Permission::kRead, bind(get_report));
  router.add("GET", base + "/rules", Permission::kRead, bind(list_rules));
  router.add("PUT", base + "/rules/{variable}", Permission::kWrite, bind(put_rule));
  router.add("POST", base + "/rules/evaluate", Permission::kWrite, bind(evaluate_rules));
}

}  // namespace citytwin::http
