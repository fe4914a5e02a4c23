#include "citytwin/model/mutation/ngsild_null.hpp"

#include "citytwin/model/entity_form.hpp"
#include "citytwin/model/mutation/instances.hpp"

namespace citytwin::mutation {

namespace json = boost::json;
namespace form = model::form;

namespace {

bool is_null_string(const json::value& value) {
  const json::string* text = value.if_string();
  return text != nullptr && *text == kNgsiLdNull;
}

}  // namespace

bool is_ngsild_null(const json::value& value) {
  if (is_null_string(value)) return true;
  if (const json::array* list = value.if_array()) {
    return list->size() == 1 && is_null_string(list->front());
  }
  if (const json::object* map = value.if_object()) {
    const json::value* none = map->if_contains("@none");
    return map->size() == 1 && none != nullptr && is_null_string(*none);
  }
  return false;
}

bool is_null_instance(const json::object& instance) {
  for (const auto& member : instance) {
    if (is_value_member(member.key()) && is_ngsild_null(member.value())) return true;
  }
  return false;
}

bool contains_ngsild_null(const json::object& instance) {
  if (is_null_instance(instance)) return true;
  for (std::string_view key : {form::kObservedAt, form::kUnitCode, form::kObjectType}) {
    const json::value* member = instance.if_contains(key);
    if (member != nullptr && is_ngsild_null(*member)) return true;
  }
  const json::value* sub = instance.if_contains(form::kSub);
  if (sub == nullptr || !sub->is_object()) return false;
  for (const auto& entry : sub->get_object()) {
    const json::object* sub_instance = entry.value().if_object();
    if (sub_instance != nullptr && contains_ngsild_null(*sub_instance)) return true;
  }
  return false;
}

}  // namespace citytwin::mutation
