#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "citytwin/common/clock.hpp"
#include "citytwin/common/result.hpp"
#include "citytwin/core/data_policies.hpp"
#include "citytwin/core/history_rollups.hpp"
#include "citytwin/series/period_duration.hpp"
#include "citytwin/store/entity_store.hpp"

namespace citytwin::core {

// How long a tenant keeps the history of its entities (docs/timeseries.md, "Retention").
struct RetentionRule {
  std::string type;  // expanded type IRI; "" is the tenant's default for every other entity
  std::string keep;  // the ISO 8601 duration as given, e.g. "P2Y"; "" keeps raw history for ever
  series::PeriodDuration period;  // `keep` parsed (zero when keep is "")
  // Downsampled rollups kept for the type (HistoryRollups): "PT1H" and/or "P1D"; none: no
  // rollups.
  std::vector<std::string> rollups;
  std::string rollup_keep;  // how long rollup rows are kept ("" for ever), e.g. "P10Y"
  std::optional<series::PeriodDuration> rollup_period;  // `rollup_keep` parsed
};

// A rule as a client states it (before validation).
struct RetentionRuleSpec {
  std::string type;
  std::string keep;
  std::vector<std::string> rollups;
  std::string rollup_keep;
};

// A tenant's rules: at most one per type and one default. An entity follows the rules of
// its types (current, else last recorded); with several, the longest keep wins, so no rule
// ever loses what another keeps. An entity no type rule names follows the default; without
// a default its history is kept for ever.
struct RetentionPolicy {
  std::vector<RetentionRule> rules;
};

// Rules from (type, keep) pairs: keep must be a non-zero duration, types unique.
Result<RetentionPolicy> make_retention_policy(
    const std::vector<std::pair<std::string, std::string>>& rules);
// Rules that may also ask for rollups: keep may then be "" (raw history kept for ever);
// rollups are "PT1H" and/or "P1D", rollup_keep only with rollups.
Result<RetentionPolicy> make_retention_policy(const std::vector<RetentionRuleSpec>& rules);
// The rollup rules of a policy: its rules that ask for rollups, and its other typed rules as
// `none` (their entities do not follow the default rule's rollups).
std::vector<RollupRule> rollup_rules(const RetentionPolicy& policy);

struct RetentionPassReport {
  std::size_t tenants = 0;   // tenants with a policy
  std::size_t entities = 0;  // entities whose history was trimmed to their cutoff (if older)
  // Entities whose personal attributes' history was trimmed to their personal-data retention
  // (docs/security.md, "Personal data").
  std::size_t personal_entities = 0;
};

// Keeps the policies (durable documents) and applies them: a pass erases, for every entity
// a rule covers, the samples modified before now minus its keep (EntityStore's HistoryErase
// `before`). A pass runs in the background every `interval`, in small writes of a few
// entities, so writers are never blocked for long; run_pass() runs one now.
class RetentionService {
 public:
  // With `personal_data`, each pass also erases the history of personal attributes older
  // than their rule's retention.
  RetentionService(store::EntityStore& store, const Clock& clock,
                   const DataPolicies* personal_data = nullptr)
      : store_(store), clock_(clock), personal_data_(personal_data) {}
  ~RetentionService();
  RetentionService(const RetentionService&) = delete;
  RetentionService& operator=(const RetentionService&) = delete;

  // The tenant's policy (no rules when none was set).
  Result<RetentionPolicy> policy(std::string_view tenant) const;
  // Replaces the tenant's policy; no rules removes it.
  Status set_policy(std::string_view tenant, const RetentionPolicy& policy);

  Result<RetentionPassReport> run_pass();

  // Rollups (docs/timeseries.md, "Rollups"): policies configure them, trims archive into
  // them. restore_rollups() hands every stored policy's rollup rules over (start-up).
  void set_rollups(HistoryRollups* rollups) { rollups_ = rollups; }
  Status restore_rollups();

  // Runs a pass every `interval` on its own thread until stop() (or destruction), telling
  // `on_pass` how each went.
  using PassListener = std::function<void(const Result<RetentionPassReport>&)>;
  void start(std::chrono::milliseconds interval, PassListener on_pass = {});
  void stop();

 private:
  Result<std::size_t> apply_policy(std::string_view tenant, const RetentionPolicy& policy);
  Status trim(std::string_view tenant, std::vector<std::pair<std::string, std::int64_t>>& batch,
              const NameSet& attributes = {});
  Result<std::size_t> apply_personal_data(std::string_view tenant,
                                          const std::vector<PersonalDataRule>& rules);

  store::EntityStore& store_;
  const Clock& clock_;
  const DataPolicies* personal_data_;
  HistoryRollups* rollups_ = nullptr;
  std::mutex pass_mutex_;  // one pass at a time (the background one, or run_pass())
  std::mutex wake_mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace citytwin::core
