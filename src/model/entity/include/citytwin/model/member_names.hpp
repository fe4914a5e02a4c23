#pragma once

#include <string_view>

namespace citytwin::model {

// Members of an entity that are not attributes (id, type, scope, @context and the system
// attributes createdAt, modifiedAt, deletedAt): parse_entity never reads them as attributes.
bool is_entity_member(std::string_view name);

// Members of an attribute instance that are not sub-attributes: type, the value members
// (value, object, languageMap, vocab, valueList, objectList, json), objectType, observedAt,
// unitCode, datasetId, lang, and the system members createdAt, modifiedAt, deletedAt,
// instanceId. Every other member of an instance is a sub-attribute.
bool is_attribute_instance_member(std::string_view name);

}  // namespace citytwin::model
