// The temporal representation of entities (GS CIM 009 clause 5.7.3, 6.19): GET
// /temporal/entities/{entityId}.
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "citytwin/model/entity_form.hpp"
#include "handler_support.hpp"
#include "handlers.hpp"
#include "output_options.hpp"
#include "query_params.hpp"
#include "request_env.hpp"
#include "temporal_params.hpp"

namespace citytwin::http::ngsi {
namespace {

using TimeProperty = core::TemporalQuery::TimeProperty;

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

// The aggregated representation (clause 4.5.19): the core already shaped each attribute; only
// the entity's id/type (and @context) go through the renderer, and names are compacted.
boost::json::object render_aggregated(const boost::json::object& history,
                                      const OutputOptions& output, const RequestEnv& env,
                                      NgsiApi& api) {
  boost::json::object head{{model::form::kId, history.at(model::form::kId)},
                           {model::form::kType, history.at(model::form::kType)},
                           {model::form::kAttrs, boost::json::object{}}};
  auto rendered = render_one(head, output, env, api);
  for (const auto& [name, datasets] : history.at(model::form::kAttrs).as_object()) {
    const auto& list = datasets.as_array();
    rendered[env.context->compact(name)] = list.size() == 1 ? list.front() : datasets;
  }
  return rendered;
}

// Output options of the temporal API: always the normalized instances (or their simplified
// and aggregated forms); system attributes when the time property is one of them. The
// attributes to return: `attrs` of the URL, else `selecting` (a query body's attrs).
Result<OutputOptions> temporal_output(const Request& request, const RequestEnv& env,
                                      core::TemporalQuery& query,
                                      const std::vector<std::string>& selecting) {
  auto output = output_options(request, env, /*temporal=*/true);
  if (!output) return std::move(output).error();
  if (output->render.attrs.empty()) output->render.attrs.insert(selecting.begin(), selecting.end());
  query.attrs = output->render.attrs;
  if (query.property != TimeProperty::kObservedAt) output->render.sys_attrs = true;
  output->render.format = model::RepresentationFormat::kNormalized;
  return output;
}

boost::json::object render_temporal(const boost::json::object& history,
                                    const core::TemporalQuery& query, const OutputOptions& output,
                                    const RequestEnv& env, NgsiApi& api) {
  if (query.aggregation) return render_aggregated(history, output, env, api);
  auto rendered = render_one(history, output, env, api);
  to_temporal(rendered, query, output.temporal_values);
  return rendered;
}

std::size_t instance_count(const boost::json::object& history) {
  std::size_t count = 0;
  for (const auto& [name, instances] : history.at(model::form::kAttrs).as_object()) {
    if (instances.is_array()) count += instances.as_array().size();
  }
  return count;
}

// The temporal query (clause 5.7.4): entities are selected by id, idPattern, type, attrs, q,
// geo and scope on their current state and paged with limit/offset like GET /entities; each
// then contributes its history. The instances read for the whole page are bounded by
// query.max_samples together: past it the answer is TooManyResults, never a silent cut.
Response run_temporal_query(const Request& request, const RequestEnv& env,
                            const core::EntityQuery& entities, core::TemporalQuery query,
                            NgsiApi& api, PageLinks page_links) {
  auto output = temporal_output(request, env, query, entities.attrs);
  if (!output) return fail(output.error());
  auto page = api.entities.query(env.tenant, entities);
  if (!page) return fail(page.error());
  boost::json::array rendered;
  std::size_t budget = query.max_samples;
  for (const auto& entity : page->entities) {
    core::TemporalQuery one = query;
    one.max_samples = budget;
    auto history = api.temporal.retrieve(env.tenant, entity.at(model::form::kId).as_string(), one);
    if (!history) {
      if (history.error().kind == ErrorKind::kResourceNotFound) continue;  // deleted meanwhile
      if (history.error().kind == ErrorKind::kTooManyResults) {
        return fail(make_error(ErrorKind::kTooManyResults,
                               "the selected histories have more than " +
                                   std::to_string(query.max_samples) +
                                   " instances; narrow them with timerel, attrs, lastN or limit"));
      }
      return fail(history.error());
    }
    if (!query.aggregation) budget -= std::min(budget, instance_count(*history));
    rendered.emplace_back(render_temporal(*history, query, *output, env, api));
  }
  Response response = json_response(200, rendered, env, api);
  add_page_headers(response, request, env, entities, *page, page_links);
  return response;
}

}  // namespace

Response retrieve_temporal_entity(Request& request, NgsiApi& api) {
  auto env = prepare_read(request, api);
  if (!env) return fail(env.error());
  auto id = entity_id_param(request);
  if (!id) return fail(id.error());
  auto query = temporal_query_params(request);
  if (!query) return fail(query.error());
  auto output = temporal_output(request, *env, *query, {});
  if (!output) return fail(output.error());
  auto history = api.temporal.retrieve(env->tenant, *id, *query);
  if (!history) return fail(history.error());
  return json_response(200, render_temporal(*history, *query, *output, *env, api), *env, api);
}

Response query_temporal_entities(Request& request, NgsiApi& api) {
  auto env = prepare_read(request, api);
  if (!env) return fail(env.error());
  auto entities = query_from_parameters(request, *env, api.options);
  if (!entities) return fail(entities.error());
  auto temporal = temporal_query_params(request);
  if (!temporal) return fail(temporal.error());
  return run_temporal_query(request, *env, *entities, *temporal, api, PageLinks::kInclude);
}

Response query_temporal_post(Request& request, NgsiApi& api) {
  auto write = prepare_write(request, api);
  if (!write) return fail(write.error());
  auto body = body_object(*write);
  if (!body) return fail(body.error());
  auto entities = query_from_body(**body, request, write->env, api.options);
  if (!entities) return fail(entities.error());
  auto temporal = temporal_query_from_body(**body, request);
  if (!temporal) return fail(temporal.error());
  return run_temporal_query(request, write->env, *entities, *temporal, api, PageLinks::kNone);
}

}  // namespace citytwin::http::ngsi
