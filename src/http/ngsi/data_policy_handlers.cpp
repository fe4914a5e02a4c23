// /citytwin/v1/open-data and /citytwin/v1/personal-data: a tenant's data-protection settings
// (core::DataPolicies; docs/security.md, "Open data" and "Personal data"). Types and
// attributes are named as in NGSI-LD requests: short names are expanded with the request's
// @context (Link header; the core context by default) and compacted with it in answers.
#include <boost/json.hpp>

#include "citytwin/core/data_policies.hpp"
#include "handler_support.hpp"
#include "handlers.hpp"
#include "request_env.hpp"

namespace citytwin::http::ngsi {
namespace {

namespace json = boost::json;

Error bad_body(std::string_view what, const std::string& why) {
  return make_error(ErrorKind::kBadRequestData, std::string(what) + ": " + why);
}

// The members of `object` must be among `allowed`.
Status only_members(const json::object& object, std::initializer_list<std::string_view> allowed,
                    std::string_view what) {
  for (const auto& [key, value] : object) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return bad_body(what, "unknown member \"" + std::string(key) + "\"");
    }
  }
  return ok_status();
}

// A JSON array of names, expanded with `context`.
Result<core::NameSet> expanded_names(const json::value* value, const jsonld::Context& context,
                                     std::string_view what, std::string_view member) {
  if (value == nullptr || !value->is_array()) {
    return bad_body(what, "\"" + std::string(member) + "\" must be an array of names");
  }
  core::NameSet out;
  for (const auto& item : value->get_array()) {
    if (!item.is_string() || item.get_string().empty()) {
      return bad_body(what, "\"" + std::string(member) + "\" must hold non-empty strings");
    }
    out.insert(context.expand(item.get_string()));
  }
  return out;
}

json::array compacted(const auto& names, const jsonld::Context& context) {
  json::array out;
  for (const auto& name : names) out.emplace_back(context.compact(name));
  return out;
}

// {"rules": [{"type": "Person", "attributes": ["name", "phone"], "retention"?: "P30D"}]}
Result<std::vector<core::PersonalDataRule>> personal_rules_from_body(
    const json::value& body, const jsonld::Context& context) {
  constexpr std::string_view kWhat = "personal-data rules";
  const json::object* object = body.if_object();
  if (object == nullptr) return bad_body(kWhat, "the body must be an object with \"rules\"");
  CT_RETURN_IF_ERROR(only_members(*object, {"rules"}, kWhat));
  const json::value* rules = object->if_contains("rules");
  if (rules == nullptr || !rules->is_array()) return bad_body(kWhat, "\"rules\" must be an array");
  std::vector<core::PersonalDataRule> out;
  for (const json::value& item : rules->get_array()) {
    const json::object* entry = item.if_object();
    if (entry == nullptr) return bad_body(kWhat, "each rule must be an object");
    CT_RETURN_IF_ERROR(only_members(*entry, {"type", "attributes", "retention"}, kWhat));
    const json::value* type = entry->if_contains("type");
    const json::value* retention = entry->if_contains("retention");
    if (type == nullptr || !type->is_string() || type->get_string().empty()) {
      return bad_body(kWhat, "a rule needs \"type\", an entity type name");
    }
    if (retention != nullptr && !retention->is_string()) {
      return bad_body(kWhat, "\"retention\" must be an ISO 8601 duration string such as P30D");
    }
    auto attributes =
        expanded_names(entry->if_contains("attributes"), context, kWhat, "attributes");
    if (!attributes) return std::move(attributes).error();
    auto rule = core::make_personal_data_rule(
        context.expand(type->get_string()), std::move(*attributes),
        retention != nullptr ? std::string(retention->get_string()) : std::string());
    if (!rule) return std::move(rule).error();
    out.push_back(std::move(*rule));
  }
  return out;
}

}  // namespace

Response retrieve_open_data(Request& request, NgsiApi& api) {
  auto env = prepare_read(request, api);
  if (!env) return fail(env.error());
  auto types = api.data_policies->open_types(env->tenant);
  if (!types) return fail(types.error());
  return json_response(200, json::object{{"types", compacted(*types, *env->context)}}, *env, api);
}

// {"types": ["Parking", "https://smartdatamodels.org/dataModel.Environment/AirQualityObserved"]}
Response replace_open_data(Request& request, NgsiApi& api) {
  constexpr std::string_view kWhat = "open-data types";
  auto write = prepare_write(request, api);
  if (!write) return fail(write.error());
  const json::object* object = write->body.if_object();
  if (object == nullptr) return fail(bad_body(kWhat, "the body must be an object with \"types\""));
  CT_RETURN_IF_ERROR_RESPONSE(only_members(*object, {"types"}, kWhat));
  auto types = expanded_names(object->if_contains("types"), *write->env.context, kWhat, "types");
  if (!types) return fail(types.error());
  CT_RETURN_IF_ERROR_RESPONSE(api.data_policies->set_open_types(
      write->env.tenant, std::vector<std::string>(types->begin(), types->end())));
  return Response::empty(204);
}

Response retrieve_personal_data(Request& request, NgsiApi& api) {
  auto env = prepare_read(request, api);
  if (!env) return fail(env.error());
  auto rules = api.data_policies->personal_data(env->tenant);
  if (!rules) return fail(rules.error());
  json::array out;
  for (const auto& rule : *rules) {
    json::object entry{{"type", env->context->compact(rule.type)},
                       {"attributes", compacted(rule.attributes, *env->context)}};
    if (!rule.retention.empty()) entry["retention"] = rule.retention;
    out.push_back(std::move(entry));
  }
  return json_response(200, json::object{{"rules", std::move(out)}}, *env, api);
}

Response replace_personal_data(Request& request, NgsiApi& api) {
  auto write = prepare_write(request, api);
  if (!write) return fail(write.error());
  auto rules = personal_rules_from_body(write->body, *write->env.context);
  if (!rules) return fail(rules.error());
  CT_RETURN_IF_ERROR_RESPONSE(api.data_policies->set_personal_data(write->env.tenant, *rules));
  return Response::empty(204);
}

}  // namespace citytwin::http::ngsi
