// /ngsi-ld/v1/types and /ngsi-ld/v1/attributes (GS CIM 009 clauses 6.25-6.28).
#include <boost/json.hpp>
#include <cstdio>
#include <random>

#include "citytwin/model/entity_form.hpp"
#include "handlers.hpp"
#include "request_env.hpp"

namespace citytwin::http::ngsi {
namespace {

bool wants_details(const Request& request) {
  return request.param("details").value_or("false") == "true";
}

// List resources carry a fresh URN (clause 5.2.24 EntityTypeList: "id" is a URI); only
// uniqueness matters, so a random 64-bit suffix is enough.
std::string list_urn(std::string_view kind) {
  std::random_device random;
  std::uint64_t suffix = (static_cast<std::uint64_t>(random()) << 32) ^ random();
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(suffix));
  return "urn:ngsi-ld:" + std::string(kind) + ":" + hex;
}

boost::json::array compacted(const std::set<std::string>& names, const RequestEnv& env) {
  boost::json::array out;
  for (const auto& name : names) out.emplace_back(env.context->compact(name));
  return out;
}

boost::json::array kinds(const std::set<std::string>& names) {
  boost::json::array out;
  for (const auto& name : names) out.emplace_back(name);
  return out;
}

Response respond(const Request& request, NgsiApi& api, const RequestEnv& env,
                 boost::json::value body) {
  (void)request;
  if (env.response_type == MediaType::kJsonLd) {
    auto add_context = [&](boost::json::object& object) {
      object["@context"] = context_for_body(env, api);
    };
    if (auto* object = body.if_object()) add_context(*object);
    if (auto* array = body.if_array()) {
      for (auto& item : *array) {
        if (auto* object = item.if_object()) add_context(*object);
      }
    }
  }
  return json_response(200, body, env, api);
}

}  // namespace

Response list_types(Request& request, NgsiApi& api) {
  auto env = prepare_read(request, api);
  if (!env) return fail(env.error());
  CT_RETURN_IF_ERROR_RESPONSE(api.entities.require_tenant(env->tenant));
  auto types = api.discovery.types(env->tenant, env->restriction.get());
  if (!types) return fail(types.error());
  if (!wants_details(request)) {
    boost::json::array list;
    for (const auto& type : *types) list.emplace_back(env->context->compact(type.term));
    return respond(request, api, *env,
                   boost::json::object{{"id", list_urn("EntityTypeList")},
                                       {"type", "EntityTypeList"},
                                       {"typeList", std::move(list)}});
  }
  boost::json::array details;
  for (const auto& type : *types) {
    auto info = api.discovery.type_details(env->tenant, type.term, env->restriction.get());
    if (!info) continue;  // deleted meanwhile
    std::set<std::string> names;
    for (const auto& [name, usage] : info->attributes) names.insert(name);
    details.push_back(boost::json::object{{"id", type.term},
                                          {"type", "EntityType"},
                                          {"typeName", env->context->compact(type.term)},
                                          {"attributeNames", compacted(names, *env)}});
  }
  return respond(request, api, *env, std::move(details));
}

Response type_info(Request& request, NgsiApi& api) {
  auto env = prepare_read(request, api);
  if (!env) return fail(env.error());
  CT_RETURN_IF_ERROR_RESPONSE(api.entities.require_tenant(env->tenant));
  std::string type = env->context->expand(request.path_param("type"));
  auto info = api.discovery.type_details(env->tenant, type, env->restriction.get());
  if (!info) return fail(info.error());
  // Clause 5.2.26: attributeDetails are Attribute objects (5.2.28); typeNames is left out as
  // it would only repeat the type asked for, attributeCount counts within that type.
  boost::json::array attributes;
  for (const auto& [name, usage] : info->attributes) {
    attributes.push_back(boost::json::object{{"id", name},
                                             {"type", "Attribute"},
                                             {"attributeName", env->context->compact(name)},
                                             {"attributeCount", usage.instance_count},
                                             {"attributeTypes", kinds(usage.kinds)}});
  }
  return respond(request, api, *env,
                 boost::json::object{{"id", type},
                                     {"type", "EntityTypeInfo"},
                                     {"typeName", env->context->compact(type)},
                                     {"entityCount", info->entity_count},
                                     {"attributeDetails", std::move(attributes)}});
}

namespace {

// Clause 5.2.28: "attributeCount" is the number of attribute instances with this name, not
// the number of entities having it (they differ for multi-attributes).
boost::json::object attribute_object(const core::AttributeDetails& info, const RequestEnv& env) {
  return boost::json::object{{"id", info.attribute},
                             {"type", "Attribute"},
                             {"attributeName", env.context->compact(info.attribute)},
                             {"attributeCount", info.usage.instance_count},
                             {"attributeTypes", kinds(info.usage.kinds)},
                             {"typeNames", compacted(info.type_names, env)}};
}

}  // namespace

Response list_attributes(Request& request, NgsiApi& api) {
  auto env = prepare_read(request, api);
  if (!env) return fail(env.error());
  CT_RETURN_IF_ERROR_RESPONSE(api.entities.require_tenant(env->tenant));
  auto attributes = api.discovery.attributes(env->tenant);
  if (!attributes) return fail(attributes.error());
  if (!wants_details(request)) {
    boost::json::array list;
    for (const auto& attribute : *attributes)
      list.emplace_back(env->context->compact(attribute.term));
    return respond(request, api, *env,
                   boost::json::object{{"id", list_urn("AttributeList")},
                                       {"type", "AttributeList"},
                                       {"attributeList", std::move(list)}});
  }
  boost::json::array details;
  for (const auto& attribute : *attributes) {
    auto info = api.discovery.attribute_details(env->tenant, attribute.term);
    if (info) details.push_back(attribute_object(*info, *env));
  }
  return respond(request, api, *env, std::move(details));
}

Response attribute_info(Request& request, NgsiApi& api) {
  auto env = prepare_read(request, api);
  if (!env) return fail(env.error());
  CT_RETURN_IF_ERROR_RESPONSE(api.entities.require_tenant(env->tenant));
  std::string attribute = env->context->expand(request.path_param("attrId"));
  auto info = api.discovery.attribute_details(env->tenant, attribute);
  if (!info) return fail(info.error());
  return respond(request, api, *env, attribute_object(*info, *env));
}

}  // namespace citytwin::http::ngsi
