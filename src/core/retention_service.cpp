#include "citytwin/core/retention_service.hpp"
#include "citytwin/common/json_parse.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>

namespace citytwin::core {
namespace {

namespace json = boost::json;

constexpr std::int64_t kHourMicros = 3'600'000'000;

constexpr std::string_view kNamespace = "retention";
// Entities trimmed per store write: small writes keep every write's wait short.
constexpr std::size_t kTrimBatch = 32;

std::string encode_policy(const RetentionPolicy& policy) {
  json::array rules;
  for (const RetentionRule& rule : policy.rules) {
    json::object entry{{"keep", rule.keep}};
    if (!rule.type.empty()) entry["type"] = rule.type;
    if (!rule.rollups.empty()) {
      entry["rollups"] = json::array(rule.rollups.begin(), rule.rollups.end());
    }
    if (!rule.rollup_keep.empty()) entry["rollupRetention"] = rule.rollup_keep;
    rules.push_back(std::move(entry));
  }
  return json::serialize(json::object{{"rules", std::move(rules)}});
}

Error unreadable_policy() {
  return make_error(ErrorKind::kInternalError, "stored retention policy is unreadable");
}

// A stored rule's optional rollup members.
bool read_rollups(const json::object& object, RetentionRuleSpec& spec) {
  if (const auto* list = object.if_contains("rollups")) {
    if (!list->is_array()) return false;
    for (const auto& period : list->get_array()) {
      if (!period.is_string()) return false;
      spec.rollups.emplace_back(period.get_string());
    }
  }
  if (const auto* keep = object.if_contains("rollupRetention")) {
    if (!keep->is_string()) return false;
    spec.rollup_keep = keep->get_string();
  }
  return true;
}

Result<RetentionPolicy> decode_policy(std::string_view text) {
  boost::system::error_code ec;
  auto parsed = citytwin::parse_json(text, ec);
  const json::array* rules = nullptr;
  if (!ec && parsed.is_object()) {
    if (const auto* found = parsed.as_object().if_contains("rules")) rules = found->if_array();
  }
  if (rules == nullptr) {
    return unreadable_policy();
  }
  std::vector<RetentionRuleSpec> specs;
  for (const auto& rule : *rules) {
    const auto* object = rule.if_object();
    const json::value* keep = object ? object->if_contains("keep") : nullptr;
    const json::value* type = object ? object->if_contains("type") : nullptr;
    if (keep == nullptr || !keep->is_string() || (type != nullptr && !type->is_string())) {
      return unreadable_policy();
    }
    RetentionRuleSpec spec{
        type ? std::string(type->get_string()) : "", std::string(keep->get_string()), {}, {}};
    if (!read_rollups(*object, spec)) return unreadable_policy();
    specs.push_back(std::move(spec));
  }
  return make_retention_policy(specs);
}

// Ids of the entities indexed under a type now or in their history.
Status visit_ids_of_type(const store::EntityStore& store, std::string_view tenant,
                         const std::string& type,
                         const std::function<Status(const std::string&)>& visit) {
  for (auto selector :
       {store::IndexSelector::type(type), store::IndexSelector::history_type(type)}) {
    auto cursor = store.scan(tenant, selector);
    for (; cursor->valid(); cursor->next()) CT_RETURN_IF_ERROR(visit(std::string(cursor->id())));
    CT_RETURN_IF_ERROR(cursor->status());
  }
  return ok_status();
}

}  // namespace

Result<RetentionPolicy> make_retention_policy(
    const std::vector<std::pair<std::string, std::string>>& rules) {
  std::vector<RetentionRuleSpec> specs;
  for (const auto& [type, keep] : rules) specs.push_back(RetentionRuleSpec{type, keep, {}, {}});
  return make_retention_policy(specs);
}

namespace {

Result<series::PeriodDuration> parse_keep(const std::string& keep, std::string_view member) {
  auto period = series::parse_period_duration(keep);
  if (!period) {
    return make_error(ErrorKind::kBadRequestData, "invalid retention '" + std::string(member) +
                                                      "' '" + keep +
                                                      "': an ISO 8601 duration such as "
                                                      "P2Y, P90D or PT12H is expected");
  }
  if (period->is_zero()) {
    return make_error(ErrorKind::kBadRequestData,
                      "retention '" + std::string(member) + "' must not be zero");
  }
  return *period;
}

Status check_rollups(const std::vector<std::string>& rollups) {
  std::set<std::string> seen;
  for (const std::string& text : rollups) {
    auto period = series::parse_period_duration(text);
    if (!period || period->months != 0 ||
        (period->micros != kHourMicros && period->micros != 24 * kHourMicros) ||
        !seen.insert(text).second) {
      return make_error(
          ErrorKind::kBadRequestData,
          "retention 'rollups' holds \"PT1H\" and/or \"P1D\", each once; not '" + text + "'");
    }
  }
  return ok_status();
}

}  // namespace

Result<RetentionPolicy> make_retention_policy(const std::vector<RetentionRuleSpec>& rules) {
  RetentionPolicy policy;
  std::set<std::string> seen;
  for (const RetentionRuleSpec& spec : rules) {
    RetentionRule rule{spec.type, spec.keep, {}, spec.rollups, spec.rollup_keep, std::nullopt};
    if (!spec.keep.empty() || spec.rollups.empty()) {
      auto period = parse_keep(spec.keep, "keep");
      if (!period) return std::move(period).error();
      rule.period = *period;
    }
    CT_RETURN_IF_ERROR(check_rollups(spec.rollups));
    if (!spec.rollup_keep.empty()) {
      if (spec.rollups.empty()) {
        return make_error(ErrorKind::kBadRequestData,
                          "retention 'rollupRetention' needs 'rollups'");
      }
      auto period = parse_keep(spec.rollup_keep, "rollupRetention");
      if (!period) return std::move(period).error();
      rule.rollup_period = *period;
    }
    if (!seen.insert(spec.type).second) {
      return make_error(ErrorKind::kBadRequestData,
                        spec.type.empty() ? std::string("more than one default retention rule")
                                          : "more than one retention rule for type " + spec.type);
    }
    policy.rules.push_back(std::move(rule));
  }
  return policy;
}

std::vector<RollupRule> rollup_rules(const RetentionPolicy& policy) {
  std::vector<RollupRule> rules;
  for (const RetentionRule& rule : policy.rules) {
    if (rule.rollups.empty()) {
      if (!rule.type.empty()) rules.push_back(RollupRule{rule.type, true, false, std::nullopt});
      continue;
    }
    bool hourly = std::any_of(rule.rollups.begin(), rule.rollups.end(), [](const auto& text) {
      auto period = series::parse_period_duration(text);
      return period && period->micros == kHourMicros;
    });
    rules.push_back(RollupRule{rule.type, false, hourly, rule.rollup_period});
  }
  return rules;
}

Status RetentionService::restore_rollups() {
  if (rollups_ == nullptr) return ok_status();
  auto policies = store_.list_documents(kNamespace);
  if (!policies) return std::move(policies).error();
  std::vector<std::pair<std::string, std::vector<RollupRule>>> all;
  for (const auto& [tenant, text] : *policies) {
    auto policy = decode_policy(text);
    if (!policy) return std::move(policy).error();
    all.emplace_back(tenant, rollup_rules(*policy));
  }
  rollups_->restore(std::move(all));
  return ok_status();
}

RetentionService::~RetentionService() {
  stop();
}

Result<RetentionPolicy> RetentionService::policy(std::string_view tenant) const {
  auto stored = store_.get_document(kNamespace, tenant);
  if (!stored) return std::move(stored).error();
  if (!*stored) return RetentionPolicy{};
  return decode_policy(**stored);
}

Status RetentionService::set_policy(std::string_view tenant, const RetentionPolicy& policy) {
  if (policy.rules.empty()) {
    CT_RETURN_IF_ERROR(store_.delete_document(kNamespace, tenant));
  } else {
    CT_RETURN_IF_ERROR(store_.put_document(kNamespace, tenant, encode_policy(policy)));
  }
  if (rollups_ == nullptr) return ok_status();
  return rollups_->configure(tenant, rollup_rules(policy));
}

Result<RetentionPassReport> RetentionService::run_pass() {
  std::lock_guard pass(pass_mutex_);
  auto policies = store_.list_documents(kNamespace);
  if (!policies) return std::move(policies).error();
  RetentionPassReport report;
  for (const auto& [tenant, text] : *policies) {
    auto policy = decode_policy(text);
    if (!policy) return std::move(policy).error();
    ++report.tenants;
    // A tenant named in a policy but never written to has nothing to trim.
    if (!tenant.empty() && !store_.has_tenant(tenant)) continue;
    auto trimmed = apply_policy(tenant, *policy);
    if (!trimmed) return std::move(trimmed).error();
    report.entities += *trimmed;
  }
  if (personal_data_ == nullptr) return report;
  auto personal = personal_data_->all_personal_data();
  if (!personal) return std::move(personal).error();
  for (const auto& [tenant, rules] : *personal) {
    if (!tenant.empty() && !store_.has_tenant(tenant)) continue;
    auto trimmed = apply_personal_data(tenant, rules);
    if (!trimmed) return std::move(trimmed).error();
    report.personal_entities += *trimmed;
  }
  return report;
}

// Personal attributes (docs/security.md, "Personal data"): for every entity of a rule's type
// (now or in its history), the samples of those attributes older than the rule's retention.
// Same small batches as the history rules, so writers wait at most one of them.
Result<std::size_t> RetentionService::apply_personal_data(
    std::string_view tenant, const std::vector<PersonalDataRule>& rules) {
  std::int64_t now = clock_.now().micros;
  std::size_t trimmed = 0;
  for (const PersonalDataRule& rule : rules) {
    if (!rule.retention_period) continue;
    auto cutoff = series::before_by(now, *rule.retention_period);
    if (!cutoff) continue;  // reaching before year -30000: nothing is old enough
    std::set<std::string, std::less<>> ids;
    CT_RETURN_IF_ERROR(visit_ids_of_type(store_, tenant, rule.type, [&](const std::string& id) {
      ids.insert(id);
      return ok_status();
    }));
    std::vector<std::pair<std::string, std::int64_t>> batch;
    for (const std::string& id : ids) {
      batch.emplace_back(id, *cutoff);
      if (batch.size() >= kTrimBatch) CT_RETURN_IF_ERROR(trim(tenant, batch, rule.attributes));
      ++trimmed;
    }
    CT_RETURN_IF_ERROR(trim(tenant, batch, rule.attributes));
  }
  return trimmed;
}

Result<std::size_t> RetentionService::apply_policy(std::string_view tenant,
                                                   const RetentionPolicy& policy) {
  std::int64_t now = clock_.now().micros;
  static constexpr std::int64_t kKeepAll = std::numeric_limits<std::int64_t>::min();
  auto cutoff_of = [now](const RetentionRule& rule) {
    // No keep (a rule only for rollups), or one reaching before year -30000, keeps everything.
    if (rule.keep.empty()) return kKeepAll;
    return series::before_by(now, rule.period).value_or(kKeepAll);
  };
  // Entities a type rule covers, with the earliest cutoff (the longest keep) of their rules.
  std::map<std::string, std::int64_t, std::less<>> by_type;
  const RetentionRule* fallback = nullptr;
  for (const RetentionRule& rule : policy.rules) {
    if (rule.type.empty()) {
      fallback = &rule;
      continue;
    }
    std::int64_t cutoff = cutoff_of(rule);
    CT_RETURN_IF_ERROR(visit_ids_of_type(store_, tenant, rule.type, [&](const std::string& id) {
      auto [slot, added] = by_type.try_emplace(id, cutoff);
      if (!added) slot->second = std::min(slot->second, cutoff);
      return ok_status();
    }));
  }
  std::size_t trimmed = 0;
  std::vector<std::pair<std::string, std::int64_t>> batch;
  for (const auto& [id, cutoff] : by_type) {
    if (cutoff == kKeepAll) continue;
    batch.emplace_back(id, cutoff);
    if (batch.size() >= kTrimBatch) CT_RETURN_IF_ERROR(trim(tenant, batch));
    ++trimmed;
  }
  if (fallback != nullptr && cutoff_of(*fallback) != kKeepAll) {
    std::int64_t cutoff = cutoff_of(*fallback);
    auto types = store_.history_types(tenant);
    if (!types) return std::move(types).error();
    // Every entity with history is under one of its history types (one with several types
    // is trimmed once per type: the same cutoff, so the later ones find nothing).
    std::set<std::string, std::less<>> done;
    for (const std::string& type : *types) {
      auto cursor = store_.scan(tenant, store::IndexSelector::history_type(type));
      for (; cursor->valid(); cursor->next()) {
        std::string id(cursor->id());
        if (by_type.contains(id)) continue;
        batch.emplace_back(std::move(id), cutoff);
        if (batch.size() >= kTrimBatch) CT_RETURN_IF_ERROR(trim(tenant, batch));
        ++trimmed;
      }
      CT_RETURN_IF_ERROR(cursor->status());
    }
  }
  CT_RETURN_IF_ERROR(trim(tenant, batch));
  return trimmed;
}

// Erases the samples older than each entity's cutoff: of every attribute, or of `attributes`.
Status RetentionService::trim(std::string_view tenant,
                              std::vector<std::pair<std::string, std::int64_t>>& batch,
                              const NameSet& attributes) {
  if (batch.empty()) return ok_status();
  std::vector<store::Change> changes;
  changes.reserve(batch.size());
  for (auto& entry : batch) {  // no structured binding: clang 14 cannot capture one
    std::int64_t cutoff = entry.second;
    store::Change change = store::Change::history_only(std::move(entry.first));
    auto erase_before = [&change, cutoff](std::string attribute) {
      store::HistoryErase erase;
      erase.attribute = std::move(attribute);
      erase.before = cutoff;
      change.erase_history.push_back(std::move(erase));
    };
    if (attributes.empty()) erase_before("");
    for (const auto& attribute : attributes) erase_before(attribute);
    changes.push_back(std::move(change));
  }
  batch.clear();
  if (rollups_ == nullptr) return store_.apply(tenant, changes);
  if (attributes.empty()) return rollups_->apply_trims(tenant, changes);
  // Personal data: its rollups keep no more than its raw history (they are rebuilt from it).
  for (auto& change : changes) rollups_->mark(tenant, change);
  return store_.apply(tenant, changes);
}

void RetentionService::start(std::chrono::milliseconds interval, PassListener on_pass) {
  stop();
  {
    std::lock_guard lock(wake_mutex_);
    stopping_ = false;
  }
  worker_ = std::thread([this, interval, on_pass = std::move(on_pass)] {
    std::unique_lock lock(wake_mutex_);
    while (!wake_.wait_for(lock, interval, [this] { return stopping_; })) {
      lock.unlock();
      auto report = run_pass();
      if (on_pass) on_pass(report);
      lock.lock();
    }
  });
}

void RetentionService::stop() {
  {
    std::lock_guard lock(wake_mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
}

}  // namespace citytwin::core
