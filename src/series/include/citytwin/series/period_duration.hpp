#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "citytwin/common/result.hpp"

namespace citytwin::series {

// An aggregation period (NGSI-LD aggrPeriodDuration, ETSI GS CIM 009 clause 4.5.19): a
// calendar part in months (years count 12) and a fixed part in microseconds (weeks, days,
// hours, minutes, seconds; a day is 24 h because periods are counted in UTC, which has no
// daylight saving). Zero means "the whole requested time range is one period".
struct PeriodDuration {
  std::int64_t months = 0;
  std::int64_t micros = 0;

  bool is_zero() const { return months == 0 && micros == 0; }
  bool operator==(const PeriodDuration&) const = default;
};

// Parses the ISO 8601 duration forms the specification allows: PnYnMnDTnHnMnS (every
// element optional, at least one present, in that order; 'T' only before a time element)
// and PnW alone. Numbers are unsigned decimal integers; the seconds may carry a fraction of
// up to 6 digits. Negative durations and the alternative date-time form (P0001-02-03...)
// are rejected, as the specification says. Errors are kBadRequestData with the reason.
Result<PeriodDuration> parse_period_duration(std::string_view text);

// `time` (µs since the epoch, UTC) moved by `months` calendar months, the day of month
// clamped to the target month's last day (Jan 31 + 1 month = Feb 28 or 29). false when the
// date leaves the years ±30000.
bool add_calendar_months(std::int64_t time, std::int64_t months, std::int64_t& out);
// `time` moved back by `period`: its months by the calendar, then its fixed part. nullopt
// outside the supported years.
std::optional<std::int64_t> before_by(std::int64_t time, const PeriodDuration& period);

}  // namespace citytwin::series
