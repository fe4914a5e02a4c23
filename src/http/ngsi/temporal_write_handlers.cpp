// Writes of the temporal API (GS CIM 009 clauses 5.6.11-5.6.16, 6.18-6.22): POST
// /temporal/entities, POST /temporal/entities/{id}/attrs, DELETE /temporal/entities/{id},
// DELETE .../attrs/{attrId}, PATCH and DELETE .../attrs/{attrId}/{instanceId}. They edit
// the recorded history only; the current state is the entity API's.
#include <algorithm>
#include <span>

#include <boost/json/monotonic_resource.hpp>

#include "citytwin/model/attribute_parser.hpp"
#include "citytwin/model/entity_form.hpp"
#include "citytwin/model/entity_parser.hpp"
#include "citytwin/model/temporal_instance_parser.hpp"
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
// instance is parsed and validated as an attribute of the entity API would be, straight to
// its stored text (model::TemporalInstanceParser).
Result<std::vector<model::TemporalAttribute>> temporal_attributes(const json::object& body,
                                                                  const jsonld::TermMapper& terms) {
  const model::ParseOptions options = parse_options(false, false);
  model::TemporalInstanceParser parser(terms, options);
  std::vector<model::TemporalAttribute> attrs;
  for (const auto& [name, member] : body) {
    if (is_entity_member(name)) continue;
    // A view, not a copy: an import's list holds thousands of instances.
    std::span<const json::value> list =
        member.is_array()
            ? std::span<const json::value>(member.get_array().data(), member.get_array().size())
            : std::span<const json::value>(&member, 1);
    if (list.empty()) return bad("attribute " + std::string(name) + " has no instance");
    model::TemporalAttribute* target = nullptr;  // once the name is known to be valid
    for (const auto& instance : list) {
      if (!instance.is_object()) {
        return bad("each instance of " + std::string(name) + " must be an object");
      }
      auto parsed = parser.parse(name, instance);
      if (!parsed) return std::move(parsed).error();
      if (target == nullptr) {
        std::string expanded = terms.expand(name);
        auto same = std::find_if(attrs.begin(), attrs.end(),
                                 [&](const auto& attr) { return attr.name == expanded; });
        target = same != attrs.end()
                     ? &*same
                     : &attrs.emplace_back(model::TemporalAttribute{std::move(expanded), {}});
        target->instances.reserve(target->instances.size() + list.size());
      }
      target->instances.push_back(std::move(*parsed));
    }
  }
  return attrs;
}

// Nothing of a temporal write's body outlives the request (instances are kept as text): it is
// parsed into one arena, freed at once.
boost::json::storage_ptr body_arena(const Request& request) {
  return boost::json::make_shared_resource<boost::json::monotonic_resource>(
      request.body.size() * 2 + 1024);
}

}  // namespace

Response create_temporal_entity(Request& request, NgsiApi& api) {
  auto write = prepare_write(request, api, false, body_arena(request));
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
  std::string location =
      location_of("/ngsi-ld/v1/temporal/entities/", entity->at(form::kId).as_string());
  auto created = api.temporal.add_history(write->env.tenant, *entity, std::move(*attrs));
  if (!created) return fail(created.error());
  if (!*created) return Response::empty(204);
  return Response::empty(201).header("Location", location);
}

Response append_temporal_attributes(Request& request, NgsiApi& api) {
  auto write = prepare_write(request, api, false, body_arena(request));
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
