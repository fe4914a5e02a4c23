#pragma once

#include "citytwin/common/result.hpp"
#include "citytwin/core/configured_data_policies.hpp"
#include "citytwin/model/term_mapper.hpp"
#include "citytwin/server/serve_options.hpp"

namespace citytwin::server {

// The config file's open-data and personal-data settings (docs/security.md, "Settings in the
// config file") with names expanded by `terms` (the NGSI-LD core @context, as an API request
// without a Link header). kInvalidRequest, naming the entry, for an invalid tenant, a tenant
// listed twice, or a rule the API would refuse too.
Result<core::ConfiguredDataPolicies> configured_data_policies(const ServeOptions& options,
                                                              const jsonld::TermMapper& terms);

// configured_data_policies() applied at start-up by core::apply_configured_policies, each
// applied setting logged.
Status apply_data_policy_config(const ServeOptions& options, const jsonld::TermMapper& terms,
                                core::DataPolicies& policies, store::EntityStore& store);

}  // namespace citytwin::server
