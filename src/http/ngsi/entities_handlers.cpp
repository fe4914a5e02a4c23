// /ngsi-ld/v1/entities and /ngsi-ld/v1/entities/{entityId} (GS CIM 009 clauses 6.4 and 6.5).
#include "handlers.hpp"

#include <cstdint>
#include <string>

#include "citytwin/common/json_text.hpp"
#include "citytwin/model/entity_form.hpp"
#include "citytwin/model/entity_parser.hpp"
#include "handler_support.hpp"
#include "output_options.hpp"
#include "query_params.hpp"

namespace citytwin::http::ngsi {
namespace form = model::form;

namespace {

// Body id/type for PUT must agree with the path (clause 5.6.18).
Status check_body_id(const boost::json::object& parsed, std::string_view path_id) {
  if (const auto* id = parsed.if_contains(form::kId);
      id && id->is_string() && id->as_string() != path_id) {
    return make_error(ErrorKind::kBadRequestData, "entity id in the body differs from the URL");
  }
  return ok_status();
}

// What a rendered body depends on besides the stored document: tenant, id, representation
// (every query parameter, the negotiated type) and the @context (the value that names it and
// the resolved context, by address: the cache entry pins it). Each part is length-prefixed so
// no two different requests share a key.
std::string rendered_key(const Request& request, const RequestEnv& env, std::string_view id) {
  std::string key;
  auto part = [&key](std::string_view text) {
    key += std::to_string(text.size());
    key += ':';
    key += text;
  };
  part(env.tenant);
  part(id);
  key += std::to_string(static_cast<int>(env.response_type));
  part(env.context_value.is_null() ? std::string() : to_json_text(env.context_value));
  key += std::to_string(reinterpret_cast<std::uintptr_t>(env.context.get()));
  for (const auto& [name, value] : request.query) {
    part(name);
    part(value);
  }
  return key;
}

// GET by id through the rendered-entity cache: the stored document is read as always, and
// rendered only when the cache has no body rendered from exactly that document.
Response retrieve_rendered(const Request& request, const RequestEnv& env, std::string_view id,
                           const OutputOptions& output, NgsiApi& api) {
  auto document = api.entities.get_document(env.tenant, id);
  if (!document) return fail(document.error());
  std::string key = rendered_key(request, env, id);
  if (auto body = api.rendered->find(key, *document)) {
    return json_text_response(200, std::move(*body), env, api);
  }
  auto entity = core::EntityService::parse_document(id, *document);
  if (!entity) return fail(entity.error());
  std::string body = to_json_text(render_one(*entity, output, env, api));
  api.rendered->store(std::move(key), std::move(*document), body, env.context);
  return json_text_response(200, std::move(body), env, api);
}

}  // namespace

Response create_entity(Request& request, NgsiApi& api) {
  auto write = prepare_write(request, api);
  if (!write) return fail(write.error());
  auto body = body_object(*write);
  if (!body) return fail(body.error());
  auto entity = model::parse_entity(**body, *write->env.context, parse_options(true, true));
  if (!entity) return fail(entity.error());
  std::string id(entity->at(form::kId).as_string());
  auto status = api.entities.create(write->env.tenant, std::move(*entity));
  if (!status.ok()) return fail(status.error());
  return Response::empty(201).header("Location", location_of("/ngsi-ld/v1/entities/", id));
}

Response query_entities(Request& request, NgsiApi& api) {
  auto env = prepare_read(request, api, true);
  if (!env) return fail(env.error());
  auto query = query_from_parameters(request, *env, api.options);
  if (!query) return fail(query.error());
  return run_query(request, *env, *query, api, PageLinks::kInclude);
}

Response retrieve_entity(Request& request, NgsiApi& api) {
  auto env = prepare_read(request, api, true);
  if (!env) return fail(env.error());
  auto id = entity_id_param(request);
  if (!id) return fail(id.error());
  auto output = output_options(request, *env);
  if (!output) return fail(output.error());
  // Anonymous open-data readers see a redacted entity: not cached.
  if (api.rendered != nullptr && api.rendered->enabled() && env->restriction == nullptr) {
    return retrieve_rendered(request, *env, *id, *output, api);
  }
  auto entity = api.entities.get(env->tenant, *id, env->restriction.get());
  if (!entity) return fail(entity.error());
  return json_response(200, render_one(*entity, *output, *env, api), *env, api);
}

Response delete_entity(Request& request, NgsiApi& api) {
  auto tenant = tenant_of(request);
  if (!tenant) return fail(tenant.error());
  auto id = entity_id_param(request);
  if (!id) return fail(id.error());
  auto status = api.entities.remove(*tenant, *id);
  if (!status.ok()) return fail(status.error());
  return Response::empty(204);
}

Response replace_entity(Request& request, NgsiApi& api) {
  auto write = prepare_write(request, api);
  if (!write) return fail(write.error());
  auto id = entity_id_param(request);
  if (!id) return fail(id.error());
  auto body = body_object(*write);
  if (!body) return fail(body.error());
  auto entity = model::parse_entity(**body, *write->env.context, parse_options(false, true));
  if (!entity) return fail(entity.error());
  CT_RETURN_IF_ERROR_RESPONSE(check_body_id(*entity, *id));
  (*entity)[form::kId] = *id;
  auto status = api.entities.replace(write->env.tenant, *id, std::move(*entity));
  if (!status.ok()) return fail(status.error());
  return Response::empty(204);
}

Response merge_entity(Request& request, NgsiApi& api) {
  auto write = prepare_write(request, api, true);
  if (!write) return fail(write.error());
  auto id = entity_id_param(request);
  if (!id) return fail(id.error());
  auto body = body_object(*write);
  if (!body) return fail(body.error());
  auto fragment =
      model::parse_entity(**body, *write->env.context, parse_options(false, false, true));
  if (!fragment) return fail(fragment.error());
  CT_RETURN_IF_ERROR_RESPONSE(check_body_id(*fragment, *id));
  auto outcome = api.entities.merge(write->env.tenant, *id, *fragment);
  if (!outcome) return fail(outcome.error());
  return Response::empty(204);
}

}  // namespace citytwin::http::ngsi
