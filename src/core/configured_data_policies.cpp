#include "citytwin/core/configured_data_policies.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <functional>

namespace citytwin::core {
namespace {

namespace json = boost::json;

// What the file said at the last start, per tenant (the fingerprint of each kind's setting).
constexpr std::string_view kConfiguredOpenData = "policy.configured.open_data";
constexpr std::string_view kConfiguredPersonalData = "policy.configured.personal_data";

// The same setting always gives the same text, whatever the order it was written in.
std::string fingerprint(const std::vector<std::string>& types) {
  NameSet unique(types.begin(), types.end());
  json::array out;
  for (const auto& type : unique) out.emplace_back(type);
  return json::serialize(out);
}

std::string fingerprint(const std::vector<PersonalDataRule>& rules) {
  std::vector<const PersonalDataRule*> sorted;
  for (const auto& rule : rules) sorted.push_back(&rule);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->type < b->type; });
  json::array out;
  for (const auto* rule : sorted) {
    json::array attributes;
    for (const auto& name : rule->attributes) attributes.emplace_back(name);
    out.push_back(json::array{json::string(rule->type), std::move(attributes),
                              json::string(rule->retention)});
  }
  return json::serialize(out);
}

// One kind of setting: applies the file's value of each tenant whose value changed since the
// last start, and forgets the tenants the file no longer names.
template <class Setting>
Status apply_kind(store::EntityStore& store, std::string_view remembered,
                  const std::map<std::string, Setting>& configured,
                  const std::function<Status(const std::string&, const Setting&)>& apply,
                  std::string_view what, std::vector<std::string>& applied) {
  for (const auto& [tenant, setting] : configured) {
    std::string now = fingerprint(setting);
    auto before = store.get_document(remembered, tenant);
    if (!before) return std::move(before).error();
    if (*before && **before == now) continue;  // unchanged file: the stored setting stands
    CT_RETURN_IF_ERROR(apply(tenant, setting));
    CT_RETURN_IF_ERROR(store.put_document(remembered, tenant, now));
    applied.push_back(std::string(what) + " of tenant '" + tenant + "'");
  }
  auto listed = store.list_documents(remembered);
  if (!listed) return std::move(listed).error();
  for (const auto& [tenant, text] : *listed) {
    // Named again later, even with the same value, the file's setting is applied again.
    if (!configured.contains(tenant)) CT_RETURN_IF_ERROR(store.delete_document(remembered, tenant));
  }
  return ok_status();
}

}  // namespace

Result<std::vector<std::string>> apply_configured_policies(
    DataPolicies& policies, store::EntityStore& store, const ConfiguredDataPolicies& configured) {
  std::vector<std::string> applied;
  using Types = std::vector<std::string>;
  using Rules = std::vector<PersonalDataRule>;
  CT_RETURN_IF_ERROR(apply_kind<Types>(
      store, kConfiguredOpenData, configured.open_types,
      [&policies](const std::string& tenant, const Types& types) {
        return policies.set_open_types(tenant, types);
      },
      "open data", applied));
  CT_RETURN_IF_ERROR(apply_kind<Rules>(
      store, kConfiguredPersonalData, configured.personal_data,
      [&policies](const std::string& tenant, const Rules& rules) {
        return policies.set_personal_data(tenant, rules);
      },
      "personal data", applied));
  return applied;
}

}  // namespace citytwin::core
