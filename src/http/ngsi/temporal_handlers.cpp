// The temporal representation of entities (GS CIM 009 clause 5.7.3, 6.19): GET
// /temporal/entities/{entityId}.
#include <map>
#include <string>

#include "citytwin/model/entity_form.hpp"
#include "handler_support.hpp"
#include "handlers.hpp"
#include "output_options.hpp"
#include "request_env.hpp"
#include "temporal_params.hpp"

namespace citytwin::http::ngsi {
namespace {

using TimeProperty = core::TemporalQuery::TimeProperty;

bool is_entity_member(std::string_view name) {
  return name == "id" || name == "type" || name == "scope" || name == "@context" ||
         name == "createdAt" || name == "modifiedAt" || name == "deletedAt";
}

std::string_view time_member(TimeProperty property) {
  switch (property) {
    case TimeProperty::kObservedAt:
      return "observedAt";
    case TimeProperty::kCreatedAt:
      return "createdAt";
    case TimeProperty::kModifiedAt:
      return "modifiedAt";
    case TimeProperty::kDeletedAt:
      return "deletedAt";
  }
  return "observedAt";
}

// The value member of an instance and its plural in the simplified temporal representation
// (clause 4.5.9: "values", "objects", "languageMaps", ...).
std::pair<std::string_view, std::string_view> value_members(const boost::json::object& instance) {
  static constexpr std::pair<std::string_view, std::string_view> kMembers[] = {
      {"value", "values"}, {"object", "objects"},       {"languageMap", "languageMaps"},
      {"vocab", "vocabs"}, {"valueList", "valueLists"}, {"objectList", "objectLists"},
      {"json", "jsons"}};
  for (const auto& members : kMembers) {
    if (instance.contains(members.first)) return members;
  }
  return kMembers[0];
}

// Instances of one attribute as {"type", "values": [[value, time], ...]} per datasetId.
boost::json::value temporal_values(const boost::json::array& instances, TimeProperty property) {
  boost::json::array grouped;
  std::map<std::string, std::size_t> by_dataset;
  for (const auto& item : instances) {
    const auto& instance = item.as_object();
    const auto* dataset = instance.if_contains("datasetId");
    std::string key =
        dataset != nullptr && dataset->is_string() ? std::string(dataset->as_string()) : "";
    auto [plural_of, plural] = value_members(instance);
    auto [slot, added] = by_dataset.emplace(key, grouped.size());
    if (added) {
      boost::json::object group{
          {"type", instance.contains("type") ? instance.at("type") : "Property"},
          {plural, boost::json::array{}}};
      if (!key.empty()) group["datasetId"] = key;
      grouped.emplace_back(std::move(group));
    }
    auto& values = grouped[slot->second].as_object()[plural].as_array();
    const auto* time = instance.if_contains(time_member(property));
    const auto* value = instance.if_contains(plural_of);
    values.emplace_back(
        boost::json::array{value != nullptr ? *value : nullptr, time != nullptr ? *time : nullptr});
  }
  if (grouped.size() == 1) return std::move(grouped.front());
  return grouped;
}

// The renderer writes an attribute with one instance as an object; the temporal
// representation always lists instances.
void to_temporal(boost::json::object& rendered, const core::TemporalQuery& query, bool simplified) {
  for (auto& [name, member] : rendered) {
    if (is_entity_member(name)) continue;
    if (!member.is_array()) member = boost::json::array{std::move(member)};
    if (simplified) member = temporal_values(member.as_array(), query.property);
  }
}

}  // namespace

Response retrieve_temporal_entity(Request& request, NgsiApi& api) {
  auto env = prepare_read(request, api);
  if (!env) return fail(env.error());
  auto id = entity_id_param(request);
  if (!id) return fail(id.error());
  auto query = temporal_query_params(request);
  if (!query) return fail(query.error());
  auto output = output_options(request, *env, /*temporal=*/true);
  if (!output) return fail(output.error());
  query->attrs = output->render.attrs;
  if (query->property != TimeProperty::kObservedAt) output->render.sys_attrs = true;
  output->render.format = model::RepresentationFormat::kNormalized;
  auto history = api.temporal.retrieve(env->tenant, *id, *query);
  if (!history) return fail(history.error());
  auto rendered = render_one(*history, *output, *env, api);
  to_temporal(rendered, *query, output->temporal_values);
  return json_response(200, rendered, *env, api);
}

}  // namespace citytwin::http::ngsi
