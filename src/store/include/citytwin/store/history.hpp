#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

namespace citytwin::store {

// One recorded state of one attribute instance, the unit of the temporal representation of
// entities (GS CIM 009 clause 4.5.7: every change of an instance is kept with its instants).
// The store keeps the instance as opaque stored-form JSON; core decides what it means.
struct HistorySample {
  std::string attribute;                    // expanded attribute name
  std::string dataset_id;                   // "" for the default instance
  std::int64_t modified_at = 0;             // microseconds since the epoch; orders an instance
  std::optional<std::int64_t> observed_at;  // microseconds, when the instance has observedAt
  bool deleted = false;                     // the instance was deleted at modified_at
  std::string instance;                     // stored-form JSON; empty when deleted

  friend bool operator==(const HistorySample&, const HistorySample&) = default;
};

// Samples with modified_at in [from, to).
struct HistoryRange {
  std::int64_t from = std::numeric_limits<std::int64_t>::min();
  std::int64_t to = std::numeric_limits<std::int64_t>::max();
};

}  // namespace citytwin::store
