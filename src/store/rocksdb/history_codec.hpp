#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "citytwin/store/history.hpp"

// Keys and values of the `history` column family (raw samples, docs/storage.md):
//   tenant | entity | attribute | dataset id (all components) | modified_at | sequence
// modified_at is 8 bytes big-endian with the sign bit flipped (byte order = time order);
// sequence (8 bytes big-endian) tells apart two samples of one instance stamped in the same
// microsecond. So one prefix scan reads an entity's, an attribute's or an instance's history,
// each instance's samples in time order.
// Value: one flags byte (1 = deleted, 2 = has observed_at), observed_at (8 bytes big-endian,
// sign bit flipped) when flagged, then the instance's stored-form JSON.
namespace citytwin::store::kv {

std::string history_entity_prefix(std::string_view tenant, std::string_view entity);
// Appends the attribute (and, with a dataset id, the instance) part of a key.
void append_history_attribute(std::string& key, std::string_view attribute);
void append_history_dataset(std::string& key, std::string_view dataset_id);
void append_history_instant(std::string& key, std::int64_t micros);
std::string history_key(std::string_view tenant, std::string_view entity,
                        const HistorySample& sample, std::uint64_t sequence);
// The key of a sample (or of the chunk starting with it) under an instance's prefix
// (tenant|entity|attribute|dataset).
std::string history_sample_key(std::string_view instance_prefix, std::int64_t modified_at,
                               std::uint64_t sequence);

// Where a key sits inside its instance: the last 16 bytes of a history or chunk key.
struct HistoryPoint {
  std::int64_t modified_at = 0;
  std::uint64_t sequence = 0;
  friend auto operator<=>(const HistoryPoint&, const HistoryPoint&) = default;
};
// nullopt unless `key` is exactly `instance_prefix_size` bytes plus a point.
std::optional<HistoryPoint> decode_history_point(std::string_view key,
                                                 std::size_t instance_prefix_size);

// The part of a key after history_entity_prefix().
struct HistoryKeySuffix {
  std::string attribute;
  std::string dataset_id;
  std::int64_t modified_at = 0;
  std::uint64_t sequence = 0;
  std::size_t instance_prefix_size = 0;  // bytes of the attribute and dataset components
};
std::optional<HistoryKeySuffix> decode_history_suffix(std::string_view suffix);

std::string encode_history_value(const HistorySample& sample);
// Fills observed_at, deleted and instance of `sample`; false when malformed.
bool decode_history_value(std::string_view value, HistorySample& sample);

}  // namespace citytwin::store::kv
