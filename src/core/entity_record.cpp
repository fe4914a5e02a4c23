#include "citytwin/core/entity_record.hpp"

#include <boost/json.hpp>

#include "citytwin/common/json_text.hpp"
#include "citytwin/core/value_key.hpp"
#include "citytwin/model/entity_form.hpp"
#include "citytwin/model/geo/bounding_box.hpp"

namespace citytwin::core {
namespace form = model::form;

namespace {

void add_geo_entries(const std::string& name, const boost::json::array& instances,
                     std::vector<store::GeoEntry>& out) {
  for (const auto& instance : instances) {
    const auto* object = instance.if_object();
    if (object == nullptr) continue;
    const auto* type = object->if_contains(form::kType);
    const auto* value = object->if_contains(form::kValue);
    if (type == nullptr || value == nullptr || !type->is_string() ||
        type->as_string() != form::kGeoProperty) {
      continue;
    }
    if (auto box = geo::bounding_box(*value)) {
      out.push_back(
          store::GeoEntry{name, store::Box{box->min_x, box->min_y, box->max_x, box->max_y}});
    }
  }
}

}  // namespace

store::EntityRecord make_record(const boost::json::object& entity) {
  store::EntityRecord record;
  if (const auto* id = entity.if_contains(form::kId); id && id->is_string()) {
    record.id = std::string(id->as_string());
  }
  if (const auto* types = entity.if_contains(form::kType); types && types->is_array()) {
    for (const auto& type : types->as_array()) {
      if (type.is_string()) record.types.emplace_back(type.as_string());
    }
  }
  if (const auto* attrs = entity.if_contains(form::kAttrs); attrs && attrs->is_object()) {
    for (const auto& [name, instances] : attrs->as_object()) {
      record.attributes.emplace_back(name);
      if (instances.is_array())
        add_geo_entries(std::string(name), instances.as_array(), record.geo);
    }
  }
  record.values = value_entries(entity);
  record.document = to_json_text(entity);
  return record;
}

}  // namespace citytwin::core
