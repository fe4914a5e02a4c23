#include "citytwin/model/mutation/partial_update.hpp"

#include <optional>
#include <string>

#include "citytwin/model/entity_form.hpp"
#include "citytwin/model/mutation/instances.hpp"
#include "citytwin/model/mutation/ngsild_null.hpp"
#include "citytwin/model/mutation/timestamps.hpp"
#include "entity_access.hpp"

namespace citytwin::mutation {

namespace json = boost::json;
namespace form = model::form;

namespace {

// Clause 5.6.4.4: "it is not allowed to change the type of an Attribute", and the fragment's
// value member has to be the one of that type; clause 5.6.4.1: the Attribute itself cannot be
// deleted this way.
Status check_fragment(const json::object& target, const json::object& fragment) {
  const std::string_view target_type = attribute_type_of(target);
  const std::string_view fragment_type = attribute_type_of(fragment);
  if (!fragment_type.empty() && fragment_type != target_type) {
    return make_error(ErrorKind::kBadRequestData, "cannot change the attribute type from " +
                                                      std::string(target_type) + " to " +
                                                      std::string(fragment_type));
  }
  const std::string_view value_member = value_member_for(target_type);
  for (const auto& member : fragment) {
    if (!is_value_member(member.key())) continue;
    if (member.key() != value_member) {
      return make_error(ErrorKind::kBadRequestData, "member '" + std::string(member.key()) +
                                                        "' does not fit attribute type " +
                                                        std::string(target_type));
    }
    if (is_ngsild_null(member.value())) {
      return make_error(ErrorKind::kBadRequestData,
                        "a partial attribute update cannot delete the attribute itself");
    }
  }
  return validate_sub_attributes(fragment);
}

// Clause 5.5.8 at sub-attribute level: each sub-attribute of the fragment replaces, adds or
// (NGSI-LD Null) deletes the stored one.
void patch_sub_attributes(json::object& target, const json::object& fragment_sub, Instant now) {
  json::value& slot = target[form::kSub];
  if (!slot.is_object()) slot.emplace_object();
  json::object& sub = slot.get_object();
  for (const auto& entry : fragment_sub) {
    const json::object* patch = entry.value().if_object();  // checked by check_fragment
    if (is_null_instance(*patch)) {
      sub.erase(entry.key());
      continue;
    }
    json::object replacement(*patch, sub.storage());  // moved below without another copy
    const json::value* before = sub.if_contains(entry.key());
    if (before != nullptr && before->is_object()) {
      stamp_replacing_instance(replacement, before->get_object(), now);
    } else {
      stamp_new_instance(replacement, now);
    }
    sub[entry.key()] = std::move(replacement);
  }
  if (sub.empty()) target.erase(form::kSub);
}

// Clause 5.5.8 at instance level: members of the fragment replace the stored members.
void patch_instance(json::object& target, const json::object& fragment, Instant now) {
  for (const auto& member : fragment) {
    const std::string_view key = member.key();
    if (key == form::kType || key == form::kDatasetId || key == form::kCreatedAt ||
        key == form::kModifiedAt) {
      continue;  // identity and system attributes are not the client's to change
    }
    if (key == form::kSub) {
      patch_sub_attributes(target, member.value().get_object(), now);
    } else if (!is_value_member(key) && is_ngsild_null(member.value())) {
      target.erase(key);  // observedAt, unitCode, objectType
    } else {
      target[key] = member.value();
    }
  }
  target[form::kModifiedAt] = format_date_time(now);
}

}  // namespace

Status partial_update_attribute(json::object& entity, std::string_view name,
                                const json::object& instance_fragment, Instant now) {
  CT_RETURN_IF_ERROR(detail::check_stored_entity(entity));
  const std::optional<std::string_view> dataset_id = dataset_id_of(instance_fragment);
  json::array* instances = detail::find_attribute(entity, name);
  const std::optional<std::size_t> index =
      instances != nullptr ? find_instance(*instances, dataset_id) : std::nullopt;
  if (!index) {
    return make_error(
        ErrorKind::kResourceNotFound,
        "attribute '" + std::string(name) + "' has no " + describe_instance(dataset_id));
  }
  json::object& target = (*instances)[*index].get_object();
  CT_RETURN_IF_ERROR(check_fragment(target, instance_fragment));
  patch_instance(target, instance_fragment, now);
  touch_entity(entity, now);
  return ok_status();
}

}  // namespace citytwin::mutation
