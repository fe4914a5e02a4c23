// The temporal representation of entities (GS CIM 009 clause 5.7.3, 6.19): GET
// /temporal/entities/{entityId}.
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "citytwin/common/instant.hpp"
#include "citytwin/common/json_text.hpp"
#include "citytwin/model/entity_form.hpp"
#include "citytwin/model/instance_text_renderer.hpp"
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

// The aggregated representation (clause 4.5.19): the core wrote each attribute as text; only
// the entity's id/type (and @context) go through the renderer, and names are compacted.
void append_aggregated(std::string& out, boost::json::object& head,
                       const core::AggregatedAttrs& attrs, const OutputOptions& output,
                       const RequestEnv& env, NgsiApi& api) {
  // The aggregated texts dwarf the entity's head (tens of kilobytes of hourly periods): room
  // for all at once rather than the text regrown and copied as it doubles.
  std::size_t room = 512;
  for (const core::AggregatedAttribute& attribute : attrs) {
    room += attribute.name.size() + 8;
    for (const std::string& dataset : attribute.datasets) room += dataset.size() + 1;
  }
  out.reserve(out.size() + room);
  std::size_t start = out.size();
  append_json_text(out, render_one(head, output, env, api));
  out.pop_back();  // the closing brace: the attributes follow
  bool first = out.size() == start + 1;
  for (const core::AggregatedAttribute& attribute : attrs) {
    if (!first) out += ',';
    first = false;
    append_json_string(out, env.context->compact(attribute.name));
    out += ':';
    if (attribute.datasets.size() == 1) {
      out += attribute.datasets.front();
      continue;
    }
    out += '[';
    for (std::size_t i = 0; i < attribute.datasets.size(); ++i) {
      if (i != 0) out += ',';
      out += attribute.datasets[i];
    }
    out += ']';
  }
  out += '}';
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

// Writes entities in the normalized temporal representation from the instances' stored
// text (model::append_normalized_instance), as render_one() and to_temporal() would write
// them: "id", "type" (compacted), the attributes, then "@context" for JSON-LD. Built once
// per answer: the "@context" member is made once, not per entity.
class HistoryTextWriter {
 public:
  HistoryTextWriter(const OutputOptions& output, const RequestEnv& env, NgsiApi& api)
      : output_(output), env_(env) {
    const model::RenderOptions& options = output.render;
    usable_ = !output.temporal_values && env.response_type != MediaType::kGeoJson &&
              options.pick.empty() && options.omit.empty() && !options.dataset_id;
    if (usable_ && env.response_type == MediaType::kJsonLd) {
      context_member_ = "\"@context\":";
      append_json_text(context_member_, context_for_body(env, api));
    }
  }

  // False, with `out` as it was, when an option or instance needs the renderer: temporal
  // values, GeoJSON, pick/omit, a datasetId filter, an attribute whose compacted name is
  // taken, or an instance append_normalized_instance leaves out.
  bool append(std::string& out, const boost::json::object& head,
              const core::HistoryAttrs& attrs) const {
    if (!usable_) return false;
    const std::size_t start = out.size();
    if (!append_head(out, head) || !append_attributes(out, attrs)) {
      out.resize(start);
      return false;
    }
    if (!context_member_.empty()) {
      out += ',';
      out += context_member_;
    }
    out += '}';
    return true;
  }

 private:
  // {"id":...,"type":... without the closing brace.
  bool append_head(std::string& out, const boost::json::object& head) const {
    const auto* id = head.if_contains(model::form::kId);
    const auto* types = head.if_contains(model::form::kType);
    if (id == nullptr || !id->is_string() || types == nullptr || !types->is_array() ||
        types->as_array().empty()) {
      return false;
    }
    out += "{\"id\":";
    append_json_string(out, id->as_string());
    out += ",\"type\":";
    const auto& names = types->as_array();
    if (names.size() > 1) out += '[';
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (!names[i].is_string()) return false;
      if (i != 0) out += ',';
      append_json_string(out, env_.context->compact(names[i].as_string()));
    }
    if (names.size() > 1) out += ']';
    return true;
  }

  bool append_attributes(std::string& out, const core::HistoryAttrs& attrs) const {
    const model::RenderOptions& options = output_.render;
    std::set<std::string, std::less<>> names;
    for (const core::HistoryAttribute& attribute : attrs) {
      if (attribute.instances.empty()) continue;
      if (!options.attrs.empty() && !options.attrs.contains(attribute.name)) continue;
      std::string name = env_.context->compact(attribute.name);
      // A name the entity's own members or another attribute already use: the renderer's
      // object would hold it once, so it decides.
      if (is_entity_member(name) || name == "@context" || !names.insert(name).second) {
        return false;
      }
      out += ',';
      append_json_string(out, name);
      out += ":[";
      for (const core::InstanceText& instance : attribute.instances) {
        if (out.back() != '[') out += ',';
        if (!model::append_normalized_instance(out, instance.text, instance.instance_id, options)) {
          return false;
        }
      }
      out += ']';
    }
    return true;
  }

  const OutputOptions& output_;
  const RequestEnv& env_;
  bool usable_ = false;
  std::string context_member_;  // "@context":... for JSON-LD answers, else empty
};

