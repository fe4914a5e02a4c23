#include "query_params.hpp"

#include <charconv>

#include "citytwin/model/entity_form.hpp"
#include "citytwin/model/ngsi_names.hpp"
#include "output_options.hpp"
#include "pagination_links.hpp"

namespace citytwin::http::ngsi {
namespace {

Result<std::size_t> parse_count_param(std::string_view name, std::string_view text) {
  std::size_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) {
    return make_error(
        ErrorKind::kBadRequestData,
        std::string(name) + " must be a non-negative integer, got '" + std::string(text) + "'");
  }
  return value;
}

Status apply_paging(const Request& request, const NgsiApiOptions& options,
                    core::EntityQuery& query) {
  query.limit = options.default_limit;
  if (auto limit = request.param("limit")) {
    auto value = parse_count_param("limit", *limit);
    if (!value) return std::move(value).error();
    if (*value > options.max_limit) {
      return make_error(ErrorKind::kTooManyResults,
                        "limit may be at most " + std::to_string(options.max_limit));
    }
    query.limit = *value;
  }
  if (auto offset = request.param("offset")) {
    auto value = parse_count_param("offset", *offset);
    if (!value) return std::move(value).error();
    query.offset = *value;
  }
  if (auto count = request.param("count")) {
    if (*count != "true" && *count != "false") {
      return make_error(ErrorKind::kBadRequestData, "count must be true or false");
    }
    query.count = *count == "true";
  }
  if (query.limit == 0 && !query.count) {
    return make_error(ErrorKind::kBadRequestData, "limit=0 is only allowed with count=true");
  }
  return ok_status();
}

Result<std::vector<std::string>> id_list(std::string_view text) {
  std::vector<std::string> ids = split_list(text);
  for (const auto& id : ids) {
    if (!model::is_valid_uri(id))
      return make_error(ErrorKind::kBadRequestData, "id '" + id + "' is not a URI");
  }
  return ids;
}

std::vector<std::string> expanded_list(std::string_view text, const RequestEnv& env) {
  std::vector<std::string> names;
  for (const auto& name : split_list(text)) names.push_back(env.context->expand(name));
  return names;
}

Status set_q(std::string_view text, const RequestEnv& env, core::EntityQuery& query) {
  auto filter = query::QueryFilter::parse(text, *env.context);
  if (!filter) return std::move(filter).error();
  query.q = std::move(*filter);
  return ok_status();
}

Status set_scope(std::string_view text, core::EntityQuery& query) {
  auto filter = query::ScopeFilter::parse(text);
  if (!filter) return std::move(filter).error();
  query.scope = std::move(*filter);
  return ok_status();
}

void set_geoproperty(const geo::GeoQuery& geo_query, const RequestEnv& env,
                     core::EntityQuery& query) {
  const std::string& name = geo_query.geoproperty();
  query.geoproperty_iri = name.empty() || name == "location"
                              ? std::string(model::form::kLocationIri)
                              : env.context->expand(name);
}

Status set_geo(Result<geo::GeoQuery> geo_query, const RequestEnv& env, core::EntityQuery& query) {
  if (!geo_query) return std::move(geo_query).error();
  set_geoproperty(*geo_query, env, query);
  query.geo = std::move(*geo_query);
  return ok_status();
}

Status require_selection(const core::EntityQuery& query) {
  if (query.selectors.empty() && query.attrs.empty() && !query.q && !query.geo && !query.scope) {
    return make_error(ErrorKind::kBadRequestData,
                      "a query needs at least one of id, idPattern, type, attrs, q, scopeQ or a "
                      "geo-query");
  }
  return ok_status();
}

}  // namespace

Result<core::EntityQuery> query_from_parameters(const Request& request, const RequestEnv& env,
                                                const NgsiApiOptions& options) {
  core::EntityQuery query;
  core::EntitySelector selector;
  bool has_selector = false;
  if (auto ids = request.param("id")) {
    auto parsed = id_list(*ids);
    if (!parsed) return std::move(parsed).error();
    selector.ids = std::move(*parsed);
    has_selector = true;
  }
  if (auto pattern = request.param("idPattern")) {
    selector.id_pattern = std::string(*pattern);
    has_selector = true;
  }
  if (auto type = request.param("type")) {
    auto types = core::parse_type_expression(*type, *env.context);
    if (!types) return std::move(types).error();
    selector.types = std::move(*types);
    has_selector = true;
  }
  if (has_selector) query.selectors.push_back(std::move(selector));
  if (auto attrs = request.param("attrs")) query.attrs = expanded_list(*attrs, env);
  if (auto q = request.param("q")) CT_RETURN_IF_ERROR(set_q(*q, env, query));
  if (auto scope = request.param("scopeQ")) CT_RETURN_IF_ERROR(set_scope(*scope, query));
  auto georel = request.param("georel");
  auto geometry = request.param("geometry");
  auto coordinates = request.param("coordinates");
  if (georel || geometry || coordinates) {
    CT_RETURN_IF_ERROR(
        set_geo(geo::GeoQuery::from_parameters(georel.value_or(""), geometry.value_or(""),
                                               coordinates.value_or(""),
                                               request.param("geoproperty").value_or("location")),
                env, query));
  }
  CT_RETURN_IF_ERROR(apply_paging(request, options, query));
  CT_RETURN_IF_ERROR(require_selection(query));
  query.restriction = env.restriction;  // anonymous open-data readers (docs/security.md)
  return query;
}

