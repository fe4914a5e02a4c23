#include "temporal_params.hpp"

#include <algorithm>
#include <charconv>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "citytwin/common/instant.hpp"
#include "citytwin/series/aggregation.hpp"
#include "citytwin/series/period_duration.hpp"
#include "output_options.hpp"

namespace citytwin::http::ngsi {
namespace {

// Looks a temporal parameter up by name: in the URL, or in a body's temporalQ.
using TemporalParams = std::function<std::optional<std::string_view>(std::string_view)>;

using Relation = core::TemporalQuery::Relation;
using TimeProperty = core::TemporalQuery::TimeProperty;

Error bad(std::string detail) {
  return make_error(ErrorKind::kBadRequestData, std::move(detail));
}

Result<std::int64_t> date_time_param(const TemporalParams& params, std::string_view name) {
  auto text = params(name);
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

Status read_relation(const TemporalParams& params, core::TemporalQuery& query) {
  auto timerel = params("timerel");
  if (!timerel) {
    if (params("timeAt") || params("endTimeAt")) {
      return bad("timeAt and endTimeAt need timerel");
    }
    return ok_status();
  }
  auto relation = relation_param(*timerel);
  if (!relation) return std::move(relation).error();
  query.relation = *relation;
  auto time_at = date_time_param(params, "timeAt");
  if (!time_at) return std::move(time_at).error();
  query.time_at = *time_at;
  if (query.relation != Relation::kBetween) {
    if (params("endTimeAt")) return bad("endTimeAt is only allowed with timerel=between");
    return ok_status();
  }
  auto end = date_time_param(params, "endTimeAt");
  if (!end) return std::move(end).error();
  if (*end <= query.time_at) return bad("endTimeAt must be later than timeAt");
  query.end_time_at = *end;
  return ok_status();
}

// options=aggregatedValues with aggrMethods and aggrPeriodDuration (clause 4.5.19).
Status read_aggregation(const Request& request, core::TemporalQuery& query) {
  auto flags = option_flags(request);
  auto format = request.param("format");
  if (!flags.contains("aggregatedValues") && format != "aggregatedValues") return ok_status();
  if (flags.contains("temporalValues") || format == "temporalValues") {
    return bad("options temporalValues and aggregatedValues cannot be combined");
  }
  auto methods = request.param("aggrMethods");
  if (!methods) return bad("aggrMethods is required with options=aggregatedValues");
  core::TemporalAggregation aggregation;
  for (const auto& name : split_list(*methods)) {
    auto method = series::parse_aggregation_method(name);
    if (!method) {
      return bad("aggrMethods: unknown method '" + name +
                 "' (totalCount, distinctCount, sum, avg, min, max, stddev, sumsq)");
    }
    if (std::find(aggregation.methods.begin(), aggregation.methods.end(), *method) ==
        aggregation.methods.end()) {
      aggregation.methods.push_back(*method);
    }
  }
  if (aggregation.methods.empty()) return bad("aggrMethods names no method");
  if (auto period = request.param("aggrPeriodDuration")) {
    auto parsed = series::parse_period_duration(*period);
    if (!parsed) return bad("aggrPeriodDuration: " + parsed.error().detail);
    aggregation.period = *parsed;
  }
  aggregation.attrs_named = request.param("attrs").has_value();
  query.aggregation = std::move(aggregation);
  return ok_status();
}

Status read_temporal_members(const TemporalParams& params, core::TemporalQuery& query) {
  CT_RETURN_IF_ERROR(read_relation(params, query));
  if (auto property = params("timeproperty")) {
    auto parsed = property_param(*property);
    if (!parsed) return std::move(parsed).error();
    query.property = *parsed;
  }
  if (auto last_n = params("lastN")) {
    std::size_t value = 0;
    auto [end, ec] = std::from_chars(last_n->data(), last_n->data() + last_n->size(), value);
    if (ec != std::errc() || end != last_n->data() + last_n->size() || value == 0) {
      return bad("lastN must be a positive integer, got '" + std::string(*last_n) + "'");
    }
    query.last_n = value;
  }
  return ok_status();
}

}  // namespace

Result<core::TemporalQuery> temporal_query_params(const Request& request) {
  core::TemporalQuery query;
  CT_RETURN_IF_ERROR(read_temporal_members(
      [&request](std::string_view name) { return request.param(name); }, query));
  CT_RETURN_IF_ERROR(read_aggregation(request, query));
  return query;
}

Result<core::TemporalQuery> temporal_query_from_body(const boost::json::object& body,
                                                     const Request& request) {
  std::map<std::string, std::string, std::less<>> members;
  if (const auto* temporal_q = body.if_contains("temporalQ")) {
    if (!temporal_q->is_object()) return bad("temporalQ must be an object");
    for (const auto& [name, value] : temporal_q->as_object()) {
      if (value.is_string()) {
        members.emplace(name, value.as_string());
      } else if (name == "lastN" && value.is_int64()) {
        members.emplace(name, std::to_string(value.as_int64()));
      } else {
        return bad("temporalQ." + std::string(name) + " must be a string");
      }
    }
  }
  core::TemporalQuery query;
  // Members of temporalQ win; the URL may carry lastN and timeproperty too.
  CT_RETURN_IF_ERROR(read_temporal_members(
      [&](std::string_view name) -> std::optional<std::string_view> {
        if (auto found = members.find(name); found != members.end()) return found->second;
        if (name == "lastN" || name == "timeproperty") return request.param(name);
        return std::nullopt;
      },
      query));
  CT_RETURN_IF_ERROR(read_aggregation(request, query));
  if (query.aggregation && body.contains("attrs")) query.aggregation->attrs_named = true;
  return query;
}

bool reads_little_history(const Request& request) {
  auto query = temporal_query_params(request);
  if (!query) return true;
  if (query->last_n) return *query->last_n <= kShortLastN;
  if (!query->aggregation || query->relation != core::TemporalQuery::Relation::kBetween) {
    return false;
  }
  const std::int64_t window = query->end_time_at - query->time_at;
  if (window > kShortWindowMicros) return false;
  const series::PeriodDuration& period = query->aggregation->period;
  // A period of a month or more makes at most two of a window this short.
  if (period.is_zero() || period.months > 0) return true;
  return window / period.micros < kShortPeriods;
}

}  // namespace citytwin::http::ngsi
