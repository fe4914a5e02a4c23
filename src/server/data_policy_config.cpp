#include "data_policy_config.hpp"

#include <spdlog/spdlog.h>

#include "citytwin/security/access.hpp"

namespace citytwin::server {
namespace {

Error invalid(std::string_view key, const std::string& tenant, const std::string& why) {
  return make_error(ErrorKind::kInvalidRequest,
                    "config security." + std::string(key) + " of tenant '" + tenant + "': " + why);
}

Status check_tenant(std::string_view key, const std::string& tenant) {
  if (security::valid_tenant_scope(tenant)) return ok_status();
  return invalid(key, tenant, "1-64 characters of letters, digits, '_', '-' or '.' expected");
}

}  // namespace

Result<core::ConfiguredDataPolicies> configured_data_policies(const ServeOptions& options,
                                                              const jsonld::TermMapper& terms) {
  core::ConfiguredDataPolicies out;
  for (const auto& setting : options.open_data) {
    CT_RETURN_IF_ERROR(check_tenant("open_data", setting.tenant));
    std::vector<std::string> types;
    for (const auto& type : setting.types) {
      if (type.empty()) return invalid("open_data", setting.tenant, "an empty type name");
      types.push_back(terms.expand(type));
    }
    if (!out.open_types.emplace(setting.tenant, std::move(types)).second) {
      return invalid("open_data", setting.tenant, "the tenant is listed twice");
    }
  }
  for (const auto& setting : options.personal_data) {
    CT_RETURN_IF_ERROR(check_tenant("personal_data", setting.tenant));
    core::NameSet attributes;
    for (const auto& name : setting.attributes)
      attributes.insert(name.empty() ? name : terms.expand(name));
    auto rule =
        core::make_personal_data_rule(setting.type.empty() ? "" : terms.expand(setting.type),
                                      std::move(attributes), setting.retention);
    if (!rule) return invalid("personal_data", setting.tenant, rule.error().detail);
    auto& rules = out.personal_data[setting.tenant];
    for (const auto& existing : rules) {
      if (existing.type == rule->type) {
        return invalid("personal_data", setting.tenant, "two rules for type " + setting.type);
      }
    }
    rules.push_back(std::move(*rule));
  }
  return out;
}

Status apply_data_policy_config(const ServeOptions& options, const jsonld::TermMapper& terms,
                                core::DataPolicies& policies, store::EntityStore& store) {
  auto configured = configured_data_policies(options, terms);
  if (!configured) return std::move(configured).error();
  auto applied = core::apply_configured_policies(policies, store, *configured);
  if (!applied) {
    return make_error(applied.error().kind,
                      "config security.open_data / personal_data: " + applied.error().detail);
  }
  for (const auto& line : *applied) spdlog::info("config file: {} set", line);
  return ok_status();
}

}  // namespace citytwin::server
