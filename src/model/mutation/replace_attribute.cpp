#include "citytwin/model/mutation/replace_attribute.hpp"

#include <optional>
#include <string>
#include <vector>

#include "citytwin/model/mutation/instances.hpp"
#include "citytwin/model/mutation/ngsild_null.hpp"
#include "citytwin/model/mutation/timestamps.hpp"
#include "entity_access.hpp"

namespace citytwin::mutation {

namespace json = boost::json;

Status replace_attribute(json::object& entity, std::string_view name, const json::array& instances,
                         Instant now) {
  CT_RETURN_IF_ERROR(detail::check_stored_entity(entity));
  CT_RETURN_IF_ERROR(validate_instances(instances));
  json::array* stored = detail::find_attribute(entity, name);
  if (stored == nullptr) {
    return make_error(ErrorKind::kResourceNotFound,
                      "attribute '" + std::string(name) + "' does not exist");
  }
  // Find every target first so that a missing one leaves the entity unchanged.
  std::vector<std::size_t> targets;
  for (const json::value& element : instances) {
    const json::object& instance = element.get_object();
    if (contains_ngsild_null(instance)) {
      return make_error(ErrorKind::kBadRequestData,
                        "NGSI-LD Null is not allowed when replacing an attribute");
    }
    const std::optional<std::string_view> dataset_id = dataset_id_of(instance);
    const std::optional<std::size_t> index = find_instance(*stored, dataset_id);
    if (!index) {
      return make_error(
          ErrorKind::kResourceNotFound,
          "attribute '" + std::string(name) + "' has no " + describe_instance(dataset_id));
    }
    targets.push_back(*index);
  }
  for (std::size_t i = 0; i < instances.size(); ++i) {
    json::object replacement(instances[i].get_object(), stored->storage());  // no copy on move
    stamp_replacing_instance(replacement, (*stored)[targets[i]].get_object(), now);
    (*stored)[targets[i]] = std::move(replacement);
  }
  touch_entity(entity, now);
  return ok_status();
}

}  // namespace citytwin::mutation
