#include "citytwin/model/mutation/entity_types.hpp"

#include <set>
#include <string>

#include "citytwin/model/entity_form.hpp"

namespace citytwin::mutation {

namespace json = boost::json;
namespace form = model::form;

namespace {

Status collect_types(const json::value& types, std::set<std::string>& into) {
  if (const json::string* single = types.if_string()) {
    into.emplace(*single);
    return ok_status();
  }
  const json::array* list = types.if_array();
  if (list == nullptr) {
    return make_error(ErrorKind::kBadRequestData, "entity type must be a string or an array");
  }
  for (const json::value& type : *list) {
    if (!type.is_string()) {
      return make_error(ErrorKind::kBadRequestData, "entity type must be a string");
    }
    into.emplace(type.get_string());
  }
  return ok_status();
}

}  // namespace

Result<bool> add_entity_types(json::object& entity, const json::value& types) {
  std::set<std::string> merged;
  if (const json::value* current = entity.if_contains(form::kType)) {
    CT_RETURN_IF_ERROR(collect_types(*current, merged));
  }
  const std::size_t before = merged.size();
  CT_RETURN_IF_ERROR(collect_types(types, merged));
  if (merged.size() == before) return false;
  json::array sorted;  // std::set iterates in sorted order: the form keeps types sorted, unique
  for (const std::string& type : merged) sorted.emplace_back(type);
  entity[form::kType] = std::move(sorted);
  return true;
}

}  // namespace citytwin::mutation
