#include "citytwin/model/mutation/append_update.hpp"

#include <optional>
#include <string>

#include "citytwin/model/mutation/instances.hpp"
#include "citytwin/model/mutation/ngsild_null.hpp"
#include "citytwin/model/mutation/timestamps.hpp"
#include "entity_access.hpp"

namespace citytwin::mutation {

namespace json = boost::json;

namespace {

// Common input checks; nothing is changed before they pass, so both operations are
// all-or-nothing.
Status check_input(const json::object& entity, const json::object& attrs) {
  CT_RETURN_IF_ERROR(detail::check_stored_entity(entity));
  return validate_attribute_map(attrs);
}

// Clause 5.2.1: Append does not support NGSI-LD Nulls.
Status reject_nulls(const json::object& attrs) {
  for (const auto& attribute : attrs) {
    for (const json::value& instance : attribute.value().get_array()) {
      if (contains_ngsild_null(instance.get_object())) {
        return make_error(ErrorKind::kBadRequestData,
                          "attribute '" + std::string(attribute.key()) +
                              "': NGSI-LD Null is not allowed when appending attributes");
      }
    }
  }
  return ok_status();
}

// The new instance is built in the storage of the entity it goes into (a write's arena, in
// core): moved there from another storage, Boost.JSON would copy it once more.
void replace_instance(json::array& instances, std::size_t index, const json::object& input,
                      Instant now) {
  json::object replacement(input, instances.storage());
  stamp_replacing_instance(replacement, instances[index].get_object(), now);
  instances[index] = std::move(replacement);
}

void append_instance(json::object& entity, std::string_view name, const json::object& input,
                     Instant now) {
  json::object instance(input, entity.storage());
  stamp_new_instance(instance, now);
  json::value& slot = detail::attrs_of(entity)[name];
  if (!slot.is_array()) slot.emplace_array();
  slot.get_array().emplace_back(std::move(instance));
}

// One instance of Append (clause 5.6.3.4).
void append_one(json::object& entity, std::string_view name, const json::object& instance,
                bool no_overwrite, Instant now, AttributeOutcome& outcome) {
  const std::optional<std::string_view> dataset_id = dataset_id_of(instance);
  json::array* instances = detail::find_attribute(entity, name);
  const std::optional<std::size_t> index =
      instances != nullptr ? find_instance(*instances, dataset_id) : std::nullopt;
  if (!index) {
    append_instance(entity, name, instance, now);
  } else if (no_overwrite) {
    outcome.not_updated.push_back(
        {std::string(name), "the " + describe_instance(dataset_id) +
                                " already exists and overwriting is not allowed"});
    return;
  } else {
    replace_instance(*instances, *index, instance, now);
  }
  detail::note_name(outcome.updated, name);
}

// One instance of Update (clause 5.6.2.4 with clause 5.5.8).
void update_one(json::object& entity, std::string_view name, const json::object& instance,
                Instant now, AttributeOutcome& outcome) {
  const std::optional<std::string_view> dataset_id = dataset_id_of(instance);
  json::array* instances = detail::find_attribute(entity, name);
  if (instances == nullptr) {
    outcome.not_updated.push_back({std::string(name), "attribute does not exist"});
    return;
  }
  const std::optional<std::size_t> index = find_instance(*instances, dataset_id);
  if (!index) {
    outcome.not_updated.push_back(
        {std::string(name), "the " + describe_instance(dataset_id) + " does not exist"});
    return;
  }
  if (is_null_instance(instance)) {
    detail::erase_instance(entity, name, *index);
  } else {
    replace_instance(*instances, *index, instance, now);
  }
  detail::note_name(outcome.updated, name);
}

}  // namespace

Result<AttributeOutcome> append_attributes(json::object& entity, const json::object& attrs,
                                           bool no_overwrite, Instant now) {
  CT_RETURN_IF_ERROR(check_input(entity, attrs));
  CT_RETURN_IF_ERROR(reject_nulls(attrs));
  AttributeOutcome outcome;
  for (const auto& attribute : attrs) {
    for (const json::value& instance : attribute.value().get_array()) {
      append_one(entity, attribute.key(), instance.get_object(), no_overwrite, now, outcome);
    }
  }
  if (!outcome.updated.empty()) touch_entity(entity, now);
  return outcome;
}

Result<AttributeOutcome> update_attributes(json::object& entity, const json::object& attrs,
                                           Instant now) {
  CT_RETURN_IF_ERROR(check_input(entity, attrs));
  AttributeOutcome outcome;
  for (const auto& attribute : attrs) {
    for (const json::value& instance : attribute.value().get_array()) {
      update_one(entity, attribute.key(), instance.get_object(), now, outcome);
    }
  }
  if (!outcome.updated.empty()) touch_entity(entity, now);
  return outcome;
}

}  // namespace citytwin::mutation
