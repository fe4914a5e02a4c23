#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "citytwin/common/result.hpp"
#include "citytwin/store/entity_store.hpp"

namespace citytwin::core {

// What the twin holds, for the discovery endpoints (GS CIM 009 clause 5.7.5-5.7.10).
// All names are expanded IRIs.
struct TypeDetails {
  std::string type;
  std::uint64_t entity_count = 0;
  // attribute -> the attribute kinds seen (Property, Relationship, ...)
  std::map<std::string, std::set<std::string>> attributes;
};

struct AttributeDetails {
  std::string attribute;
  std::uint64_t entity_count = 0;
  std::set<std::string> attribute_types;  // Property, Relationship, ...
  std::set<std::string> type_names;       // entity types having it
};

// Reads discovery information from the store. Type and attribute lists come straight from
// the index counts; details walk only the entities of that type or with that attribute.
class Discovery {
 public:
  explicit Discovery(const store::EntityStore& store) : store_(store) {}

  Result<std::vector<store::TermCount>> types(std::string_view tenant) const;
  Result<std::vector<store::TermCount>> attributes(std::string_view tenant) const;
  // ResourceNotFound when no entity has the type / attribute.
  Result<TypeDetails> type_details(std::string_view tenant, const std::string& type) const;
  Result<AttributeDetails> attribute_details(std::string_view tenant,
                                             const std::string& attribute) const;

 private:
  const store::EntityStore& store_;
};

}  // namespace citytwin::core