// Entity `index` of the page in its temporal representation, as JSON text.
Status append_temporal(std::string& out, core::TemporalPage& page, std::size_t index,
                       const core::TemporalQuery& query, const OutputOptions& output,
                       const HistoryTextWriter& writer, const RequestEnv& env, NgsiApi& api) {
  boost::json::object& head = page.entities[index];
  if (index < page.aggregated.size()) {
    append_aggregated(out, head, page.aggregated[index], output, env, api);
    return {};
  }
  const core::HistoryAttrs& attrs = page.histories[index];
  if (writer.append(out, head, attrs)) return {};
  auto stored_attrs = core::history_attrs_json(attrs);
  if (!stored_attrs) return std::move(stored_attrs).error();
  head[model::form::kAttrs] = std::move(*stored_attrs);
  auto rendered = render_one(head, output, env, api);
  to_temporal(rendered, query, output.temporal_values);
  append_json_text(out, rendered);
  return {};
}

// Frees entity `index` of the page once it is written: on the query threads that wrote it,
// rather than on one thread with the whole page.
void release_entity(core::TemporalPage& page, std::size_t index) {
  page.entities[index] = boost::json::object();
  if (index < page.histories.size()) core::HistoryAttrs().swap(page.histories[index]);
  if (index < page.aggregated.size()) core::AggregatedAttrs().swap(page.aggregated[index]);
}

// 200 with the entities, or 206 Partial Content with the time range the answer covers when
// long histories were cut (clause 6.3.10): "Content-Range: date-time <first>-<last>/*".
Response temporal_response(std::string body, const core::TemporalPage& page, const RequestEnv& env,
                           NgsiApi& api) {
  if (!page.partial) return json_text_response(200, std::move(body), env, api);
  Response response = json_text_response(206, std::move(body), env, api);
  response.header("Content-Range", "date-time " + format_date_time(Instant{page.partial->first}) +
                                       "-" + format_date_time(Instant{page.partial->last}) + "/*");
  return response;
}

// The temporal query (clause 5.7.4): entities are selected by id, idPattern, type, attrs, q,
// geo and scope on their current state and paged with limit/offset like GET /entities; each
// then contributes its history (TemporalService::retrieve_page).
Response run_temporal_query(const Request& request, const RequestEnv& env,
                            const core::EntityQuery& entities, core::TemporalQuery query,
                            NgsiApi& api, PageLinks page_links) {
  auto output = temporal_output(request, env, query, entities.attrs);
  if (!output) return fail(output.error());
  query.page_size = api.options.temporal_page_size;
  query.restriction = env.restriction;
  // By id, idPattern and type alone, the history decides (entities without a current state
  // included); q, geo and scope select on the current state.
  bool by_state = entities.q || entities.geo || entities.scope;
  auto matches = by_state ? api.entities.query(env.tenant, entities)
                          : api.temporal.match_entities(env.tenant, entities);
  if (!matches) return fail(matches.error());
  std::vector<std::string> ids;
  for (const auto& entity : matches->entities) {
    ids.emplace_back(entity.at(model::form::kId).as_string());
  }
  auto page = api.temporal.retrieve_page(env.tenant, ids, query);
  if (!page) return fail(page.error());
  // Rendered on the query threads like the page was read: one thread rendering 1,000
  // entities would take longer than two reading them.
  std::vector<std::string> texts(page->entities.size());
  std::vector<Status> written(texts.size());
  const HistoryTextWriter writer(*output, env, api);
  api.temporal.for_each_in_page(texts.size(), [&](std::size_t i) {
    written[i] = append_temporal(texts[i], *page, i, query, *output, writer, env, api);
    release_entity(*page, i);
  });
  for (Status& status : written) {
    if (!status.ok()) return fail(status.error());
  }
  // The entities' texts are sent as they are, not copied into one body (megabytes a page).
  Response response = temporal_response(texts.empty() ? "[]" : "[", *page, env, api);
  for (std::size_t i = 0; i < texts.size(); ++i) texts[i] += i + 1 < texts.size() ? ',' : ']';
  response.body_parts = std::move(texts);
  add_page_headers(response, request, env, entities, *matches, page_links);
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
  query->page_size = api.options.temporal_page_size;
  query->restriction = env->restriction;
  auto page = api.temporal.retrieve_page(env->tenant, {*id}, *query);
  if (!page) return fail(page.error());
  if (page->entities.empty()) {
    return fail(make_error(ErrorKind::kResourceNotFound, *id + " not found"));
  }
  std::string body;
  const HistoryTextWriter writer(*output, *env, api);
  auto written = append_temporal(body, *page, 0, *query, *output, writer, *env, api);
  if (!written.ok()) return fail(written.error());
  return temporal_response(std::move(body), *page, *env, api);
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
