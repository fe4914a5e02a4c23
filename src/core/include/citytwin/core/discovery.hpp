#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "citytwin/common/result.hpp"
#include "citytwin/core/read_restriction.hpp"
#include "citytwin/store/entity_store.hpp"

namespace citytwin::core {

// What the twin holds, for the discovery endpoints (GS CIM 009 clause 5.7.5-5.7.10).
// All names are expanded IRIs.
// How one attribute name is used by a set of entities (clause 5.2.28 Attribute).
struct AttributeUsage {
  // "attributeCount": the number of attribute instances with this name, so an entity holding
  // a multi-attribute (several datasetIds) counts once per instance.
  std::uint64_t instance_count = 0;
  std::set<std::string> kinds;  // "attributeTypes": Property, Relationship, ...
};

struct TypeDetails {
  std::string type;
  std::uint64_t entity_count = 0;
  // attribute -> its use by the entities of this type
  std::map<std::string, AttributeUsage> attributes;
};

struct AttributeDetails {
  std::string attribute;
  std::uint64_t entity_count = 0;    // entities having it
  AttributeUsage usage;              // over every entity having it
  std::set<std::string> type_names;  // entity types having it
};

// Reads discovery information from the store. Type and attribute lists come straight from
// the index counts; details walk only the entities of that type or with that attribute.
class Discovery {
 public:
  explicit Discovery(const store::EntityStore& store) : store_(store) {}

  // With a `restriction` (anonymous open-data reads): only the types it admits, and
  // type_details of another type is ResourceNotFound, without its hidden attributes.
  Result<std::vector<store::TermCount>> types(std::string_view tenant,
                                              const ReadRestriction* restriction = nullptr) const;
  Result<std::vector<store::TermCount>> attributes(std::string_view tenant) const;
  // ResourceNotFound when no entity has the type / attribute.
  Result<TypeDetails> type_details(std::string_view tenant, const std::string& type,
                                   const ReadRestriction* restriction = nullptr) const;
  Result<AttributeDetails> attribute_details(std::string_view tenant,
                                             const std::string& attribute) const;

 private:
  const store::EntityStore& store_;
};

}  // namespace citytwin::core
