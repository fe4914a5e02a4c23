#pragma once

#include <map>
#include <string>
#include <vector>

#include "citytwin/common/result.hpp"
#include "citytwin/core/data_policies.hpp"
#include "citytwin/store/entity_store.hpp"

namespace citytwin::core {

// Open-data and personal-data settings written in the config file (docs/security.md,
// "Settings in the config file"), names already expanded. A tenant absent from a map is not
// configured there: its setting is the API's alone.
struct ConfiguredDataPolicies {
  std::map<std::string, std::vector<std::string>> open_types;          // by tenant
  std::map<std::string, std::vector<PersonalDataRule>> personal_data;  // by tenant
};

// Makes the config file's settings the tenants' settings where the file changed them.
//
// The latest change wins, whether made in the file or through the API: for each tenant and
// kind the file names, the setting is replaced when the file's value differs from the one it
// had at the previous start (remembered in namespace "policy.configured"), which is always
// the case the first time. An unchanged file leaves the stored setting alone, so a change
// made through the API since (closing leaked open data at once, say) survives restarts until
// the file itself is edited. A tenant dropped from the file keeps its current setting.
//
// Returns what was applied, as "open data of tenant 'city'" lines for the log.
Result<std::vector<std::string>> apply_configured_policies(
    DataPolicies& policies, store::EntityStore& store, const ConfiguredDataPolicies& configured);

}  // namespace citytwin::core
