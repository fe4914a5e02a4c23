#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "citytwin/common/result.hpp"
#include "citytwin/series/number_summary.hpp"

namespace citytwin::core {

// The stored form of downsampled rollups (docs/timeseries.md, "Rollups"): one document per
// attribute instance and UTC day of observedAt, holding one row per hour (or one for the
// day) of what the samples observed in that hour were.

inline constexpr std::int64_t kHourMicros = 3'600'000'000;
inline constexpr std::int64_t kDayMicros = 24 * kHourMicros;

enum class RollupResolution : std::uint8_t { kHour = 0, kDay = 1 };

// The width of one row.
std::int64_t resolution_micros(RollupResolution resolution);
// The UTC day (its start, µs) that holds `time`.
std::int64_t day_start(std::int64_t time);

// What the selected samples (non-deleted, with observedAt) of one row's period were: numbers
// summarized exactly; any other value (text, boolean, JSON, a Relationship's object) only
// counted, which makes the row unable to answer (the query reads raw history instead).
struct RollupRow {
  std::uint8_t slot = 0;          // hour of the day (hourly) or 0
  series::NumberSummary numbers;  // plain numbers
  std::uint64_t others = 0;       // selected samples that are not plain numbers
  std::int64_t newest = 0;        // observedAt of the newest sample counted
  std::string type;               // its attribute type ("Property"), for the answer's "type"

  bool empty() const { return numbers.count == 0 && others == 0; }
  // Adds another summary of the same period.
  void merge(const RollupRow& other);
};

// One attribute instance's rollups for one UTC day. `rows` answer queries: the samples still
// in raw history plus `archived`, the summaries of samples retention already erased from the
// raw history (they can no longer be recomputed, so a rebuild keeps them).
struct RollupDay {
  RollupResolution resolution = RollupResolution::kHour;
  std::vector<RollupRow> rows;      // ascending slots, none empty
  std::vector<RollupRow> archived;  // ascending slots, none empty

  bool empty() const { return rows.empty() && archived.empty(); }
};

std::string encode_rollup_day(const RollupDay& day);
Result<RollupDay> decode_rollup_day(std::string_view bytes);

// Rows laid out per slot while summaries are collected.
class RowSet {
 public:
  explicit RowSet(RollupResolution resolution) : resolution_(resolution) {}
  RollupRow& at(std::uint8_t slot);
  RollupRow& at_time(std::int64_t time) {
    return at(static_cast<std::uint8_t>((time - day_start(time)) / resolution_micros(resolution_)));
  }
  // Each row merged in (coarsened into the one daily row when `rows` are hourly and this
  // set is daily).
  void merge(const std::vector<RollupRow>& rows, RollupResolution from);
  std::vector<RollupRow> take();

 private:
  RollupResolution resolution_;
  std::vector<RollupRow> rows_ = std::vector<RollupRow>(24);
};

}  // namespace citytwin::core
