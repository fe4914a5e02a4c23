#include "citytwin/model/mutation/delete_attribute.hpp"

#include "citytwin/model/entity_form.hpp"
#include "citytwin/model/mutation/instances.hpp"
#include "citytwin/model/mutation/timestamps.hpp"
#include "entity_access.hpp"

namespace citytwin::mutation {

namespace json = boost::json;
namespace form = model::form;

namespace {

Error not_found(std::string_view what) {
  return make_error(ErrorKind::kResourceNotFound, std::string(what));
}

}  // namespace

Status delete_attribute(json::object& entity, std::string_view name,
                        const std::optional<std::string>& dataset_id, bool delete_all,
                        Instant now) {
  CT_RETURN_IF_ERROR(detail::check_stored_entity(entity));
  // Clause 5.6.5.4: "If the target Attribute is scope, remove the scope Attribute".
  if (name == kScopeIri) {
    if (entity.erase(form::kScope) == 0) return not_found("the entity has no scope");
    touch_entity(entity, now);
    return ok_status();
  }
  json::array* instances = detail::find_attribute(entity, name);
  if (instances == nullptr) {
    return not_found("attribute '" + std::string(name) + "' does not exist");
  }
  if (delete_all) {
    detail::attrs_of(entity).erase(name);
  } else {
    const std::optional<std::string_view> target =
        dataset_id ? std::optional<std::string_view>(*dataset_id) : std::nullopt;
    const std::optional<std::size_t> index = find_instance(*instances, target);
    if (!index) {
      return not_found("attribute '" + std::string(name) + "' has no " + describe_instance(target));
    }
    detail::erase_instance(entity, name, *index);
  }
  touch_entity(entity, now);
  return ok_status();
}

}  // namespace citytwin::mutation
