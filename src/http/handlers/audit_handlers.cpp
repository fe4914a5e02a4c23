// GET /citytwin/v1/audit: the audit log of the request's tenant (docs/security.md).
#include <boost/json.hpp>
#include <charconv>

#include "citytwin/common/instant.hpp"
#include "citytwin/common/json_text.hpp"
#include "citytwin/http/audit_routes.hpp"
#include "citytwin/http/problem.hpp"
#include "ngsi/request_env.hpp"

namespace citytwin::http {
namespace {

boost::json::object describe(const security::AuditRecord& record) {
  boost::json::object out{{"id", std::to_string(record.sequence)},
                          {"time", format_date_time(record.time)},
                          {"actor", record.actor},
                          {"role", record.role},
                          {"scope", record.scope},
                          {"tenant", record.tenant},
                          {"kind", record.kind},
                          {"method", record.method},
                          {"path", record.path},
                          {"status", record.status}};
  if (!record.device.empty()) out["device"] = record.device;
  // A summary of device messages (MQTT, CoAP): how many, and when the first one came.
  if (record.count != 1 || record.since != record.time) {
    out["count"] = record.count;
    out["since"] = format_date_time(record.since);
  }
  return out;
}

Result<std::optional<Instant>> time_param(const Request& request, std::string_view name) {
  auto text = request.param(name);
  if (!text) return std::optional<Instant>{};
  auto parsed = parse_date_time(*text);
  if (!parsed) {
    return make_error(ErrorKind::kBadRequestData,
                      std::string(name) + " must be an ISO 8601 date-time");
  }
  return std::optional<Instant>(*parsed);
}

Result<std::optional<std::uint64_t>> number_param(const Request& request, std::string_view name) {
  auto text = request.param(name);
  if (!text) return std::optional<std::uint64_t>{};
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size()) {
    return make_error(ErrorKind::kBadRequestData,
                      std::string(name) + " must be a non-negative integer");
  }
  return std::optional<std::uint64_t>(value);
}

Result<security::AuditQuery> audit_query(const Request& request) {
  security::AuditQuery query;
  auto tenant = ngsi::tenant_of(request);
  if (!tenant) return std::move(tenant).error();
  query.tenant = std::move(*tenant);
  auto from = time_param(request, "from");
  if (!from) return std::move(from).error();
  auto to = time_param(request, "to");
  if (!to) return std::move(to).error();
  auto after = number_param(request, "after");
  if (!after) return std::move(after).error();
  auto limit = number_param(request, "limit");
  if (!limit) return std::move(limit).error();
  if (*limit && (**limit == 0 || **limit > 1000)) {
    return make_error(ErrorKind::kBadRequestData, "limit must be between 1 and 1000");
  }
  query.from = *from;
  query.to = *to;
  query.after = *after;
  if (*limit) query.limit = **limit;
  query.actor = std::string(request.param("actor").value_or(""));
  return query;
}

}  // namespace

void add_audit_routes(Router& router, security::AuditLog& audit) {
  router.add("GET", "/citytwin/v1/audit", Permission::kAdmin, [&audit](Request& request) {
    auto query = audit_query(request);
    if (!query) return problem_response(query.error());
    auto page = audit.query(*query);
    if (!page) return problem_response(page.error());
    boost::json::array records;
    for (const auto& record : page->records) records.push_back(describe(record));
    boost::json::object body{{"records", std::move(records)}};
    if (page->next) body["next"] = std::to_string(*page->next);
    return Response::with_body(200, "application/json", to_json_text(body))
        .header("Cache-Control", "no-store");
  });
}

}  // namespace citytwin::http
