#include "citytwin/model/mutation/timestamps.hpp"

#include <string>

#include "citytwin/model/entity_form.hpp"

namespace citytwin::mutation {

namespace json = boost::json;
namespace form = model::form;

namespace {

json::object* sub_attributes(json::object& instance) {
  json::value* sub = instance.if_contains(form::kSub);
  return sub != nullptr ? sub->if_object() : nullptr;
}

const json::object* sub_attributes(const json::object& instance) {
  const json::value* sub = instance.if_contains(form::kSub);
  return sub != nullptr ? sub->if_object() : nullptr;
}

json::object without_system_attributes(const json::object& instance) {
  json::object copy = instance;
  copy.erase(form::kCreatedAt);
  copy.erase(form::kModifiedAt);
  if (json::object* sub = sub_attributes(copy)) {
    for (auto& entry : *sub) {
      if (json::object* nested = entry.value().if_object()) {
        *nested = without_system_attributes(*nested);
      }
    }
  }
  return copy;
}

}  // namespace

void stamp_new_instance(json::object& instance, Instant now) {
  const std::string stamp = format_date_time(now);
  instance[form::kCreatedAt] = stamp;
  instance[form::kModifiedAt] = stamp;
  if (json::object* sub = sub_attributes(instance)) {
    for (auto& entry : *sub) {
      if (json::object* nested = entry.value().if_object()) stamp_new_instance(*nested, now);
    }
  }
}

void stamp_new_entity(json::object& entity, Instant now) {
  const std::string stamp = format_date_time(now);
  entity[form::kCreatedAt] = stamp;
  entity[form::kModifiedAt] = stamp;
  json::value* attrs = entity.if_contains(form::kAttrs);
  if (attrs == nullptr || !attrs->is_object()) return;
  for (auto& attribute : attrs->get_object()) {
    json::array* instances = attribute.value().if_array();
    if (instances == nullptr) continue;
    for (json::value& element : *instances) {
      if (json::object* instance = element.if_object()) stamp_new_instance(*instance, now);
    }
  }
}

void stamp_replacing_instance(json::object& instance, const json::object& previous, Instant now) {
  const json::value* created = previous.if_contains(form::kCreatedAt);
  instance[form::kCreatedAt] = created != nullptr ? *created : json::value(format_date_time(now));
  instance[form::kModifiedAt] = format_date_time(now);
  json::object* sub = sub_attributes(instance);
  if (sub == nullptr) return;
  const json::object* previous_sub = sub_attributes(previous);
  for (auto& entry : *sub) {
    json::object* nested = entry.value().if_object();
    if (nested == nullptr) continue;
    const json::value* before =
        previous_sub != nullptr ? previous_sub->if_contains(entry.key()) : nullptr;
    if (before == nullptr || !before->is_object()) {
      stamp_new_instance(*nested, now);
    } else if (same_content(*nested, before->get_object())) {
      // Unchanged: keep every timestamp so modifiedAt keeps meaning "last changed".
      *nested = before->get_object();
    } else {
      stamp_replacing_instance(*nested, before->get_object(), now);
    }
  }
}

void touch_entity(json::object& entity, Instant now) {
  entity[form::kModifiedAt] = format_date_time(now);
}

json::object replace_entity(const json::object& current, json::object replacement, Instant now) {
  stamp_new_entity(replacement, now);
  if (const json::value* created = current.if_contains(form::kCreatedAt)) {
    replacement[form::kCreatedAt] = *created;
  }
  return replacement;
}

bool same_content(const json::object& a, const json::object& b) {
  return without_system_attributes(a) == without_system_attributes(b);
}

}  // namespace citytwin::mutation
