#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "citytwin/common/result.hpp"
#include "citytwin/core/read_restriction.hpp"
#include "citytwin/series/period_duration.hpp"
#include "citytwin/store/entity_store.hpp"

namespace citytwin::core {

// Attributes of one entity type that hold personal data (issue #6, "Personal data";
// docs/security.md): never shown to anonymous open-data readers nor exported, and their
// history older than `retention` erased by the retention passes (RetentionService).
struct PersonalDataRule {
  std::string type;       // expanded type IRI
  NameSet attributes;     // expanded attribute IRIs, at least one
  std::string retention;  // ISO 8601 duration as given ("P30D"); "" = kept like other history
  std::optional<series::PeriodDuration> retention_period;  // `retention` parsed
};

// Checks and builds a rule: a type, at least one attribute, a non-zero retention if any.
Result<PersonalDataRule> make_personal_data_rule(std::string type, NameSet attributes,
                                                 std::string retention);

// A tenant's data-protection settings, kept as store documents (namespaces
// "policy.open_data" and "policy.personal_data", key = tenant): which entity types it opens to
// anonymous readers, and which attributes are personal. The views readers get are built once
// per change and cached, so an anonymous request costs a map lookup. Thread-safe.
class DataPolicies {
 public:
  explicit DataPolicies(store::EntityStore& store) : store_(store) {}

  // Expanded type IRIs, sorted; empty when the tenant opens nothing.
  Result<std::vector<std::string>> open_types(std::string_view tenant) const;
  // Replaces them; an empty list closes the tenant to anonymous readers again.
  Status set_open_types(std::string_view tenant, const std::vector<std::string>& types);

  // One rule per type; empty when none was set.
  Result<std::vector<PersonalDataRule>> personal_data(std::string_view tenant) const;
  // Replaces them (kBadRequestData when a type repeats); empty removes them.
  Status set_personal_data(std::string_view tenant, const std::vector<PersonalDataRule>& rules);
  // Every tenant's rules, for the retention passes.
  Result<std::vector<std::pair<std::string, std::vector<PersonalDataRule>>>> all_personal_data()
      const;

  // What anonymous readers of `tenant` may see: its open types, without personal attributes.
  // nullptr when the tenant opens no type (anonymous requests are then refused).
  Result<std::shared_ptr<const ReadRestriction>> open_data_view(std::string_view tenant) const;
  // What an export of `tenant` holds: every type, without personal attributes; nullptr when
  // the tenant marked nothing personal.
  Result<std::shared_ptr<const ReadRestriction>> export_view(std::string_view tenant) const;

 private:
  struct Views {
    std::shared_ptr<const ReadRestriction> open_data;
    std::shared_ptr<const ReadRestriction> exports;
  };
  Result<Views> views(std::string_view tenant) const;
  void forget(std::string_view tenant);

  store::EntityStore& store_;
  mutable std::mutex mutex_;                                 // guards cache_
  mutable std::map<std::string, Views, std::less<>> cache_;  // by tenant
  std::uint64_t generation_ = 0;                             // bumped by every change (see views())
};

}  // namespace citytwin::core
