#include "meta_codec.hpp"

#include <algorithm>

#include "byte_codec.hpp"

namespace citytwin::store::kv {
namespace {

constexpr char kLegacyFormat = 1;  // no values
constexpr char kFormatVersion = 2;

template <class T>
std::vector<T> sorted_unique(std::vector<T> terms) {
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

// Groups consecutive entries of one attribute so that each IRI is written once.
void put_values(std::string& out, const std::vector<ValueEntry>& values) {
  std::vector<std::pair<std::size_t, std::size_t>> groups;  // [begin, end) of each attribute
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i == 0 || values[i].attribute != values[i - 1].attribute) groups.emplace_back(i, i);
    groups.back().second = i + 1;
  }
  put_varint(out, groups.size());
  for (auto [begin, end] : groups) {
    put_length_prefixed(out, values[begin].attribute);
    put_varint(out, end - begin);
    for (std::size_t i = begin; i < end; ++i) put_length_prefixed(out, values[i].key);
  }
}

std::optional<std::vector<ValueEntry>> get_values(std::string_view& in) {
  auto groups = get_varint(in);
  if (!groups || *groups > in.size()) return std::nullopt;
  std::vector<ValueEntry> values;
  for (std::uint64_t g = 0; g < *groups; ++g) {
    auto attribute = get_length_prefixed(in);
    auto keys = attribute ? get_strings(in) : std::nullopt;
    if (!keys) return std::nullopt;
    for (std::string& key : *keys) values.push_back(ValueEntry{*attribute, std::move(key)});
  }
  return values;
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
  return a.types == b.types && a.attributes == b.attributes && same_geo(a.geo, b.geo) &&
         a.values == b.values && a.legacy == b.legacy;
}

EntityMeta meta_of(const EntityRecord& record) {
  return EntityMeta{sorted_unique(record.types), sorted_unique(record.attributes), record.geo,
                    sorted_unique(record.values), false};
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
  put_values(out, meta.values);
  return out;
}

std::optional<EntityMeta> decode_meta(std::string_view in) {
  if (in.empty() || (in.front() != kFormatVersion && in.front() != kLegacyFormat)) {
    return std::nullopt;
  }
  EntityMeta meta;
  meta.legacy = in.front() == kLegacyFormat;
  in.remove_prefix(1);
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
  if (!meta.legacy) {
    auto values = get_values(in);
    if (!values) return std::nullopt;
    meta.values = std::move(*values);
  }
  if (!in.empty()) return std::nullopt;
  return meta;
}

}  // namespace citytwin::store::kv
