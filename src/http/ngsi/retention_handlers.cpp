// /citytwin/v1/retention: a tenant's history retention rules (core::RetentionService;
// docs/timeseries.md, "Retention"). Types are named as in NGSI-LD requests: short names are
// expanded with the request's @context (Link header) and compacted with it in answers.
#include <boost/json.hpp>

#include "citytwin/core/retention_service.hpp"
#include "handler_support.hpp"
#include "handlers.hpp"
#include "request_env.hpp"

namespace citytwin::http::ngsi {
namespace {

namespace json = boost::json;

Error bad_rules(const std::string& why) {
  return make_error(ErrorKind::kBadRequestData, "retention rules: " + why);
}

// One rule's optional rollup members: "rollups": ["PT1H", "P1D"], "rollupRetention": "P10Y".
Status read_rollups(const json::object& entry, core::RetentionRuleSpec& spec) {
  if (const auto* rollups = entry.if_contains("rollups")) {
    if (!rollups->is_array()) return bad_rules("\"rollups\" must be an array of durations");
    for (const json::value& period : rollups->get_array()) {
      if (!period.is_string()) return bad_rules("\"rollups\" must be an array of durations");
      spec.rollups.emplace_back(period.get_string());
    }
  }
  if (const auto* keep = entry.if_contains("rollupRetention")) {
    if (!keep->is_string()) return bad_rules("\"rollupRetention\" must be a duration");
    spec.rollup_keep = keep->get_string();
  }
  return ok_status();
}

// {"rules": [{"type"?: "AirQualityObserved", "keep"?: "P2Y", "rollups"?: ["PT1H", "P1D"],
// "rollupRetention"?: "P10Y"}, ...]}: keep may be left out only by a rule with rollups.
Result<core::RetentionPolicy> policy_from_body(const json::value& body,
                                               const jsonld::Context& context) {
  const json::object* object = body.if_object();
  if (object == nullptr) return bad_rules("the body must be an object with \"rules\"");
  for (const auto& [key, value] : *object) {
    if (key != "rules") return bad_rules("unknown member \"" + std::string(key) + "\"");
  }
  const json::value* rules = object->if_contains("rules");
  if (rules == nullptr || !rules->is_array()) return bad_rules("\"rules\" must be an array");
  std::vector<core::RetentionRuleSpec> specs;
  for (const json::value& rule : rules->get_array()) {
    const json::object* entry = rule.if_object();
    if (entry == nullptr) return bad_rules("each rule must be an object");
    core::RetentionRuleSpec spec;
    for (const auto& [key, value] : *entry) {
      if (key == "rollups" || key == "rollupRetention") continue;
      if ((key != "type" && key != "keep") || !value.is_string()) {
        return bad_rules("a rule has \"keep\" (an ISO 8601 duration), optionally \"type\" " +
                         std::string("(an entity type), both strings, and optionally ") +
                         "\"rollups\" and \"rollupRetention\"");
      }
      if (key == "type") spec.type = context.expand(value.get_string());
      if (key == "keep") spec.keep = value.get_string();
    }
    CT_RETURN_IF_ERROR(read_rollups(*entry, spec));
    if (spec.keep.empty() && spec.rollups.empty()) return bad_rules("a rule without \"keep\"");
    specs.push_back(std::move(spec));
  }
  return core::make_retention_policy(specs);
}

}  // namespace

Response retrieve_retention(Request& request, NgsiApi& api) {
  auto env = prepare_read(request, api);
  if (!env) return fail(env.error());
  auto policy = api.retention->policy(env->tenant);
  if (!policy) return fail(policy.error());
  json::array rules;
  for (const core::RetentionRule& rule : policy->rules) {
    json::object entry;
    if (!rule.keep.empty()) entry["keep"] = rule.keep;
    if (!rule.type.empty()) entry["type"] = env->context->compact(rule.type);
    if (!rule.rollups.empty()) {
      entry["rollups"] = json::array(rule.rollups.begin(), rule.rollups.end());
    }
    if (!rule.rollup_keep.empty()) entry["rollupRetention"] = rule.rollup_keep;
    rules.push_back(std::move(entry));
  }
  return json_response(200, json::object{{"rules", std::move(rules)}}, *env, api);
}

Response replace_retention(Request& request, NgsiApi& api) {
  auto write = prepare_write(request, api);
  if (!write) return fail(write.error());
  auto policy = policy_from_body(write->body, *write->env.context);
  if (!policy) return fail(policy.error());
  CT_RETURN_IF_ERROR_RESPONSE(api.retention->set_policy(write->env.tenant, *policy));
  return Response::empty(204);
}

Response run_retention_pass(Request&, NgsiApi& api) {
  auto report = api.retention->run_pass();
  if (!report) return fail(report.error());
  Response response;
  response.status = 200;
  response.header("Content-Type", "application/json");
  response.body = json::serialize(json::object{{"tenants", report->tenants},
                                               {"entities", report->entities},
                                               {"personalEntities", report->personal_entities}});
  return response;
}

}  // namespace citytwin::http::ngsi
