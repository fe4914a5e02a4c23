// Writes of the temporal API (GS CIM 009 clauses 5.6.11-5.6.16, 6.18-6.22): POST
// /temporal/entities, POST /temporal/entities/{id}/attrs, DELETE /temporal/entities/{id},
// DELETE .../attrs/{attrId}, PATCH and DELETE .../attrs/{attrId}/{instanceId}. They edit
// the recorded history only; the current state is the entity API's.
#include <span>

#include "citytwin/model/attribute_parser.hpp"
#include "citytwin/model/entity_form.hpp"
#include "citytwin/model/entity_parser.hpp"
#include "handler_support.hpp"
#include "handlers.hpp"

namespace citytwin::http::ngsi {
namespace {

namespace form = model::form;
namespace json = boost::json;

Error bad(std::string detail) {
  return make_error(ErrorKind::kBadRequestData, std::move(detail));
}

// The attributes of a temporal payload (clause 4.5.7): each member one instance or an array
// of instances, each a point of the attribute's history, so datasetIds may repeat. Every
// instance is parsed and validated as an attribute of the entity API would be.
Result<json::object> temporal_attributes(const json::object& body,
                                         const jsonld::TermMapper& terms) {
  json::object attrs;
  for (const auto& [name, member] : body) {
    if (is_entity_member(name)) continue;
    // A view, not a copy: an import's list holds thousands of instances.
    std::span<const json::value> list =
        member.is_array()
            ? std::span<const json::value>(member.get_array().data(), member.get_array().size())
            : std::span<const json::value>(&member, 1);
    if (list.empty()) return bad("attribute " + std::string(name) + " has no instance");
    for (const auto& instance : list) {
      if (!instance.is_object()) {
        return bad("each instance of " + std::string(name) + " must be an object");
      }
      auto parsed = model::parse_attribute(name, instance, terms, parse_options(false, false));
      if (!parsed) return std::move(parsed).error();
      for (auto& [expanded, instances] : *parsed) {
        auto& target = attrs[expanded];
        if (!target.is_array()) target = json::array{};
        for (auto& parsed_instance : instances.as_array()) {
          target.as_array().push_back(std::move(parsed_instance));
        }
      }
    }
  }
  return attrs;
}

}  // namespace

Response create_temporal_entity(Request& request, NgsiApi& api) {
  auto write = prepare_write(request, api);
  if (!write) return fail(write.error());
  auto body = body_object(*write);
  if (!body) return fail(body.error());
  json::object head;
  for (const auto& [name, member] : **body) {
    if (is_entity_member(name)) head[name] = member;
  }
  auto entity = model::parse_entity(head, *write->env.context, parse_options(true, true));
  if (!entity) return fail(entity.error());
  auto attrs = temporal_attributes(**body, *write->env.context);
  if (!attrs) return fail(attrs.error());
  (*entity)[form::kAttrs] = std::move(*attrs);
  std::string location =
      location_of("/ngsi-ld/v1/temporal/entities/", entity->at(form::kId).as_string());
  auto created = api.temporal.add_history(write->env.tenant, std::move(*entity));
  if (!created) return fail(created.error());
  if (!*created) return Response::empty(204);
  return Response::empty(201).header("Location", location);
}

Response append_temporal_attributes(Request& request, NgsiApi& api) {
  auto write = prepare_write(request, api);
  if (!write) return fail(write.error());
  auto id = entity_id_param(request);
  if (!id) return fail(id.error());
  auto body = body_object(*write);
  if (!body) return fail(body.error());
  auto attrs = temporal_attributes(**body, *write->env.context);
  if (!attrs) return fail(attrs.error());
  if (attrs->empty()) return fail(bad("the body has no attribute"));
  auto status = api.temporal.append_history(write->env.tenant, *id, std::move(*attrs));
  if (!status.ok()) return fail(status.error());
  return Response::empty(204);
}

Response delete_temporal_entity(Request& request, NgsiApi& api) {
  auto tenant = tenant_of(request);
  if (!tenant) return fail(tenant.error());
  auto id = entity_id_param(request);
  if (!id) return fail(id.error());
  auto status = api.temporal.delete_history(*tenant, *id);
  if (!status.ok()) return fail(status.error());
  return Response::empty(204);
}

Response delete_temporal_attribute(Request& request, NgsiApi& api) {
  auto target = attribute_deletion(request, api);
  if (!target) return fail(target.error());
  auto status = api.temporal.delete_attribute_history(target->env.tenant, target->id, target->name,
                                                      target->dataset_id, target->all);
  if (!status.ok()) return fail(status.error());
  return Response::empty(204);
}

Response modify_temporal_instance(Request& request, NgsiApi& api) {
  auto write = prepare_write(request, api);
  if (!write) return fail(write.error());
  auto id = entity_id_param(request);
  if (!id) return fail(id.error());
  if (!write->body.is_object()) return fail(bad("the body must be one attribute instance"));
  auto parsed = model::parse_attribute(request.path_param("attrId"), write->body,
                                       *write->env.context, parse_options(false, false));
  if (!parsed) return fail(parsed.error());
  auto& [name, instances] = *parsed->begin();
  auto status =
      api.temporal.modify_instance(write->env.tenant, *id, name, request.path_param("instanceId"),
                                   instances.as_array().front().as_object());
  if (!status.ok()) return fail(status.error());
  return Response::empty(204);
}

Response delete_temporal_instance(Request& request, NgsiApi& api) {
  auto env = prepare_read(request, api);
  if (!env) return fail(env.error());
  auto id = entity_id_param(request);
  if (!id) return fail(id.error());
  std::string name = env->context->expand(request.path_param("attrId"));
  auto status =
      api.temporal.delete_instance(env->tenant, *id, name, request.path_param("instanceId"));
  if (!status.ok()) return fail(status.error());
  return Response::empty(204);
}

}  // namespace citytwin::http::ngsi
