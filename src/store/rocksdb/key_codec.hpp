#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "citytwin/store/entity_store.hpp"

// Keys of every column family (layout in docs/storage.md).
//
// Names (tenants, ids, IRIs, namespaces) are arbitrary bytes. Every part except the last of
// a key is written as a *component*: each 0x00 byte becomes 0x00 0xFF and the part ends with
// 0x00 0x01. That encoding is prefix-free (tenant "a" = 61 00 01 is not a prefix of tenant
// "ab" = 61 62 00 01, nor of "a\0" = 61 00 FF 00 01) and preserves byte order, so a prefix
// scan never leaks into a neighbouring tenant or term. The last part (usually the entity id)
// is appended raw, which keeps ids in ascending byte order within a prefix.
namespace citytwin::store::kv {

void append_component(std::string& key, std::string_view part);
// Reads one component from the front of `in` and advances past it; nullopt if malformed.
std::optional<std::string> read_component(std::string_view& in);

// The smallest key greater than every key that starts with `prefix`, for an iterator's upper
// bound. Every prefix built here ends with a component terminator or a kind byte below 0xFF,
// so the result is never empty.
std::string prefix_successor(std::string_view prefix);

// entities, entity_meta: tenant | id
std::string tenant_prefix(std::string_view tenant);
std::string entity_key(std::string_view tenant, std::string_view id);

// type_index, attr_index: tenant | term | id (value empty)
std::string term_prefix(std::string_view tenant, std::string_view term);
std::string term_key(std::string_view tenant, std::string_view term, std::string_view id);
// The tenant and term of a term key; its id is the key's last id_size bytes.
struct TermKey {
  std::string tenant;
  std::string term;
  std::size_t term_prefix_size = 0;  // bytes of the key taken by tenant|term
};
std::optional<TermKey> decode_term_key(std::string_view key);

// value_index: tenant | attribute | value key | id (value empty). The value key is a
// component, so keys of one attribute sort by value key, then by id.
std::string value_index_key(std::string_view tenant, std::string_view attribute,
                            std::string_view value_key, std::string_view id);
// The id of a value_index key once its tenant|attribute prefix is removed.
std::optional<std::string_view> value_index_id(std::string_view suffix);
// The key, outside every tenant's range, whose presence says that every entity written
// before the value index existed has been counted in the kLegacy counters.
inline constexpr std::string_view kValueIndexMigratedKey = "";

// geo: tenant | attribute | id | n (4 bytes big-endian), value: the box as 4 doubles
std::string geo_key(std::string_view tenant, std::string_view attribute, std::string_view id,
                    std::uint32_t n);
struct GeoKey {
  std::string tenant;
  std::string attribute;
  std::string id;
  std::uint32_t n = 0;
  std::size_t term_prefix_size = 0;  // bytes of the key taken by tenant|attribute
};
std::optional<GeoKey> decode_geo_key(std::string_view key);
// The id and n of a geo key whose tenant|attribute prefix is already known (keys arrive
// sorted, so a scan decodes the prefix once per (tenant, attribute)).
struct GeoKeySuffix {
  std::string id;
  std::uint32_t n = 0;
};
std::optional<GeoKeySuffix> decode_geo_key_suffix(std::string_view suffix);
std::string encode_box(const Box& box);
std::optional<Box> decode_box(std::string_view value);

// counts: tenant | kind byte | term (empty for kEntities), value: a signed 64-bit counter
// maintained by the counter merge operator.
// kLegacy counts the tenant's entities whose meta predates the value index (format 1): they
// have no value_index keys, so the value index cannot answer for the tenant while it is > 0.
enum class CountKind : char { kEntities = 'e', kType = 't', kAttribute = 'a', kLegacy = 'l' };
std::string count_key(std::string_view tenant, CountKind kind, std::string_view term);
std::string count_prefix(std::string_view tenant, CountKind kind);
std::string encode_counter(std::int64_t value);  // 8 bytes, two's complement little-endian
std::optional<std::int64_t> decode_counter(std::string_view value);

// documents: namespace | key
std::string document_prefix(std::string_view ns);
std::string document_key(std::string_view ns, std::string_view key);

}  // namespace citytwin::store::kv
