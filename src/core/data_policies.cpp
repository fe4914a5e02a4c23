#include "citytwin/core/data_policies.hpp"
#include "citytwin/common/json_parse.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <set>

namespace citytwin::core {
namespace {

namespace json = boost::json;

constexpr std::string_view kOpenDataNamespace = "policy.open_data";
constexpr std::string_view kPersonalDataNamespace = "policy.personal_data";
// Tenants whose views are cached at once; any valid tenant name can be asked for by an
// anonymous request, so the cache is emptied when full rather than growing without bound.
constexpr std::size_t kMaxCachedTenants = 10000;

Error unreadable(std::string_view what) {
  return make_error(ErrorKind::kInternalError, "stored " + std::string(what) + " is unreadable");
}

json::array to_array(const NameSet& names) {
  json::array out;
  for (const auto& name : names) out.emplace_back(name);
  return out;
}

std::optional<NameSet> strings_of(const json::value* value) {
  if (value == nullptr || !value->is_array()) return std::nullopt;
  NameSet out;
  for (const auto& item : value->get_array()) {
    if (!item.is_string()) return std::nullopt;
    out.emplace(item.get_string());
  }
  return out;
}

std::string encode_rules(const std::vector<PersonalDataRule>& rules) {
  json::array out;
  for (const auto& rule : rules) {
    json::object entry{{"type", rule.type}, {"attributes", to_array(rule.attributes)}};
    if (!rule.retention.empty()) entry["retention"] = rule.retention;
    out.push_back(std::move(entry));
  }
  return json::serialize(json::object{{"rules", std::move(out)}});
}

Result<std::vector<PersonalDataRule>> decode_rules(std::string_view text) {
  boost::system::error_code ec;
  auto parsed = citytwin::parse_json(text, ec);
  const json::array* rules = nullptr;
  if (!ec && parsed.is_object()) {
    if (const auto* found = parsed.as_object().if_contains("rules")) rules = found->if_array();
  }
  if (rules == nullptr) return unreadable("personal-data policy");
  std::vector<PersonalDataRule> out;
  for (const auto& item : *rules) {
    const auto* entry = item.if_object();
    const json::value* type = entry ? entry->if_contains("type") : nullptr;
    const json::value* retention = entry ? entry->if_contains("retention") : nullptr;
    auto attributes = strings_of(entry ? entry->if_contains("attributes") : nullptr);
    if (type == nullptr || !type->is_string() || !attributes ||
        (retention != nullptr && !retention->is_string())) {
      return unreadable("personal-data policy");
    }
    auto rule =
        make_personal_data_rule(std::string(type->get_string()), std::move(*attributes),
                                retention ? std::string(retention->get_string()) : std::string());
    if (!rule) return unreadable("personal-data policy");
    out.push_back(std::move(*rule));
  }
  return out;
}

}  // namespace

Result<PersonalDataRule> make_personal_data_rule(std::string type, NameSet attributes,
                                                 std::string retention) {
  if (type.empty()) {
    return make_error(ErrorKind::kBadRequestData, "a personal-data rule needs a type");
  }
  if (attributes.empty() ||
      std::any_of(attributes.begin(), attributes.end(), [](const auto& a) { return a.empty(); })) {
    return make_error(ErrorKind::kBadRequestData,
                      "a personal-data rule needs at least one attribute name");
  }
  PersonalDataRule rule{std::move(type), std::move(attributes), std::move(retention), {}};
  if (!rule.retention.empty()) {
    auto period = series::parse_period_duration(rule.retention);
    if (!period || period->is_zero()) {
      return make_error(ErrorKind::kBadRequestData,
                        "invalid personal-data retention '" + rule.retention +
                            "': a non-zero ISO 8601 duration such as P30D or PT12H is expected");
    }
    rule.retention_period = *period;
  }
  return rule;
}

Result<std::vector<std::string>> DataPolicies::open_types(std::string_view tenant) const {
  auto stored = store_.get_document(kOpenDataNamespace, tenant);
  if (!stored) return std::move(stored).error();
  if (!*stored) return std::vector<std::string>{};
  boost::system::error_code ec;
  auto parsed = citytwin::parse_json(**stored, ec);
  auto types =
      strings_of(!ec && parsed.is_object() ? parsed.as_object().if_contains("types") : nullptr);
  if (!types) return unreadable("open-data policy");
  return std::vector<std::string>(types->begin(), types->end());
}

Status DataPolicies::set_open_types(std::string_view tenant,
                                    const std::vector<std::string>& types) {
  NameSet unique(types.begin(), types.end());
  if (unique.contains("")) {
    return make_error(ErrorKind::kBadRequestData, "an open-data type must not be empty");
  }
  Status status = unique.empty() ? store_.delete_document(kOpenDataNamespace, tenant)
                                 : store_.put_document(
                                       kOpenDataNamespace, tenant,
                                       json::serialize(json::object{{"types", to_array(unique)}}));
  forget(tenant);
  return status;
}

Result<std::vector<PersonalDataRule>> DataPolicies::personal_data(std::string_view tenant) const {
  auto stored = store_.get_document(kPersonalDataNamespace, tenant);
  if (!stored) return std::move(stored).error();
  if (!*stored) return std::vector<PersonalDataRule>{};
  return decode_rules(**stored);
}

Status DataPolicies::set_personal_data(std::string_view tenant,
                                       const std::vector<PersonalDataRule>& rules) {
  std::set<std::string_view> types;
  for (const auto& rule : rules) {
    if (!types.insert(rule.type).second) {
      return make_error(ErrorKind::kBadRequestData,
                        "more than one personal-data rule for type " + rule.type);
    }
  }
  Status status = rules.empty()
                      ? store_.delete_document(kPersonalDataNamespace, tenant)
                      : store_.put_document(kPersonalDataNamespace, tenant, encode_rules(rules));
  forget(tenant);
  return status;
}

Result<std::vector<std::pair<std::string, std::vector<PersonalDataRule>>>>
DataPolicies::all_personal_data() const {
  auto stored = store_.list_documents(kPersonalDataNamespace);
  if (!stored) return std::move(stored).error();
  std::vector<std::pair<std::string, std::vector<PersonalDataRule>>> out;
  for (const auto& [tenant, text] : *stored) {
    auto rules = decode_rules(text);
    if (!rules) return std::move(rules).error();
    out.emplace_back(tenant, std::move(*rules));
  }
  return out;
}

Result<std::shared_ptr<const ReadRestriction>> DataPolicies::open_data_view(
    std::string_view tenant) const {
  auto found = views(tenant);
  if (!found) return std::move(found).error();
  return found->open_data;
}

Result<std::shared_ptr<const ReadRestriction>> DataPolicies::export_view(
    std::string_view tenant) const {
  auto found = views(tenant);
  if (!found) return std::move(found).error();
  return found->exports;
}

Result<DataPolicies::Views> DataPolicies::views(std::string_view tenant) const {
  std::uint64_t generation = 0;
  {
    std::lock_guard lock(mutex_);
    if (auto found = cache_.find(tenant); found != cache_.end()) return found->second;
    generation = generation_;
  }
  auto types = open_types(tenant);
  if (!types) return std::move(types).error();
  auto rules = personal_data(tenant);
  if (!rules) return std::move(rules).error();
  ReadRestriction exports;
  for (const auto& rule : *rules) exports.hidden[rule.type] = rule.attributes;
  Views built;
  if (!exports.hidden.empty()) built.exports = std::make_shared<ReadRestriction>(exports);
  if (!types->empty()) {
    auto open = std::make_shared<ReadRestriction>(std::move(exports));
    open->types = NameSet(types->begin(), types->end());
    built.open_data = std::move(open);
  }
  std::lock_guard lock(mutex_);
  // A change made while the store was read must not be hidden by what was read before it.
  if (generation != generation_) return built;
  if (cache_.size() >= kMaxCachedTenants) cache_.clear();
  cache_.insert_or_assign(std::string(tenant), built);
  return built;
}

void DataPolicies::forget(std::string_view tenant) {
  std::lock_guard lock(mutex_);
  ++generation_;
  if (auto found = cache_.find(tenant); found != cache_.end()) cache_.erase(found);
}

}  // namespace citytwin::core
