#include "key_codec.hpp"

#include "byte_codec.hpp"

namespace citytwin::store::kv {
namespace {

constexpr char kEscape = '\x00';
constexpr char kEscapedZero = '\xFF';
constexpr char kTerminator = '\x01';

}  // namespace

void append_component(std::string& key, std::string_view part) {
  // By runs between NUL bytes (memchr; names rarely hold one): a key is built for every
  // index entry of every write, and appending byte by byte cost more than the rest of it.
  for (;;) {
    std::size_t zero = part.find(kEscape);
    if (zero == std::string_view::npos) break;
    key.append(part.substr(0, zero + 1));
    key.push_back(kEscapedZero);
    part.remove_prefix(zero + 1);
  }
  key.append(part);
  key.push_back(kEscape);
  key.push_back(kTerminator);
}

std::optional<std::string> read_component(std::string_view& in) {
  std::string part;
  for (;;) {
    std::size_t zero = in.find(kEscape);  // memchr: names rarely contain NUL
    if (zero == std::string_view::npos || zero + 1 >= in.size()) return std::nullopt;
    part.append(in.substr(0, zero));
    char marker = in[zero + 1];
    in.remove_prefix(zero + 2);
    if (marker == kTerminator) return part;
    if (marker != kEscapedZero) return std::nullopt;
    part.push_back(kEscape);
  }
}

std::string prefix_successor(std::string_view prefix) {
  std::string bound(prefix);
  while (!bound.empty() && static_cast<unsigned char>(bound.back()) == 0xFF) bound.pop_back();
  if (!bound.empty())
    bound.back() = static_cast<char>(static_cast<unsigned char>(bound.back()) + 1);
  return bound;
}

std::string tenant_prefix(std::string_view tenant) {
  std::string key;
  append_component(key, tenant);
  return key;
}

std::string entity_key(std::string_view tenant, std::string_view id) {
  std::string key;
  key.reserve(tenant.size() + id.size() + 2);
  append_component(key, tenant);
  key.append(id);
  return key;
}

std::string term_prefix(std::string_view tenant, std::string_view term) {
  std::string key = tenant_prefix(tenant);
  append_component(key, term);
  return key;
}

std::string term_key(std::string_view tenant, std::string_view term, std::string_view id) {
  std::string key = term_prefix(tenant, term);
  key.append(id);
  return key;
}

std::optional<TermKey> decode_term_key(std::string_view key) {
  std::string_view rest = key;
  auto tenant = read_component(rest);
  auto term = tenant ? read_component(rest) : std::nullopt;
  if (!term) return std::nullopt;
  return TermKey{std::move(*tenant), std::move(*term), key.size() - rest.size()};
}

std::string value_index_key(std::string_view tenant, std::string_view attribute,
                            std::string_view value_key, std::string_view id) {
  std::string key;
  key.reserve(tenant.size() + attribute.size() + value_key.size() + id.size() + 6);
  append_component(key, tenant);
  append_component(key, attribute);
  append_component(key, value_key);
  key.append(id);
  return key;
}

std::optional<std::string_view> value_index_id(std::string_view suffix) {
  if (!read_component(suffix)) return std::nullopt;
  return suffix;
}

std::string geo_key(std::string_view tenant, std::string_view attribute, std::string_view id,
                    std::uint32_t n) {
  std::string key = term_prefix(tenant, attribute);
  append_component(key, id);
  for (int shift = 24; shift >= 0; shift -= 8)
    key.push_back(static_cast<char>((n >> shift) & 0xFF));
  return key;
}

std::optional<GeoKey> decode_geo_key(std::string_view key) {
  std::string_view rest = key;
  auto tenant = read_component(rest);
  auto attribute = tenant ? read_component(rest) : std::nullopt;
  auto suffix = attribute ? decode_geo_key_suffix(rest) : std::nullopt;
  if (!suffix) return std::nullopt;
  return GeoKey{std::move(*tenant), std::move(*attribute), std::move(suffix->id), suffix->n,
                key.size() - rest.size()};
}

std::optional<GeoKeySuffix> decode_geo_key_suffix(std::string_view suffix) {
  auto id = read_component(suffix);
  if (!id || suffix.size() != 4) return std::nullopt;
  std::uint32_t n = 0;
  for (char c : suffix) n = (n << 8) | static_cast<unsigned char>(c);
  return GeoKeySuffix{std::move(*id), n};
}

std::string encode_box(const Box& box) {
  std::string value;
  value.reserve(32);
  put_double(value, box.min_x);
  put_double(value, box.min_y);
  put_double(value, box.max_x);
  put_double(value, box.max_y);
  return value;
}

std::optional<Box> decode_box(std::string_view value) {
  if (value.size() != 32) return std::nullopt;
  Box box;
  box.min_x = *get_double(value);
  box.min_y = *get_double(value);
  box.max_x = *get_double(value);
  box.max_y = *get_double(value);
  return box;
}

std::string count_key(std::string_view tenant, CountKind kind, std::string_view term) {
  std::string key = count_prefix(tenant, kind);
  key.append(term);
  return key;
}

std::string count_prefix(std::string_view tenant, CountKind kind) {
  std::string key = tenant_prefix(tenant);
  key.push_back(static_cast<char>(kind));
  return key;
}

std::string encode_counter(std::int64_t value) {
  std::string encoded;
  put_fixed64(encoded, static_cast<std::uint64_t>(value));
  return encoded;
}

std::optional<std::int64_t> decode_counter(std::string_view value) {
  if (value.size() != 8) return std::nullopt;
  return static_cast<std::int64_t>(*get_fixed64(value));
}

std::string document_prefix(std::string_view ns) {
  return tenant_prefix(ns);
}

std::string document_key(std::string_view ns, std::string_view key) {
  std::string encoded = document_prefix(ns);
  encoded.append(key);
  return encoded;
}

}  // namespace citytwin::store::kv
