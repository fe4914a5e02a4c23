#include "history_capture.hpp"

#include <algorithm>

#include <map>
#include <string>
#include <utility>

#include "citytwin/common/json_equal.hpp"
#include "citytwin/common/json_parse.hpp"
#include "citytwin/model/entity_form.hpp"

namespace citytwin::core {
namespace {

namespace form = model::form;
using InstanceKey = std::pair<std::string_view, std::string_view>;  // attribute, datasetId
using Instances = std::map<InstanceKey, const boost::json::object*>;

std::string_view string_member(const boost::json::object& object, std::string_view name) {
  const auto* member = object.if_contains(name);
  return member != nullptr && member->is_string() ? std::string_view(member->as_string())
                                                  : std::string_view();
}

std::optional<std::int64_t> instant_member(const boost::json::object& object,
                                           std::string_view name) {
  std::string_view text = string_member(object, name);
  if (text.empty()) return std::nullopt;
  auto instant = parse_date_time(text);
  if (!instant) return std::nullopt;
  return instant->micros;
}

const boost::json::object* attrs_of(const boost::json::object* entity) {
  if (entity == nullptr) return nullptr;
  const auto* attrs = entity->if_contains(form::kAttrs);
  return attrs != nullptr && attrs->is_object() ? &attrs->as_object() : nullptr;
}

// The attributes with the same instances before and after, sorted: such an attribute yields
// no sample (each instance key finds the identical instance on the other side), so neither
// side indexes it. Most attributes of an updated entity are unchanged, and indexing them
// cost a tree node per instance on each side.
std::vector<std::string_view> unchanged_attributes(const boost::json::object* old_attrs,
                                                   const boost::json::object* new_attrs) {
  std::vector<std::string_view> names;
  if (old_attrs == nullptr || new_attrs == nullptr) return names;
  for (const auto& [name, list] : *new_attrs) {
    if (!list.is_array()) continue;
    const auto* old = old_attrs->if_contains(name);
    if (old != nullptr && json_equal(*old, list)) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

Instances instances_of(const boost::json::object* attrs,
                       const std::vector<std::string_view>& skipped) {
  Instances instances;
  if (attrs == nullptr) return instances;
  for (const auto& [name, list] : *attrs) {
    if (!list.is_array()) continue;
    if (std::binary_search(skipped.begin(), skipped.end(), std::string_view(name))) continue;
    for (const auto& instance : list.as_array()) {
      if (!instance.is_object()) continue;
      const auto& object = instance.as_object();
      instances.emplace(InstanceKey{name, string_member(object, form::kDatasetId)}, &object);
    }
  }
  return instances;
}

store::HistorySample sample_of(const InstanceKey& key, const boost::json::object& instance,
                               Instant now) {
  store::HistorySample sample;
  sample.attribute = std::string(key.first);
  sample.dataset_id = std::string(key.second);
  sample.modified_at = instant_member(instance, form::kModifiedAt).value_or(now.micros);
  sample.observed_at = instant_member(instance, form::kObservedAt);
  sample.instance = boost::json::serialize(instance);
  return sample;
}

store::HistorySample deletion_of(const InstanceKey& key, Instant now) {
  store::HistorySample sample;
  sample.attribute = std::string(key.first);
  sample.dataset_id = std::string(key.second);
  sample.modified_at = now.micros;
  sample.deleted = true;
  return sample;
}

const boost::json::value* types_of(const boost::json::object* entity) {
  return entity == nullptr ? nullptr : entity->if_contains(form::kType);
}

void add_type_history(const boost::json::object* before, const boost::json::object* after,
                      Instant now, std::vector<store::HistorySample>& samples) {
  const boost::json::value* old_types = types_of(before);
  const boost::json::value* new_types = types_of(after);
  if (new_types == nullptr && old_types == nullptr) return;
  if (new_types != nullptr && old_types != nullptr && json_equal(*new_types, *old_types)) return;
  store::HistorySample sample;
  sample.attribute = std::string(kTypeHistory);
  sample.modified_at = now.micros;
  if (new_types == nullptr) {
    sample.deleted = true;
  } else {
    sample.modified_at = instant_member(*after, form::kModifiedAt).value_or(now.micros);
    sample.instance = boost::json::serialize(*new_types);
  }
  samples.push_back(std::move(sample));
}

}  // namespace

std::vector<store::HistorySample> history_between(const boost::json::object* before,
                                                  const boost::json::object* after, Instant now) {
  const boost::json::object* old_attrs = attrs_of(before);
  const boost::json::object* new_attrs = attrs_of(after);
  std::vector<std::string_view> same = unchanged_attributes(old_attrs, new_attrs);
  Instances old_instances = instances_of(old_attrs, same);
  Instances new_instances = instances_of(new_attrs, same);
  std::vector<store::HistorySample> samples;
  add_type_history(before, after, now, samples);
  for (const auto& [key, instance] : new_instances) {
    auto old = old_instances.find(key);
    if (old != old_instances.end() && json_equal(*old->second, *instance)) continue;
    samples.push_back(sample_of(key, *instance, now));
  }
  for (const auto& [key, instance] : old_instances) {
    if (!new_instances.contains(key)) samples.push_back(deletion_of(key, now));
  }
  return samples;
}

std::vector<std::string> recorded_types(const std::vector<store::HistorySample>& samples) {
  std::vector<std::string> types;
  for (const auto& sample : samples) {
    if (sample.attribute != kTypeHistory || sample.deleted) continue;
    boost::system::error_code ec;
    auto parsed = citytwin::parse_json(sample.instance, ec);
    if (ec || !parsed.is_array()) continue;
    for (const auto& type : parsed.as_array()) {
      if (type.is_string()) types.emplace_back(type.as_string());
    }
  }
  std::sort(types.begin(), types.end());
  types.erase(std::unique(types.begin(), types.end()), types.end());
  return types;
}

void record_history(store::Change& change, const boost::json::object* before,
                    const boost::json::object* after, Instant now) {
  change.history = history_between(before, after, now);
  change.history_types = recorded_types(change.history);
}

}  // namespace citytwin::core
