#include "citytwin/model/mutation/instances.hpp"

#include <set>

#include "citytwin/model/entity_form.hpp"

namespace citytwin::mutation {

namespace json = boost::json;
namespace form = model::form;

std::optional<std::string_view> dataset_id_of(const json::object& instance) {
  const json::value* id = instance.if_contains(form::kDatasetId);
  if (id == nullptr || !id->is_string()) return std::nullopt;
  return std::string_view(id->get_string());
}

std::optional<std::size_t> find_instance(const json::array& instances,
                                         std::optional<std::string_view> dataset_id) {
  for (std::size_t i = 0; i < instances.size(); ++i) {
    const json::object* instance = instances[i].if_object();
    if (instance != nullptr && dataset_id_of(*instance) == dataset_id) return i;
  }
  return std::nullopt;
}

std::string describe_instance(std::optional<std::string_view> dataset_id) {
  if (!dataset_id) return "default instance";
  return "instance with datasetId '" + std::string(*dataset_id) + "'";
}

std::string_view attribute_type_of(const json::object& instance) {
  const json::value* type = instance.if_contains(form::kType);
  return type != nullptr && type->is_string() ? std::string_view(type->get_string())
                                              : std::string_view{};
}

std::string_view value_member_for(std::string_view attribute_type) {
  if (attribute_type == form::kProperty || attribute_type == form::kGeoProperty) {
    return form::kValue;
  }
  if (attribute_type == form::kRelationship) return form::kObject;
  if (attribute_type == form::kLanguageProperty) return form::kLanguageMap;
  if (attribute_type == form::kVocabProperty) return form::kVocab;
  if (attribute_type == form::kListProperty) return form::kValueList;
  if (attribute_type == form::kListRelationship) return form::kObjectList;
  if (attribute_type == form::kJsonProperty) return form::kJson;
  return {};
}

bool is_value_member(std::string_view member) {
  return member == form::kValue || member == form::kObject || member == form::kLanguageMap ||
         member == form::kVocab || member == form::kValueList || member == form::kObjectList ||
         member == form::kJson;
}

Status validate_sub_attributes(const json::object& instance) {
  const json::value* sub = instance.if_contains(form::kSub);
  if (sub == nullptr) return ok_status();
  if (!sub->is_object()) {
    return make_error(ErrorKind::kBadRequestData, "sub-attributes must be an object");
  }
  for (const auto& entry : sub->get_object()) {
    const json::object* nested = entry.value().if_object();
    if (nested == nullptr) {
      return make_error(ErrorKind::kBadRequestData,
                        "sub-attribute '" + std::string(entry.key()) + "' must be an object");
    }
    CT_RETURN_IF_ERROR(validate_sub_attributes(*nested));
  }
  return ok_status();
}

Status validate_instances(const json::array& instances) {
  if (instances.empty()) {
    return make_error(ErrorKind::kBadRequestData, "an attribute needs at least one instance");
  }
  bool has_default = false;
  std::set<std::string_view> dataset_ids;
  for (const json::value& element : instances) {
    const json::object* instance = element.if_object();
    if (instance == nullptr) {
      return make_error(ErrorKind::kBadRequestData, "an attribute instance must be an object");
    }
    CT_RETURN_IF_ERROR(validate_sub_attributes(*instance));
    const json::value* id = instance->if_contains(form::kDatasetId);
    if (id == nullptr) {
      if (has_default) {
        return make_error(ErrorKind::kBadRequestData,
                          "more than one attribute instance without datasetId");
      }
      has_default = true;
      continue;
    }
    if (!id->is_string()) {
      return make_error(ErrorKind::kBadRequestData, "datasetId must be a URI string");
    }
    if (!dataset_ids.insert(std::string_view(id->get_string())).second) {
      return make_error(ErrorKind::kBadRequestData,
                        "duplicate datasetId '" + std::string(id->get_string()) + "'");
    }
  }
  return ok_status();
}

Status validate_attribute_map(const json::object& attrs) {
  for (const auto& attribute : attrs) {
    const json::array* instances = attribute.value().if_array();
    Status status =
        instances != nullptr
            ? validate_instances(*instances)
            : Status(make_error(ErrorKind::kBadRequestData, "instances must be given as an array"));
    if (!status.ok()) {
      Error error = std::move(status).error();
      error.detail = "attribute '" + std::string(attribute.key()) + "': " + error.detail;
      return error;
    }
  }
  return ok_status();
}

}  // namespace citytwin::mutation
