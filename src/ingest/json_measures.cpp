// The IoT Agent JSON payload format: a measure object or a multi-measure array, each with an
// optional "TimeInstant" that becomes the observation time (docs/ingest.md, "Payloads").
#include <boost/json.hpp>

#include "citytwin/common/json_document.hpp"
#include "citytwin/ingest/measures.hpp"

namespace citytwin::ingest {
namespace {

Error bad(std::string detail) {
  return make_error(ErrorKind::kBadRequestData, std::move(detail));
}

Result<MeasureGroup> group_of(const boost::json::object& object, std::string_view where,
                              const DecodeLimits& limits) {
  if (object.empty()) return bad(std::string(where) + "has no measures");
  if (object.size() > limits.max_fields) {
    return bad(std::string(where) + "has more than " + std::to_string(limits.max_fields) +
               " measures");
  }
  MeasureGroup group;
  for (const auto& [key, value] : object) {
    if (key.empty()) return bad(std::string(where) + "has a measure with an empty name");
    if (key == kTimeInstant) {
      const auto* text = value.if_string();
      auto instant = text != nullptr ? parse_date_time(*text) : std::nullopt;
      if (!instant) {
        return bad(std::string(where) + "TimeInstant must be an ISO 8601 date-time string");
      }
      group.observed_at = *instant;
      continue;
    }
    if (value.is_null()) continue;  // a null measure reports nothing
    group.fields.emplace_back(std::string(key), value);
  }
  if (group.fields.empty()) return bad(std::string(where) + "has no measures besides TimeInstant");
  return group;
}

}  // namespace

Result<std::vector<MeasureGroup>> decode_json_measures(std::string_view payload,
                                                       const DecodeLimits& limits) {
  auto document = parse_json_document(payload, "the payload");
  if (!document) return std::move(document).error();
  const boost::json::value& parsed = *document;
  std::vector<MeasureGroup> groups;
  if (const auto* object = parsed.if_object()) {
    auto group = group_of(*object, "the measure object ", limits);
    if (!group) return std::move(group).error();
    groups.push_back(std::move(*group));
    return groups;
  }
  const auto* array = parsed.if_array();
  if (array == nullptr) return bad("the payload must be a JSON object or an array of objects");
  if (array->empty()) return bad("the multi-measure array is empty");
  if (array->size() > limits.max_groups) {
    return bad("more than " + std::to_string(limits.max_groups) + " measures in one payload");
  }
  for (std::size_t i = 0; i < array->size(); ++i) {
    std::string where = "measure [" + std::to_string(i) + "] ";
    const auto* object = (*array)[i].if_object();
    if (object == nullptr) return bad(where + "is not a JSON object");
    auto group = group_of(*object, where, limits);
    if (!group) return std::move(group).error();
    groups.push_back(std::move(*group));
  }
  return groups;
}

}  // namespace citytwin::ingest
