#pragma once

// The instances of one attribute in the stored form (see citytwin/model/entity_form.hpp):
// an array with at most one default instance (no datasetId) and unique datasetIds
// (ETSI GS CIM 009 V1.8.1, clause 4.5.5, "Multi-Attribute support").

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "citytwin/common/result.hpp"

namespace citytwin::mutation {

// The instance's datasetId, or nullopt for the default instance.
std::optional<std::string_view> dataset_id_of(const boost::json::object& instance);

// Index of the instance with the given datasetId (nullopt: the default instance).
std::optional<std::size_t> find_instance(const boost::json::array& instances,
                                         std::optional<std::string_view> dataset_id);

// "default instance" or "instance with datasetId '<id>'", for error texts.
std::string describe_instance(std::optional<std::string_view> dataset_id);

// The instance's "type" ("Property", "Relationship", ...), empty when missing. The view is
// into `instance`: copy it before inserting members into that object.
std::string_view attribute_type_of(const boost::json::object& instance);

// The member that holds the value for an attribute type ("value" for Property, "object" for
// Relationship, ...); empty for an unknown type.
std::string_view value_member_for(std::string_view attribute_type);

// True for the seven value members (value, object, languageMap, vocab, valueList,
// objectList, json).
bool is_value_member(std::string_view member);

// BadRequestData unless the instance's "sub" (when present) maps names to objects, at every
// depth.
Status validate_sub_attributes(const boost::json::object& instance);

// BadRequestData unless `instances` is a non-empty array of objects with at most one instance
// without datasetId, with unique string datasetIds and with well-formed sub-attributes. Every
// operation checks its input with this before changing anything; since instances are then
// only added, replaced or removed by datasetId, no operation leaves an invalid entity behind.
Status validate_instances(const boost::json::array& instances);

// validate_instances for every member of a stored-form attribute map (name -> instances);
// the error detail names the attribute.
Status validate_attribute_map(const boost::json::object& attrs);

}  // namespace citytwin::mutation
