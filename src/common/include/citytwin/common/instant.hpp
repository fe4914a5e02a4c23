#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace citytwin {

// A point in time: microseconds since the Unix epoch, UTC.
struct Instant {
  std::int64_t micros = 0;
  auto operator<=>(const Instant&) const = default;
};

// Parses an ISO 8601 / RFC 3339 date-time such as "2026-11-22T10:15:30.123Z" or
// "2026-11-22T10:15:30+02:00". A missing zone means UTC. Returns nullopt when malformed.
std::optional<Instant> parse_date_time(std::string_view text);

// Parses an ISO 8601 calendar date "YYYY-MM-DD" as midnight UTC.
std::optional<Instant> parse_date(std::string_view text);

// Parses an ISO 8601 time of day "HH:MM:SS[.fff][Z]" as microseconds since midnight.
std::optional<std::int64_t> parse_time_of_day(std::string_view text);

// Formats as "YYYY-MM-DDTHH:MM:SS.mmmZ" (6 fraction digits when sub-millisecond digits exist).
std::string format_date_time(Instant instant);

}  // namespace citytwin
