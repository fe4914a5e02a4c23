#pragma once

// Keys of the attribute value index (store::ValueEntry, store::EntityStore::scan_values):
// order-preserving byte encodings of the scalar values a q term compares (ETSI GS CIM 009
// V1.8.1, clause 4.9), so that a range of values is a range of keys.
//
// A key is one tag byte, which keeps kinds apart (a number never equals a string in q), then:
//   0x10 boolean: one byte, 0 or 1
//   0x20 number:  the double (JSON integers are compared as doubles by q as well) as 8
//                 big-endian bytes, sign bit flipped for positives and all bits flipped for
//                 negatives, so that byte order is numeric order; -0.0 is stored as 0.0
//   0x30 string:  the first kMaxIndexedStringBytes bytes of the UTF-8 text. Prefix
//                 truncation keeps order (a <= b implies key(a) <= key(b)) but loses
//                 strictness, so the index is a prefilter: callers re-check every candidate
//                 with the full q, and strict bounds on long literals become inclusive
//                 (value_index_plan.cpp).

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "citytwin/store/entity_store.hpp"

namespace citytwin::core {

inline constexpr char kBooleanKeyTag = 0x10;
inline constexpr char kNumberKeyTag = 0x20;
inline constexpr char kStringKeyTag = 0x30;
inline constexpr std::size_t kMaxIndexedStringBytes = 256;

std::string boolean_key(bool value);
std::string number_key(double value);
std::string string_key(std::string_view text);  // truncated to kMaxIndexedStringBytes

// True when string_key(text) may equal the key of a different, longer string.
bool string_key_is_lossy(std::string_view text);

// Bounds of every key of one tag: [first_key_of(tag), past_keys_of(tag)).
std::string first_key_of(char tag);
std::string past_keys_of(char tag);

// The key of a JSON number, string or boolean; nullopt for other values.
std::optional<std::string> scalar_key(const boost::json::value& value);

// The value index entries of an entity in the stored form (citytwin/model/entity_form.hpp):
// one per distinct (attribute, key) over every scalar a q term on the top-level attribute can
// compare, exactly as q resolves it (model/query/q_target.cpp): the value member of each
// instance chosen by its type (Property and GeoProperty "value", Relationship "object",
// ListRelationship "objectList", ListProperty "valueList", VocabProperty "vocab",
// JsonProperty "json", LanguageProperty every language's string), an array contributing
// each element and a JSON-LD value object {"@value": x} contributing x. Listing less than q
// can match would make index scans miss entities.
std::vector<store::ValueEntry> value_entries(const boost::json::object& entity);

}  // namespace citytwin::core
