#include "history_codec.hpp"

#include "key_codec.hpp"

namespace citytwin::store::kv {
namespace {

constexpr std::uint64_t kSignBit = std::uint64_t{1} << 63;
constexpr char kDeletedFlag = 1;
constexpr char kObservedFlag = 2;

void append_be64(std::string& out, std::uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(value >> shift));
}

std::uint64_t read_be64(std::string_view in) {
  std::uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | static_cast<unsigned char>(in[i]);
  return value;
}

// Signed microseconds in an order-preserving unsigned form.
std::uint64_t ordered(std::int64_t micros) {
  return static_cast<std::uint64_t>(micros) ^ kSignBit;
}

std::int64_t unordered(std::uint64_t bits) {
  return static_cast<std::int64_t>(bits ^ kSignBit);
}

}  // namespace

std::string history_entity_prefix(std::string_view tenant, std::string_view entity) {
  std::string key = tenant_prefix(tenant);
  append_component(key, entity);
  return key;
}

void append_history_attribute(std::string& key, std::string_view attribute) {
  append_component(key, attribute);
}

void append_history_dataset(std::string& key, std::string_view dataset_id) {
  append_component(key, dataset_id);
}

void append_history_instant(std::string& key, std::int64_t micros) {
  append_be64(key, ordered(micros));
}

std::string history_key(std::string_view tenant, std::string_view entity,
                        const HistorySample& sample, std::uint64_t sequence) {
  // Four components (two terminator bytes each), then the instant and the sequence (8 each).
  std::string key;
  key.reserve(tenant.size() + entity.size() + sample.attribute.size() + sample.dataset_id.size() +
              4 * 2 + 8 + 8);
  append_component(key, tenant);
  append_component(key, entity);
  append_history_attribute(key, sample.attribute);
  append_history_dataset(key, sample.dataset_id);
  append_history_instant(key, sample.modified_at);
  append_be64(key, sequence);
  return key;
}

std::string history_sample_key(std::string_view instance_prefix, std::int64_t modified_at,
                               std::uint64_t sequence) {
  std::string key(instance_prefix);
  append_history_instant(key, modified_at);
  append_be64(key, sequence);
  return key;
}

std::optional<HistoryPoint> decode_history_point(std::string_view key,
                                                 std::size_t instance_prefix_size) {
  if (key.size() != instance_prefix_size + 16) return std::nullopt;
  std::string_view rest = key.substr(instance_prefix_size);
  return HistoryPoint{unordered(read_be64(rest)), read_be64(rest.substr(8))};
}

std::optional<HistoryKeySuffix> decode_history_suffix(std::string_view suffix) {
  std::string_view rest = suffix;
  auto attribute = read_component(rest);
  auto dataset = attribute ? read_component(rest) : std::nullopt;
  if (!dataset || rest.size() != 16) return std::nullopt;
  HistoryKeySuffix decoded;
  decoded.attribute = std::move(*attribute);
  decoded.dataset_id = std::move(*dataset);
  decoded.instance_prefix_size = suffix.size() - rest.size();
  decoded.modified_at = unordered(read_be64(rest));
  decoded.sequence = read_be64(rest.substr(8));
  return decoded;
}

std::string encode_history_value(const HistorySample& sample) {
  std::string value;
  value.reserve(sample.instance.size() + 9);
  char flags = (sample.deleted ? kDeletedFlag : 0) | (sample.observed_at ? kObservedFlag : 0);
  value.push_back(flags);
  if (sample.observed_at) append_be64(value, ordered(*sample.observed_at));
  value.append(sample.instance);
  return value;
}

bool decode_history_value(std::string_view value, HistorySample& sample) {
  if (value.empty()) return false;
  char flags = value.front();
  if ((flags & ~(kDeletedFlag | kObservedFlag)) != 0) return false;
  value.remove_prefix(1);
  sample.deleted = (flags & kDeletedFlag) != 0;
  sample.observed_at.reset();
  if ((flags & kObservedFlag) != 0) {
    if (value.size() < 8) return false;
    sample.observed_at = unordered(read_be64(value));
    value.remove_prefix(8);
  }
  sample.instance = std::string(value);
  return true;
}

}  // namespace citytwin::store::kv
