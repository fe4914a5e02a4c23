#include "meta_codec.hpp"

#include <algorithm>

#include "byte_codec.hpp"

namespace citytwin::store::kv {
namespace {

constexpr char kFormatVersion = 1;

std::vector<std::string> sorted_unique(std::vector<std::string> terms) {
  std::sort(terms.begin(), terms.end());
  terms.erase(std::unique(terms.begin(), terms.end()), terms.end());
  return terms;
}

void put_strings(std::string& out, const std::vector<std::string>& strings) {
  put_varint(out, strings.size());
  for (const std::string& text : strings) put_length_prefixed(out, text);
}

std::optional<std::vector<std::string>> get_strings(std::string_view& in) {
  auto count = get_varint(in);
  if (!count || *count > in.size()) return std::nullopt;  // each string takes >= 1 byte
  std::vector<std::string> strings;
  strings.reserve(*count);
  for (std::uint64_t i = 0; i < *count; ++i) {
    auto text = get_length_prefixed(in);
    if (!text) return std::nullopt;
    strings.push_back(std::move(*text));
  }
  return strings;
}

std::optional<GeoEntry> get_geo_entry(std::string_view& in) {
  GeoEntry entry;
  auto attribute = get_length_prefixed(in);
  if (!attribute) return std::nullopt;
  entry.attribute = std::move(*attribute);
  double* coordinates[] = {&entry.box.min_x, &entry.box.min_y, &entry.box.max_x, &entry.box.max_y};
  for (double* coordinate : coordinates) {
    auto value = get_double(in);
    if (!value) return std::nullopt;
    *coordinate = *value;
  }
  return entry;
}

}  // namespace

bool same_geo(const std::vector<GeoEntry>& a, const std::vector<GeoEntry>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const GeoEntry& x, const GeoEntry& y) {
                      return x.attribute == y.attribute && x.box.min_x == y.box.min_x &&
                             x.box.min_y == y.box.min_y && x.box.max_x == y.box.max_x &&
                             x.box.max_y == y.box.max_y;
                    });
}

bool operator==(const EntityMeta& a, const EntityMeta& b) {
  return a.types == b.types && a.attributes == b.attributes && same_geo(a.geo, b.geo);
}

EntityMeta meta_of(const EntityRecord& record) {
  return EntityMeta{sorted_unique(record.types), sorted_unique(record.attributes), record.geo};
}

std::string encode_meta(const EntityMeta& meta) {
  std::string out;
  out.push_back(kFormatVersion);
  put_strings(out, meta.types);
  put_strings(out, meta.attributes);
  put_varint(out, meta.geo.size());
  for (const GeoEntry& entry : meta.geo) {
    put_length_prefixed(out, entry.attribute);
    put_double(out, entry.box.min_x);
    put_double(out, entry.box.min_y);
    put_double(out, entry.box.max_x);
    put_double(out, entry.box.max_y);
  }
  return out;
}

std::optional<EntityMeta> decode_meta(std::string_view in) {
  if (in.empty() || in.front() != kFormatVersion) return std::nullopt;
  in.remove_prefix(1);
  EntityMeta meta;
  auto types = get_strings(in);
  auto attributes = types ? get_strings(in) : std::nullopt;
  auto geo_count = attributes ? get_varint(in) : std::nullopt;
  if (!geo_count || *geo_count > in.size()) return std::nullopt;
  meta.types = std::move(*types);
  meta.attributes = std::move(*attributes);
  for (std::uint64_t i = 0; i < *geo_count; ++i) {
    auto entry = get_geo_entry(in);
    if (!entry) return std::nullopt;
    meta.geo.push_back(std::move(*entry));
  }
  if (!in.empty()) return std::nullopt;
  return meta;
}

}  // namespace citytwin::store::kv
