#include "citytwin/core/read_restriction.hpp"

#include "citytwin/model/entity_form.hpp"

namespace citytwin::core {
namespace form = model::form;

bool ReadRestriction::admits_type(std::string_view type) const {
  return !types || types->contains(type);
}

bool ReadRestriction::admits_types(const boost::json::value& entity_types) const {
  if (!types) return true;
  const auto* list = entity_types.if_array();
  if (list == nullptr) return false;
  for (const auto& type : *list) {
    if (type.is_string() && types->contains(std::string_view(type.get_string()))) return true;
  }
  return false;
}

bool ReadRestriction::admits(const boost::json::object& entity) const {
  if (!types) return true;
  const auto* entity_types = entity.if_contains(form::kType);
  return entity_types != nullptr && admits_types(*entity_types);
}

NameSet ReadRestriction::hidden_for(const boost::json::value& entity_types) const {
  NameSet out;
  const auto* list = entity_types.if_array();
  if (hidden.empty() || list == nullptr) return out;
  for (const auto& type : *list) {
    if (!type.is_string()) continue;
    auto found = hidden.find(std::string_view(type.get_string()));
    if (found != hidden.end()) out.insert(found->second.begin(), found->second.end());
  }
  return out;
}

void ReadRestriction::redact_attrs(const boost::json::value& entity_types,
                                   boost::json::object& attrs) const {
  for (const auto& attribute : hidden_for(entity_types)) attrs.erase(attribute);
}

void ReadRestriction::redact(boost::json::object& entity) const {
  const auto* entity_types = entity.if_contains(form::kType);
  auto* attrs = entity.if_contains(form::kAttrs);
  if (entity_types == nullptr || attrs == nullptr || !attrs->is_object()) return;
  redact_attrs(*entity_types, attrs->as_object());
}

}  // namespace citytwin::core
