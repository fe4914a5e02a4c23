#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "citytwin/store/entity_store.hpp"

// The index terms of a stored entity, kept in the entity_meta column family beside the
// document so that apply() can find and remove an entity's old index keys without parsing
// its JSON.
namespace citytwin::store::kv {

struct EntityMeta {
  std::vector<std::string> types;       // sorted, unique
  std::vector<std::string> attributes;  // sorted, unique
  std::vector<GeoEntry> geo;            // in record order; entry n is geo key n
  std::vector<ValueEntry> values;       // sorted, unique
  // Decoded from format 1, written before the value index existed: the entity has no
  // value_index keys and is counted in its tenant's kLegacy counter.
  bool legacy = false;

  friend bool operator==(const EntityMeta&, const EntityMeta&);
};

// Exact (bitwise-equal coordinates) comparison of two geo entry lists.
bool same_geo(const std::vector<GeoEntry>& a, const std::vector<GeoEntry>& b);

// The record's terms, with types, attributes and values sorted and deduplicated (an entity
// counts once per term however often core lists it).
EntityMeta meta_of(const EntityRecord& record);

// Format 2: version byte 2, then varint count and length-prefixed strings for types, the same
// for attributes, then varint count of geo entries, each a length-prefixed attribute and four
// little-endian doubles, then the values grouped by attribute (they are sorted): varint count
// of groups, each a length-prefixed attribute, varint count and length-prefixed keys.
// Format 1 (before the value index) is format 2 without the values; decode_meta reads both
// and sets `legacy` for format 1. encode_meta always writes format 2.
std::string encode_meta(const EntityMeta& meta);
std::optional<EntityMeta> decode_meta(std::string_view encoded);

}  // namespace citytwin::store::kv
