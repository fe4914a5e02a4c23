#include "temporal_params.hpp"

#include <charconv>
#include <string>

#include "citytwin/common/instant.hpp"

namespace citytwin::http::ngsi {
namespace {

using Relation = core::TemporalQuery::Relation;
using TimeProperty = core::TemporalQuery::TimeProperty;

Error bad(std::string detail) {
  return make_error(ErrorKind::kBadRequestData, std::move(detail));
}

Result<std::int64_t> date_time_param(const Request& request, std::string_view name) {
  auto text = request.param(name);
  if (!text) return bad(std::string(name) + " is required with this timerel");
  auto instant = parse_date_time(*text);
  if (!instant) {
    return bad(std::string(name) +
               " must be an ISO 8601 date-time such as "
               "2026-11-22T10:00:00Z, got '" +
               std::string(*text) + "'");
  }
  return instant->micros;
}

Result<Relation> relation_param(std::string_view text) {
  if (text == "before") return Relation::kBefore;
  if (text == "after") return Relation::kAfter;
  if (text == "between") return Relation::kBetween;
  return bad("timerel must be before, after or between, got '" + std::string(text) + "'");
}

Result<TimeProperty> property_param(std::string_view text) {
  if (text == "observedAt") return TimeProperty::kObservedAt;
  if (text == "createdAt") return TimeProperty::kCreatedAt;
  if (text == "modifiedAt") return TimeProperty::kModifiedAt;
  if (text == "deletedAt") return TimeProperty::kDeletedAt;
  return bad("timeproperty must be observedAt, createdAt, modifiedAt or deletedAt, got '" +
             std::string(text) + "'");
}

Status read_relation(const Request& request, core::TemporalQuery& query) {
  auto timerel = request.param("timerel");
  if (!timerel) {
    if (request.param("timeAt") || request.param("endTimeAt")) {
      return bad("timeAt and endTimeAt need timerel");
    }
    return ok_status();
  }
  auto relation = relation_param(*timerel);
  if (!relation) return std::move(relation).error();
  query.relation = *relation;
  auto time_at = date_time_param(request, "timeAt");
  if (!time_at) return std::move(time_at).error();
  query.time_at = *time_at;
  if (query.relation != Relation::kBetween) {
    if (request.param("endTimeAt")) return bad("endTimeAt is only allowed with timerel=between");
    return ok_status();
  }
  auto end = date_time_param(request, "endTimeAt");
  if (!end) return std::move(end).error();
  if (*end <= query.time_at) return bad("endTimeAt must be later than timeAt");
  query.end_time_at = *end;
  return ok_status();
}

}  // namespace

Result<core::TemporalQuery> temporal_query_params(const Request& request) {
  core::TemporalQuery query;
  CT_RETURN_IF_ERROR(read_relation(request, query));
  if (auto property = request.param("timeproperty")) {
    auto parsed = property_param(*property);
    if (!parsed) return std::move(parsed).error();
    query.property = *parsed;
  }
  if (auto last_n = request.param("lastN")) {
    std::size_t value = 0;
    auto [end, ec] = std::from_chars(last_n->data(), last_n->data() + last_n->size(), value);
    if (ec != std::errc() || end != last_n->data() + last_n->size() || value == 0) {
      return bad("lastN must be a positive integer, got '" + std::string(*last_n) + "'");
    }
    query.last_n = value;
  }
  return query;
}

}  // namespace citytwin::http::ngsi
