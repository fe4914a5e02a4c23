#include "entity_access.hpp"

#include <algorithm>

#include "citytwin/model/entity_form.hpp"

namespace citytwin::mutation::detail {

namespace json = boost::json;
namespace form = model::form;

Status check_stored_entity(const json::object& entity) {
  const json::value* attrs = entity.if_contains(form::kAttrs);
  if (attrs == nullptr) return ok_status();
  if (!attrs->is_object()) {
    return make_error(ErrorKind::kInternalError, "stored entity: attrs is not an object");
  }
  for (const auto& attribute : attrs->get_object()) {
    if (!attribute.value().is_array()) {
      return make_error(ErrorKind::kInternalError, "stored entity: attribute '" +
                                                       std::string(attribute.key()) +
                                                       "' is not an array of instances");
    }
  }
  return ok_status();
}

json::object& attrs_of(json::object& entity) {
  json::value& attrs = entity[form::kAttrs];
  if (!attrs.is_object()) attrs.emplace_object();  // only when missing: see check_stored_entity
  return attrs.get_object();
}

json::array* find_attribute(json::object& entity, std::string_view name) {
  json::value* instances = attrs_of(entity).if_contains(name);
  return instances != nullptr ? instances->if_array() : nullptr;
}

void erase_instance(json::object& entity, std::string_view name, std::size_t index) {
  json::array* instances = find_attribute(entity, name);
  if (instances == nullptr || index >= instances->size()) return;
  instances->erase(instances->begin() + static_cast<std::ptrdiff_t>(index));
  if (instances->empty()) attrs_of(entity).erase(name);
}

void note_name(std::vector<std::string>& names, std::string_view name) {
  if (std::find(names.begin(), names.end(), name) == names.end()) names.emplace_back(name);
}

}  // namespace citytwin::mutation::detail
