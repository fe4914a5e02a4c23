#include "device_state.hpp"

#include "citytwin/model/entity_form.hpp"

namespace citytwin::ingest {
namespace {

namespace form = model::form;

// The value of the attribute's default instance (no datasetId), or null.
const boost::json::value* value_of(const boost::json::object& stored, const std::string& name) {
  const auto* attrs = stored.if_contains(form::kAttrs);
  if (attrs == nullptr || !attrs->is_object()) return nullptr;
  const auto* instances = attrs->as_object().if_contains(name);
  if (instances == nullptr || !instances->is_array()) return nullptr;
  for (const auto& instance : instances->as_array()) {
    const auto* object = instance.if_object();
    if (object == nullptr || object->contains(form::kDatasetId)) continue;
    return object->if_contains(form::kValue);
  }
  return nullptr;
}

}  // namespace

DeviceReport device_report(const boost::json::object& stored, const jsonld::TermMapper& terms) {
  DeviceReport report;
  if (const auto* date = value_of(stored, terms.expand("dateLastValueReported"))) {
    // A DateTime value: {"@type": "DateTime", "@value": "..."}.
    const auto* object = date->if_object();
    const auto* text = object != nullptr && object->contains("@value")
                           ? object->at("@value").if_string()
                           : date->if_string();
    if (text != nullptr) report.last_reported = parse_date_time(*text);
  }
  if (const auto* state = value_of(stored, terms.expand("deviceState"))) {
    if (state->is_string()) report.state = std::string(state->as_string());
  }
  return report;
}

}  // namespace citytwin::ingest
