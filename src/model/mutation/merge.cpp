#include "citytwin/model/mutation/merge.hpp"

#include <optional>
#include <string>

#include "citytwin/model/entity_form.hpp"
#include "citytwin/model/mutation/entity_types.hpp"
#include "citytwin/model/mutation/instances.hpp"
#include "citytwin/model/mutation/json_merge_patch.hpp"
#include "citytwin/model/mutation/ngsild_null.hpp"
#include "citytwin/model/mutation/timestamps.hpp"
#include "entity_access.hpp"

namespace citytwin::mutation {

namespace json = boost::json;
namespace form = model::form;

namespace {

// Clause 5.5.12 goes "into JSON objects representing a Property value"; a languageMap is a
// map of independent entries, so it merges the same way. GeoJSON geometries, Relationship
// objects, lists and JSON literals are replaced whole: merging them member-wise would mix
// two values into a meaningless one.
bool merges_deeply(std::string_view attribute_type, std::string_view member) {
  return (member == form::kValue && attribute_type == form::kProperty) ||
         member == form::kLanguageMap;
}

// An instance about to be added has nothing to delete: drop its NGSI-LD Nulls the way
// RFC 7396 does when the target is absent.
json::object without_nulls(const json::object& instance) {
  const std::string_view type = attribute_type_of(instance);
  json::object clean;
  for (const auto& member : instance) {
    const std::string_view key = member.key();
    if (key == form::kSub) {
      json::object sub;
      for (const auto& entry : member.value().get_object()) {
        const json::object& nested = entry.value().get_object();
        if (!is_null_instance(nested)) sub[entry.key()] = without_nulls(nested);
      }
      if (!sub.empty()) clean[key] = std::move(sub);
    } else if (is_value_member(key)) {
      clean[key] = merges_deeply(type, key) && member.value().is_object()
                       ? apply_merge_patch(json::object{}, member.value())
                       : member.value();
    } else if (!is_ngsild_null(member.value())) {
      clean[key] = member.value();
    }
  }
  return clean;
}

json::object new_instance(const json::object& patch, Instant now) {
  json::object instance = without_nulls(patch);
  stamp_new_instance(instance, now);
  return instance;
}

Status merge_instance(json::object& target, const json::object& patch, Instant now);

// Sub-attributes merge recursively; one whose value is an NGSI-LD Null is deleted.
Status merge_sub_attributes(json::object& target, const json::object& patch_sub, Instant now) {
  json::value& slot = target[form::kSub];
  if (!slot.is_object()) slot.emplace_object();
  json::object& sub = slot.get_object();
  for (const auto& entry : patch_sub) {
    const json::object& patch = entry.value().get_object();
    json::value* existing = sub.if_contains(entry.key());
    if (is_null_instance(patch)) {
      sub.erase(entry.key());
    } else if (existing != nullptr && existing->is_object()) {
      CT_RETURN_IF_ERROR(merge_instance(existing->get_object(), patch, now));
    } else {
      sub[entry.key()] = new_instance(patch, now);
    }
  }
  if (sub.empty()) target.erase(form::kSub);
  return ok_status();
}

Status merge_value_member(json::object& target, std::string_view key, const json::value& patch) {
  // A copy: inserting into `target` may move its members, and with them a short type string.
  const std::string type(attribute_type_of(target));
  if (key != value_member_for(type)) {
    return make_error(
        ErrorKind::kBadRequestData,
        "member '" + std::string(key) + "' does not fit attribute type " + std::string(type));
  }
  json::value& current = target[key];
  if (merges_deeply(type, key) && current.is_object() && patch.is_object()) {
    current = apply_merge_patch(current, patch);
  } else {
    current = patch;
  }
  return ok_status();
}

// Merges one fragment instance into the stored instance with the same datasetId.
Status merge_instance(json::object& target, const json::object& patch, Instant now) {
  const std::string_view patch_type = attribute_type_of(patch);
  if (!patch_type.empty() && patch_type != attribute_type_of(target)) {
    json::object replacement = without_nulls(patch);
    stamp_replacing_instance(replacement, target, now);
    target = std::move(replacement);
    return ok_status();
  }
  for (const auto& member : patch) {
    const std::string_view key = member.key();
    if (key == form::kType || key == form::kDatasetId || key == form::kCreatedAt ||
        key == form::kModifiedAt) {
      continue;  // identity and system attributes are not the client's to change
    }
    if (key == form::kSub) {
      CT_RETURN_IF_ERROR(merge_sub_attributes(target, member.value().get_object(), now));
    } else if (is_value_member(key)) {
      CT_RETURN_IF_ERROR(merge_value_member(target, key, member.value()));
    } else if (is_ngsild_null(member.value())) {
      target.erase(key);  // observedAt, unitCode, objectType
    } else {
      target[key] = member.value();
    }
  }
  target[form::kModifiedAt] = format_date_time(now);
  return ok_status();
}

// Clause 5.6.17.4, for one instance of one attribute of the fragment.
Status merge_attribute_instance(json::object& entity, std::string_view name,
                                const json::object& patch, Instant now, MergeOutcome& outcome) {
  const std::optional<std::string_view> dataset_id = dataset_id_of(patch);
  json::array* instances = detail::find_attribute(entity, name);
  const std::optional<std::size_t> index =
      instances != nullptr ? find_instance(*instances, dataset_id) : std::nullopt;
  if (is_null_instance(patch)) {
    // Deleting what does not exist is a no-op: only non-null instances are appended.
    if (index) {
      detail::erase_instance(entity, name, *index);
      detail::note_name(outcome.deleted, name);
    }
    return ok_status();
  }
  if (index) {
    CT_RETURN_IF_ERROR(merge_instance((*instances)[*index].get_object(), patch, now));
  } else {
    json::value& slot = detail::attrs_of(entity)[name];
    if (!slot.is_array()) slot.emplace_array();
    slot.get_array().emplace_back(new_instance(patch, now));
  }
  detail::note_name(outcome.merged, name);
  return ok_status();
}

// The fragment's scope replaces the entity's (clause 5.6.17.4, overwrite allowed); an NGSI-LD
// Null removes it. Stored as an array of scope strings (clause 4.18).
Result<bool> merge_scope(json::object& entity, const json::value& scope) {
  if (is_ngsild_null(scope)) return entity.erase(form::kScope) > 0;
  json::array scopes;
  if (scope.is_string()) {
    scopes.push_back(scope);
  } else if (scope.is_array()) {
    scopes = scope.get_array();
  }
  for (const json::value& one : scopes) {
    if (!one.is_string()) {
      return make_error(ErrorKind::kBadRequestData, "scope must be a string or strings");
    }
  }
  if (scopes.empty()) {
    return make_error(ErrorKind::kBadRequestData, "scope must be a string or strings");
  }
  const json::value* current = entity.if_contains(form::kScope);
  if (current != nullptr && current->is_array() && current->get_array() == scopes) return false;
  entity[form::kScope] = std::move(scopes);
  return true;
}

Result<const json::object*> fragment_attrs(const json::object& fragment) {
  const json::value* attrs = fragment.if_contains(form::kAttrs);
  if (attrs == nullptr) return static_cast<const json::object*>(nullptr);
  if (!attrs->is_object()) {
    return make_error(ErrorKind::kBadRequestData, "fragment attrs must be an object");
  }
  CT_RETURN_IF_ERROR(validate_attribute_map(attrs->get_object()));
  return &attrs->get_object();
}

}  // namespace

Result<MergeOutcome> merge_entity(json::object& entity, const json::object& fragment, Instant now) {
  CT_RETURN_IF_ERROR(detail::check_stored_entity(entity));
  Result<const json::object*> attrs = fragment_attrs(fragment);
  if (!attrs.ok()) return std::move(attrs).error();
  // Work on a copy so that an error half-way leaves the stored entity unchanged.
  json::object work = entity;
  MergeOutcome outcome;
  if (const json::value* types = fragment.if_contains(form::kType)) {
    Result<bool> added = add_entity_types(work, *types);
    if (!added.ok()) return std::move(added).error();
    outcome.types_changed = *added;
  }
  if (const json::value* scope = fragment.if_contains(form::kScope)) {
    Result<bool> replaced = merge_scope(work, *scope);
    if (!replaced.ok()) return std::move(replaced).error();
    outcome.scope_changed = *replaced;
  }
  if (*attrs != nullptr) {
    for (const auto& attribute : **attrs) {
      for (const json::value& instance : attribute.value().get_array()) {
        CT_RETURN_IF_ERROR(
            merge_attribute_instance(work, attribute.key(), instance.get_object(), now, outcome));
      }
    }
  }
  if (outcome.types_changed || outcome.scope_changed || !outcome.merged.empty() ||
      !outcome.deleted.empty()) {
    touch_entity(work, now);
  }
  entity = std::move(work);
  return outcome;
}

}  // namespace citytwin::mutation
