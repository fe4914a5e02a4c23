#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "citytwin/common/instance_layout.hpp"

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
  // Tells apart samples of one instance with the same modified_at; with modified_at it
  // identifies the sample (the temporal API's instanceId). Reads fill it. Writes: 0 lets the
  // store number the sample; another value overwrites that sample (PATCH of an instance).
  std::uint64_t sequence = 0;
  // Where the members of `instance` lie, when its writer says (bulk import); a hint for the
  // chunk encoder only, so not part of what the sample is (operator== ignores it).
  InstanceLayout layout;

  friend bool operator==(const HistorySample& a, const HistorySample& b) {
    return a.attribute == b.attribute && a.dataset_id == b.dataset_id &&
           a.modified_at == b.modified_at && a.observed_at == b.observed_at &&
           a.deleted == b.deleted && a.instance == b.instance && a.sequence == b.sequence;
  }
};

// Recorded history to remove (the temporal API's DELETE operations, GS CIM 009 clause 5.6,
// and retention): the entity's whole history, one attribute's, one instance's (datasetId, ""
// for the default instance) or one sample's; with `before`, only the samples of that scope
// modified before it.
struct HistoryErase {
  std::string attribute;                  // "": every attribute (and the types)
  std::optional<std::string> dataset_id;  // with attribute: only this instance
  struct Sample {
    std::int64_t modified_at = 0;
    std::uint64_t sequence = 0;
  };
  std::optional<Sample> sample;  // with dataset_id: only this sample
  // Not with `sample`: only samples with modified_at < before (µs since the epoch).
  std::optional<std::int64_t> before;
};

// Samples with modified_at in [from, to).
struct HistoryRange {
  std::int64_t from = std::numeric_limits<std::int64_t>::min();
  std::int64_t to = std::numeric_limits<std::int64_t>::max();
};

}  // namespace citytwin::store
