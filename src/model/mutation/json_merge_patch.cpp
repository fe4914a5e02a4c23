#include "citytwin/model/mutation/json_merge_patch.hpp"

#include "citytwin/model/mutation/ngsild_null.hpp"

namespace citytwin::mutation {

namespace json = boost::json;

namespace {

// Inside a value only the plain string is a deletion marker: ["urn:ngsi-ld:null"] is an
// ordinary array value.
bool removes_member(const json::value& patch_value) {
  const json::string* text = patch_value.if_string();
  return patch_value.is_null() || (text != nullptr && *text == kNgsiLdNull);
}

}  // namespace

// RFC 7396, section 2, MergePatch(Target, Patch).
json::value apply_merge_patch(const json::value& target, const json::value& patch) {
  const json::object* patch_object = patch.if_object();
  if (patch_object == nullptr) return patch;
  json::object result = target.is_object() ? target.get_object() : json::object{};
  for (const auto& member : *patch_object) {
    if (removes_member(member.value())) {
      result.erase(member.key());
      continue;
    }
    const json::value* existing = result.if_contains(member.key());
    result[member.key()] =
        apply_merge_patch(existing != nullptr ? *existing : json::value{}, member.value());
  }
  return result;
}

}  // namespace citytwin::mutation
