// ISO 8601 text from clients: date-times (observedAt, timeAt/endTimeAt, DateTime values),
// dates, times of day, and the aggregation period durations (aggrPeriodDuration, clause
// 4.5.19). Parsers must return a value or an error; a parsed date-time must survive the
// round trip through the stored form (format_date_time), as stored times compare as strings.

#include "citytwin/common/instant.hpp"
#include "citytwin/series/period_duration.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace citytwin;

// 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z: the instants format_date_time
// writes with a four-digit year, which is all parse_date_time reads.
constexpr std::int64_t kFirstFormattable = -62'167'219'200'000'000;
constexpr std::int64_t kLastFormattable = 253'402'300'799'999'999;

void check_round_trip(Instant instant, std::string_view input) {
  if (instant.micros < kFirstFormattable || instant.micros > kLastFormattable) return;
  std::string stored = format_date_time(instant);
  auto again = parse_date_time(stored);
  if (!again || *again != instant) fuzz::fail("date-time round trip", input);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text = fuzz::as_text(data, size);
  if (auto instant = parse_date_time(text)) check_round_trip(*instant, text);
  if (auto date = parse_date(text)) check_round_trip(*date, text);
  if (auto time = parse_time_of_day(text)) {
    if (*time < 0 || *time >= 86'400'000'000) fuzz::fail("time of day out of range", text);
  }
  if (auto period = series::parse_period_duration(text); period.ok()) {
    if (period->months < 0 || period->micros < 0) fuzz::fail("negative period", text);
  }
  return 0;
}