namespace {

Result<core::EntitySelector> selector_from_json(const boost::json::value& value,
                                                const RequestEnv& env) {
  const auto* object = value.if_object();
  if (object == nullptr)
    return make_error(ErrorKind::kBadRequestData, "entities items must be objects");
  core::EntitySelector selector;
  if (const auto* id = object->if_contains("id")) {
    if (!id->is_string() || !model::is_valid_uri(id->as_string())) {
      return make_error(ErrorKind::kBadRequestData, "entities[].id must be a URI");
    }
    selector.ids.emplace_back(id->as_string());
  }
  if (const auto* pattern = object->if_contains("idPattern")) {
    if (!pattern->is_string())
      return make_error(ErrorKind::kBadRequestData, "idPattern must be a string");
    selector.id_pattern = std::string(pattern->as_string());
  }
  const auto* type = object->if_contains("type");
  if (type == nullptr || !type->is_string()) {
    return make_error(ErrorKind::kBadRequestData,
                      "entities[].type is required and must be a string");
  }
  auto types = core::parse_type_expression(type->as_string(), *env.context);
  if (!types) return std::move(types).error();
  selector.types = std::move(*types);
  return selector;
}

Result<std::string_view> string_member(const boost::json::object& body, std::string_view name) {
  const auto* value = body.if_contains(name);
  if (value == nullptr) return std::string_view{};
  if (!value->is_string())
    return make_error(ErrorKind::kBadRequestData, std::string(name) + " must be a string");
  return std::string_view(value->as_string());
}

}  // namespace

Result<core::EntityQuery> query_from_body(const boost::json::object& body, const Request& request,
                                          const RequestEnv& env, const NgsiApiOptions& options) {
  core::EntityQuery query;
  if (const auto* type = body.if_contains("type");
      type && (!type->is_string() || type->as_string() != "Query")) {
    return make_error(ErrorKind::kBadRequestData, "type must be \"Query\"");
  }
  if (const auto* entities = body.if_contains("entities")) {
    if (!entities->is_array())
      return make_error(ErrorKind::kBadRequestData, "entities must be an array");
    for (const auto& item : entities->as_array()) {
      auto selector = selector_from_json(item, env);
      if (!selector) return std::move(selector).error();
      query.selectors.push_back(std::move(*selector));
    }
  }
  if (const auto* attrs = body.if_contains("attrs")) {
    if (!attrs->is_array()) return make_error(ErrorKind::kBadRequestData, "attrs must be an array");
    for (const auto& attr : attrs->as_array()) {
      if (!attr.is_string())
        return make_error(ErrorKind::kBadRequestData, "attrs must hold strings");
      query.attrs.push_back(env.context->expand(attr.as_string()));
    }
  }
  auto q = string_member(body, "q");
  if (!q) return std::move(q).error();
  if (!q->empty()) CT_RETURN_IF_ERROR(set_q(*q, env, query));
  auto scope = string_member(body, "scopeQ");
  if (!scope) return std::move(scope).error();
  if (!scope->empty()) CT_RETURN_IF_ERROR(set_scope(*scope, query));
  if (const auto* geo_q = body.if_contains("geoQ")) {
    CT_RETURN_IF_ERROR(set_geo(geo::GeoQuery::from_json(*geo_q), env, query));
  }
  CT_RETURN_IF_ERROR(apply_paging(request, options, query));
  CT_RETURN_IF_ERROR(require_selection(query));
  query.restriction = env.restriction;  // anonymous open-data readers (docs/security.md)
  return query;
}

Response run_query(const Request& request, const RequestEnv& env, const core::EntityQuery& query,
                   NgsiApi& api, PageLinks page_links) {
  auto output = output_options(request, env);
  if (!output) return fail(output.error());
  // Clause 5.7.2: the attributes that select entities are also the ones returned. GET takes
  // them from the URL (already in `output`); POST /entityOperations/query from the body.
  if (output->render.attrs.empty())
    output->render.attrs.insert(query.attrs.begin(), query.attrs.end());
  auto result = api.entities.query(env.tenant, query);
  if (!result) return fail(result.error());
  Response response =
      json_response(200, render_many(result->entities, *output, env, api), env, api);
  add_page_headers(response, request, env, query, *result, page_links);
  return response;
}

void add_page_headers(Response& response, const Request& request, const RequestEnv& env,
                      const core::EntityQuery& query, const core::QueryResult& result,
                      PageLinks page_links) {
  if (result.total) response.header("NGSILD-Results-Count", std::to_string(*result.total));
  if (page_links == PageLinks::kInclude) {
    const PageWindow window{query.limit, query.offset, result.more};
    for (auto& link : pagination_links(request.raw_target, window, response_media_type(env))) {
      response.header("Link", std::move(link));
    }
  }
}

}  // namespace citytwin::http::ngsi
