#include "output_options.hpp"

#include "citytwin/model/entity_form.hpp"
#include "citytwin/model/geojson_renderer.hpp"

namespace citytwin::http::ngsi {
namespace {

bool is_entity_member(std::string_view name) {
  return name == "id" || name == "type" || name == "scope";
}

std::set<std::string, std::less<>> expanded_names(std::string_view list, const RequestEnv& env,
                                                  bool keep_entity_members) {
  std::set<std::string, std::less<>> names;
  for (const auto& name : split_list(list)) {
    names.insert(keep_entity_members && is_entity_member(name) ? name : env.context->expand(name));
  }
  return names;
}

Status apply_format(std::string_view format, model::RenderOptions& render) {
  if (format == "keyValues" || format == "simplified") {
    render.format = model::RepresentationFormat::kSimplified;
  } else if (format == "concise") {
    render.format = model::RepresentationFormat::kConcise;
  } else if (format == "normalized") {
    render.format = model::RepresentationFormat::kNormalized;
  } else {
    return make_error(
        ErrorKind::kBadRequestData,
        "format must be normalized, concise or keyValues, got '" + std::string(format) + "'");
  }
  return ok_status();
}

}  // namespace

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view item = text.substr(start, comma - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) items.emplace_back(item);
    start = comma + 1;
  }
  return items;
}

std::set<std::string> option_flags(const Request& request) {
  std::set<std::string> flags;
  for (auto value : request.params("options")) {
    for (auto& flag : split_list(value)) flags.insert(flag);
  }
  return flags;
}

Result<OutputOptions> output_options(const Request& request, const RequestEnv& env, bool temporal) {
  OutputOptions out;
  auto& render = out.render;
  for (const auto& flag : option_flags(request)) {
    if (flag == "sysAttrs") {
      render.sys_attrs = true;
    } else if (temporal && flag == "temporalValues") {
      out.temporal_values = true;
    } else if (temporal && flag == "aggregatedValues") {
      // read by temporal_query_params
    } else if (flag == "keyValues" || flag == "concise" || flag == "normalized" ||
               flag == "simplified") {
      CT_RETURN_IF_ERROR(apply_format(flag, render));
    } else if (flag != "noOverwrite" && flag != "replace" && flag != "update") {
      return make_error(ErrorKind::kBadRequestData, "unknown option '" + flag + "'");
    }
  }
  if (auto format = request.param("format")) {
    if (temporal && *format == "temporalValues") {
      out.temporal_values = true;
    } else if (!(temporal && *format == "aggregatedValues")) {  // temporal_query_params reads it
      CT_RETURN_IF_ERROR(apply_format(*format, render));
    }
  }
  // The simplified temporal representation is the temporal API's keyValues (clause 4.5.9).
  if (temporal && render.format == model::RepresentationFormat::kSimplified) {
    out.temporal_values = true;
  }
  if (auto attrs = request.param("attrs")) render.attrs = expanded_names(*attrs, env, false);
  auto pick = request.param("pick");
  auto omit = request.param("omit");
  if (pick && omit)
    return make_error(ErrorKind::kBadRequestData, "pick and omit cannot be used together");
  if (pick) render.pick = expanded_names(*pick, env, true);
  if (omit) render.omit = expanded_names(*omit, env, true);
  if (auto lang = request.param("lang")) render.lang = std::string(*lang);
  if (auto dataset = request.param("datasetId")) render.dataset_id = std::string(*dataset);
  out.geometry_property_iri = std::string(model::form::kLocationIri);
  if (auto geometry = request.param("geometryProperty")) {
    out.geometry_property_iri = env.context->expand(*geometry);
  }
  return out;
}

boost::json::object render_one(const boost::json::object& stored, const OutputOptions& options,
                               const RequestEnv& env, NgsiApi& api) {
  model::RenderOptions render = options.render;
  if (env.response_type == MediaType::kJsonLd) {
    render.include_context = true;
    render.context = context_for_body(env, api);
  }
  if (env.response_type == MediaType::kGeoJson) {
    return model::render_feature(stored, *env.context, render, options.geometry_property_iri);
  }
  return model::render_entity(stored, *env.context, render);
}

boost::json::value render_many(const std::vector<boost::json::object>& stored,
                               const OutputOptions& options, const RequestEnv& env, NgsiApi& api) {
  std::vector<boost::json::object> rendered;
  rendered.reserve(stored.size());
  for (const auto& entity : stored) rendered.push_back(render_one(entity, options, env, api));
  if (env.response_type == MediaType::kGeoJson) {
    return model::make_feature_collection(std::move(rendered), std::nullopt);
  }
  boost::json::array array;
  array.reserve(rendered.size());
  for (auto& entity : rendered) array.emplace_back(std::move(entity));
  return array;
}

}  // namespace citytwin::http::ngsi
