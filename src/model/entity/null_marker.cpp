#include "citytwin/model/null_marker.hpp"

#include "attribute_kind.hpp"
#include "citytwin/model/entity_form.hpp"

namespace citytwin::model {

boost::json::value null_marker_value(std::string_view attribute_type) {
  const auto kind = detail::kind_from_type_name(attribute_type);
  const boost::json::string_view marker(kNgsiLdNull.data(), kNgsiLdNull.size());
  if (kind == detail::AttributeKind::kLanguageProperty) {
    return boost::json::object{{"@none", marker}};
  }
  if (kind == detail::AttributeKind::kListProperty ||
      kind == detail::AttributeKind::kListRelationship) {
    return boost::json::array{marker};
  }
  return boost::json::value(marker);
}

bool is_null_marker(const boost::json::object& instance) {
  const boost::json::value* type = instance.if_contains(form::kType);
  if (type == nullptr || !type->is_string()) return false;
  const auto kind = detail::kind_from_type_name(type->get_string());
  if (!kind) return false;
  const boost::json::value* member = instance.if_contains(detail::value_member(*kind));
  return member != nullptr && *member == null_marker_value(type->get_string());
}

}  // namespace citytwin::model
