#include "attribute_kind.hpp"

#include <array>
#include <utility>

#include "citytwin/model/entity_form.hpp"
#include "citytwin/model/member_names.hpp"

namespace citytwin::model::detail {
namespace {

struct KindInfo {
  AttributeKind kind;
  std::string_view type;
  std::string_view member;
};

constexpr std::array<KindInfo, 8> kKinds{{
    {AttributeKind::kProperty, form::kProperty, form::kValue},
    {AttributeKind::kGeoProperty, form::kGeoProperty, form::kValue},
    {AttributeKind::kRelationship, form::kRelationship, form::kObject},
    {AttributeKind::kLanguageProperty, form::kLanguageProperty, form::kLanguageMap},
    {AttributeKind::kVocabProperty, form::kVocabProperty, form::kVocab},
    {AttributeKind::kListProperty, form::kListProperty, form::kValueList},
    {AttributeKind::kListRelationship, form::kListRelationship, form::kObjectList},
    {AttributeKind::kJsonProperty, form::kJsonProperty, form::kJson},
}};

// RFC 7946 clause 1.4.
constexpr std::array<std::string_view, 7> kGeometryTypes{
    "Point",   "MultiPoint",   "LineString",         "MultiLineString",
    "Polygon", "MultiPolygon", "GeometryCollection",
};

constexpr std::array<std::string_view, 8> kMetadataMembers{
    form::kObjectType, form::kObservedAt, form::kUnitCode,  form::kDatasetId,
    form::kCreatedAt,  form::kModifiedAt, form::kDeletedAt, form::kInstanceId,
};

std::string_view string_member(const boost::json::object& object, std::string_view key) {
  const boost::json::value* member = object.if_contains(key);
  if (member == nullptr || !member->is_string()) return {};
  return member->get_string();
}

// The value members present in `object` (at most two are reported: enough to see ambiguity).
int count_value_members(const boost::json::object& object, std::string_view* first) {
  int count = 0;
  for (const KindInfo& info : kKinds) {
    if (info.kind == AttributeKind::kGeoProperty) continue;  // shares "value" with Property
    if (object.contains(info.member)) {
      if (count == 0) *first = info.member;
      ++count;
    }
  }
  return count;
}

std::optional<Inference> infer_object(const boost::json::object& object) {
  const boost::json::value* type = object.if_contains(form::kType);
  if (type != nullptr && type->is_string()) {
    if (auto kind = kind_from_type_name(type->get_string())) return Inference{*kind, false};
  }
  if (type != nullptr && looks_like_geometry(object)) {
    return Inference{AttributeKind::kGeoProperty, true};
  }
  std::string_view member;
  const int members = count_value_members(object, &member);
  if (members == 0) return Inference{AttributeKind::kProperty, true};
  if (members > 1 || type != nullptr) return std::nullopt;
  AttributeKind kind = *kind_from_value_member(member);
  if (kind == AttributeKind::kProperty && looks_like_geometry(object.at(form::kValue))) {
    kind = AttributeKind::kGeoProperty;
  }
  return Inference{kind, false};
}

bool looks_like_instance(const boost::json::value& element) {
  if (!element.is_object()) return false;
  const boost::json::object& object = element.get_object();
  if (kind_from_type_name(string_member(object, form::kType))) return true;
  if (object.contains(form::kDatasetId)) return true;
  std::string_view member;
  return count_value_members(object, &member) > 0;
}

}  // namespace

std::optional<AttributeKind> kind_from_type_name(std::string_view name) {
  for (const KindInfo& info : kKinds) {
    if (info.type == name) return info.kind;
  }
  return std::nullopt;
}

std::string_view type_name(AttributeKind kind) {
  return kKinds[static_cast<int>(kind)].type;
}

std::string_view value_member(AttributeKind kind) {
  return kKinds[static_cast<int>(kind)].member;
}

std::optional<AttributeKind> kind_from_value_member(std::string_view member) {
  for (const KindInfo& info : kKinds) {
    if (info.member == member) return info.kind;  // "value" finds kProperty first
  }
  return std::nullopt;
}

bool is_instance_member(std::string_view name) {
  if (name == form::kType || name == "lang") return true;
  if (kind_from_value_member(name)) return true;
  for (std::string_view member : kMetadataMembers) {
    if (member == name) return true;
  }
  return false;
}

bool is_geometry_type(std::string_view type) {
  for (std::string_view geometry : kGeometryTypes) {
    if (geometry == type) return true;
  }
  return false;
}

bool looks_like_geometry(const boost::json::value& value) {
  if (!value.is_object()) return false;
  const boost::json::object& object = value.get_object();
  const std::string_view type = string_member(object, form::kType);
  if (!is_geometry_type(type)) return false;
  if (type == "GeometryCollection") return object.contains("geometries");
  return object.contains("coordinates");
}

std::optional<Inference> infer_instance(const boost::json::value& value) {
  if (value.is_object()) return infer_object(value.get_object());
  return Inference{AttributeKind::kProperty, true};
}

bool is_instance_array(const boost::json::value& value) {
  if (!value.is_array() || value.get_array().empty()) return false;
  for (const boost::json::value& element : value.get_array()) {
    if (!looks_like_instance(element)) return false;
  }
  return true;
}

}  // namespace citytwin::model::detail

namespace citytwin::model {

bool is_attribute_instance_member(std::string_view name) {
  return detail::is_instance_member(name);
}

}  // namespace citytwin::model
