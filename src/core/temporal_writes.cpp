// The temporal API's writes (GS CIM 009 clauses 5.6.11-5.6.16): they add to, edit and remove
// from the recorded history of entities without touching their current state.
#include <boost/json.hpp>
#include <charconv>
#include <map>
#include <utility>

#include "citytwin/common/date_time_buffer.hpp"
#include "citytwin/common/instant.hpp"
#include "citytwin/core/temporal_service.hpp"
#include "citytwin/model/entity_form.hpp"
#include "history_capture.hpp"

namespace citytwin::core {
namespace {

namespace form = model::form;
namespace json = boost::json;

constexpr std::string_view kInstancePrefix = "urn:ngsi-ld:Instance:";

struct SampleKey {
  std::int64_t modified_at = 0;
  std::uint64_t sequence = 0;
};

std::optional<SampleKey> parse_instance_id(std::string_view text) {
  if (!text.starts_with(kInstancePrefix)) return std::nullopt;
  text.remove_prefix(kInstancePrefix.size());
  auto dash = text.find('-', 1);  // a modifiedAt before 1970 starts with '-'
  if (dash == std::string_view::npos) return std::nullopt;
  SampleKey key;
  auto first = std::from_chars(text.data(), text.data() + dash, key.modified_at);
  auto second = std::from_chars(text.data() + dash + 1, text.data() + text.size(), key.sequence);
  if (first.ec != std::errc() || first.ptr != text.data() + dash || second.ec != std::errc() ||
      second.ptr != text.data() + text.size() || key.sequence == 0) {
    return std::nullopt;
  }
  return key;
}

std::string dataset_of(const json::object& instance) {
  const auto* dataset = instance.if_contains(form::kDatasetId);
  return dataset != nullptr && dataset->is_string() ? std::string(dataset->get_string()) : "";
}

std::optional<std::int64_t> observed_at(const json::object& instance) {
  const auto* observed = instance.if_contains(form::kObservedAt);
  if (observed == nullptr || !observed->is_string()) return std::nullopt;
  auto instant = parse_date_time(observed->get_string());
  if (!instant) return std::nullopt;
  return instant->micros;
}

// Where append_stamps() wrote the two members' values (the quoted stamps) in the text.
struct StampSpans {
  TextSpan created_at;
  TextSpan modified_at;
};

// Appends createdAt = modifiedAt = `stamp` as the last members of the serialized object
// `text` (which has neither).
StampSpans append_stamps(std::string& text, std::string_view stamp) {
  auto here = [&] { return static_cast<std::uint32_t>(text.size()); };
  StampSpans spans;
  text.pop_back();  // the closing brace
  if (text.size() > 1) text += ',';
  text += "\"";
  text += form::kCreatedAt;
  text += "\":";
  spans.created_at.begin = here();
  text += '"';
  text += stamp;
  text += '"';
  spans.created_at.end = here();
  text += ",\"";
  text += form::kModifiedAt;
  text += "\":";
  spans.modified_at.begin = here();
  text += '"';
  text += stamp;
  text += '"';
  spans.modified_at.end = here();
  text += '}';
  return spans;
}

// The stored text of `instance` stamped with createdAt = modifiedAt = `stamp`. An instance
// without those members (an import's usual case) gets them appended to its text, the same
// bytes as inserting them and serializing, without growing the object (that was an eighth of
// the CPU of a bulk history load); otherwise it is stamped in place (it is not needed
// afterwards: copying each instance cost a tenth).
std::string stamped_text(json::object& instance, const std::string& stamp) {
  instance.erase("instanceId");
  if (instance.contains(form::kCreatedAt) || instance.contains(form::kModifiedAt)) {
    instance[form::kCreatedAt] = stamp;
    instance[form::kModifiedAt] = stamp;
    return json::serialize(instance);
  }
  std::string text = json::serialize(instance);
  append_stamps(text, stamp);
  return text;
}

store::HistorySample sample_of(std::string_view attribute, json::object& instance,
                               std::string dataset_id, std::int64_t modified_at) {
  store::HistorySample sample;
  sample.attribute = std::string(attribute);
  sample.dataset_id = std::move(dataset_id);
  sample.modified_at = modified_at;
  sample.observed_at = observed_at(instance);
  sample.instance = stamped_text(instance, format_date_time(Instant{modified_at}));
  return sample;
}

// One sample per instance; instances of one attribute instance (attribute and datasetId)
// get successive microseconds so that no two share a key. The instances are stamped in place.
Result<std::vector<store::HistorySample>> samples_of(json::object& attrs, Instant now) {
  std::vector<store::HistorySample> samples;
  std::map<std::pair<std::string, std::string>, std::int64_t> next_instant;
  for (auto& [attribute, instances] : attrs) {
    if (!instances.is_array()) {
      return make_error(ErrorKind::kInternalError, "temporal attributes must be instance lists");
    }
    samples.reserve(samples.size() + instances.get_array().size());
    // Most lists are of one instance (datasetId): its next instant is kept at hand.
    std::string last_dataset;
    std::int64_t* last_slot = nullptr;
    for (auto& instance : instances.get_array()) {
      json::object& object = instance.as_object();
      std::string dataset = dataset_of(object);
      if (last_slot == nullptr || dataset != last_dataset) {
        last_slot = &next_instant.emplace(std::pair{std::string(attribute), dataset}, now.micros)
                         .first->second;
        last_dataset = dataset;
      }
      samples.push_back(sample_of(attribute, object, std::move(dataset), (*last_slot)++));
    }
  }
  return samples;
}

// The same for instances already serialized (model::TemporalInstanceParser), moved out of
// `attrs`.
std::vector<store::HistorySample> samples_of(std::vector<model::TemporalAttribute>& attrs,
                                             Instant now) {
  std::vector<store::HistorySample> samples;
  std::size_t total = 0;
  for (const auto& attribute : attrs) total += attribute.instances.size();
  samples.reserve(total);
  std::map<std::pair<std::string, std::string>, std::int64_t> next_instant;
  DateTimeFormatter stamp;  // successive instants: mostly only the fraction changes
  for (auto& attribute : attrs) {
    std::string last_dataset;
    std::int64_t* last_slot = nullptr;
    for (auto& instance : attribute.instances) {
      if (last_slot == nullptr || instance.dataset_id != last_dataset) {
        last_slot =
            &next_instant.emplace(std::pair{attribute.name, instance.dataset_id}, now.micros)
                 .first->second;
        last_dataset = instance.dataset_id;
      }
      store::HistorySample& sample = samples.emplace_back();
      sample.attribute = attribute.name;
      sample.dataset_id = std::move(instance.dataset_id);
      sample.modified_at = (*last_slot)++;
      sample.observed_at = instance.observed_at;
      sample.instance = std::move(instance.text);
      StampSpans stamps = append_stamps(sample.instance, stamp.format(Instant{sample.modified_at}));
      if (instance.layout.size != 0) {  // what the chunk encoder would otherwise search for
        sample.layout = instance.layout;
        sample.layout.created_at = stamps.created_at;
        sample.layout.modified_at = stamps.modified_at;
        sample.layout.size = static_cast<std::uint32_t>(sample.instance.size());
      }
    }
  }
  return samples;
}

}  // namespace

std::string instance_id_of(const store::HistorySample& sample) {
  return std::string(kInstancePrefix) + std::to_string(sample.modified_at) + "-" +
         std::to_string(sample.sequence);
}

Status TemporalService::write(std::string_view tenant, store::Change change,
                              std::span<const store::HistorySample> replaced) {
  if (rollups_ != nullptr) rollups_->mark(tenant, change, replaced);
  std::vector<store::Change> changes;
  changes.push_back(std::move(change));
  return store_.apply(tenant, changes);
}

Result<bool> TemporalService::add_history(std::string_view tenant, json::object entity) {
  std::string id(entity.at(form::kId).as_string());
  auto known = types_of(tenant, id);
  if (!known) return std::move(known).error();
  Instant now = clock_.now();
  auto samples = samples_of(entity.at(form::kAttrs).as_object(), now);  // stamps them
  if (!samples) return std::move(samples).error();
  return record_history(tenant, id, *known, entity.at(form::kType), std::move(*samples), now);
}

Result<bool> TemporalService::add_history(std::string_view tenant, const json::object& entity,
                                          std::vector<model::TemporalAttribute> attrs) {
  std::string id(entity.at(form::kId).as_string());
  auto known = types_of(tenant, id);
  if (!known) return std::move(known).error();
  Instant now = clock_.now();
  return record_history(tenant, id, *known, entity.at(form::kType), samples_of(attrs, now), now);
}

Result<bool> TemporalService::record_history(std::string_view tenant, const std::string& id,
                                             const std::optional<json::value>& known,
                                             const json::value& types,
                                             std::vector<store::HistorySample> samples,
                                             Instant now) {
  store::Change change = store::Change::history_only(id);
  change.history = std::move(samples);
  if (!known || *known != types) {
    store::HistorySample type_sample;
    type_sample.attribute = std::string(kTypeHistory);
    type_sample.modified_at = now.micros;
    type_sample.instance = json::serialize(types);
    change.history.push_back(std::move(type_sample));
    change.history_types = recorded_types(change.history);
  }
  CT_RETURN_IF_ERROR(write(tenant, std::move(change)));
  return !known;
}

Status TemporalService::append_history(std::string_view tenant, std::string_view id,
                                       json::object attrs) {
  auto known = types_of(tenant, id);
  if (!known) return std::move(known).error();
  if (!*known) return make_error(ErrorKind::kResourceNotFound, std::string(id) + " not found");
  auto samples = samples_of(attrs, clock_.now());
  if (!samples) return std::move(samples).error();
  store::Change change = store::Change::history_only(std::string(id));
  change.history = std::move(*samples);
  return write(tenant, std::move(change));
}

Status TemporalService::append_history(std::string_view tenant, std::string_view id,
                                       std::vector<model::TemporalAttribute> attrs) {
  auto known = types_of(tenant, id);
  if (!known) return std::move(known).error();
  if (!*known) return make_error(ErrorKind::kResourceNotFound, std::string(id) + " not found");
  store::Change change = store::Change::history_only(std::string(id));
  change.history = samples_of(attrs, clock_.now());
  return write(tenant, std::move(change));
}

Status TemporalService::delete_history(std::string_view tenant, std::string_view id) {
  auto any = store_.history(tenant, id, "", {}, 1);
  if (!any) return std::move(any).error();
  if (any->empty())
    return make_error(ErrorKind::kResourceNotFound, std::string(id) + " has no history");
  auto type_samples = store_.history(tenant, id, kTypeHistory, {}, query_limit_);
  if (!type_samples) return std::move(type_samples).error();
  store::Change change = store::Change::history_only(std::string(id));
  change.erase_history.push_back(store::HistoryErase{});
  change.erase_history_types = recorded_types(*type_samples);
  return write(tenant, std::move(change));
}

Status TemporalService::delete_attribute_history(std::string_view tenant, std::string_view id,
                                                 std::string_view attribute,
                                                 const std::optional<std::string>& dataset_id,
                                                 bool all) {
  auto samples = store_.history(tenant, id, attribute, {}, query_limit_);
  if (!samples) return std::move(samples).error();
  std::string dataset = dataset_id.value_or("");
  bool found = false;
  for (const auto& sample : *samples) found = found || all || sample.dataset_id == dataset;
  if (!found) {
    return make_error(ErrorKind::kResourceNotFound,
                      std::string(id) + " has no history of " + std::string(attribute));
  }
  store::Change change = store::Change::history_only(std::string(id));
  store::HistoryErase erase;
  erase.attribute = std::string(attribute);
  if (!all) erase.dataset_id = dataset;
  change.erase_history.push_back(std::move(erase));
  return write(tenant, std::move(change));
}

Result<store::HistorySample> TemporalService::find_instance(std::string_view tenant,
                                                            std::string_view id,
                                                            std::string_view attribute,
                                                            std::string_view instance_id) const {
  auto key = parse_instance_id(instance_id);
  if (!key) {
    return make_error(ErrorKind::kBadRequestData,
                      "'" + std::string(instance_id) + "' is not an instanceId of this broker");
  }
  store::HistoryRange range{key->modified_at, key->modified_at + 1};
  auto samples = store_.history(tenant, id, attribute, range, query_limit_);
  if (!samples) return std::move(samples).error();
  for (auto& sample : *samples) {
    if (sample.sequence == key->sequence) return std::move(sample);
  }
  return make_error(ErrorKind::kResourceNotFound, "instance " + std::string(instance_id) + " of " +
                                                      std::string(attribute) + " not found");
}

Status TemporalService::modify_instance(std::string_view tenant, std::string_view id,
                                        std::string_view attribute, std::string_view instance_id,
                                        const json::object& instance) {
  auto found = find_instance(tenant, id, attribute, instance_id);
  if (!found) return std::move(found).error();
  json::object replacement = instance;
  if (found->dataset_id.empty()) {
    replacement.erase(form::kDatasetId);
  } else {
    replacement[form::kDatasetId] = found->dataset_id;
  }
  store::HistorySample sample =
      sample_of(attribute, replacement, found->dataset_id, found->modified_at);
  sample.sequence = found->sequence;  // overwrite this very sample
  store::Change change = store::Change::history_only(std::string(id));
  change.history.push_back(std::move(sample));
  return write(tenant, std::move(change), std::span(&*found, 1));
}

Status TemporalService::delete_instance(std::string_view tenant, std::string_view id,
                                        std::string_view attribute, std::string_view instance_id) {
  auto found = find_instance(tenant, id, attribute, instance_id);
  if (!found) return std::move(found).error();
  store::Change change = store::Change::history_only(std::string(id));
  store::HistoryErase erase;
  erase.attribute = std::string(attribute);
  erase.dataset_id = found->dataset_id;
  erase.sample = store::HistoryErase::Sample{found->modified_at, found->sequence};
  change.erase_history.push_back(std::move(erase));
  return write(tenant, std::move(change), std::span(&*found, 1));
}

}  // namespace citytwin::core
