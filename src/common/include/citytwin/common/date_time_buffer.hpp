#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "citytwin/common/instant.hpp"

namespace citytwin {

// format_date_time (instant.hpp) into a caller's buffer, without allocating: the history
// formats several instants for every sample it records or packs.
using DateTimeBuffer = std::array<char, 48>;
std::string_view format_date_time(Instant instant, DateTimeBuffer& buffer);

// The same text for a run of instants mostly within one second or one day of each other
// (the modifiedAt of a history import's samples, a microsecond apart; the bounds of a day's
// hourly periods): within the second of the previous one, only the fraction is written
// again, within its UTC day only the time of day. The view lasts until the next call.
class DateTimeFormatter {
 public:
  std::string_view format(Instant instant);

 private:
  DateTimeBuffer buffer_{};
  std::int64_t second_ = 0;
  bool reusable_ = false;  // buffer_ holds second_ with a four-digit year
};

}  // namespace citytwin
