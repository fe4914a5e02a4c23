#include "citytwin/common/instant.hpp"

#include <chrono>
#include <cstdio>

#include "citytwin/common/date_time_buffer.hpp"

namespace citytwin {
namespace {

class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}

  bool digits(int count, int& out) {
    if (pos_ + count > text_.size()) return false;
    int value = 0;
    for (int i = 0; i < count; ++i) {
      char c = text_[pos_ + i];
      if (c < '0' || c > '9') return false;
      value = value * 10 + (c - '0');
    }
    pos_ += count;
    out = value;
    return true;
  }
  bool consume(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool at_end() const { return pos_ == text_.size(); }
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

  // Fractional seconds after '.' or ','; keeps microsecond precision, ignores further digits.
  bool fraction(std::int64_t& micros) {
    micros = 0;
    if (!consume('.') && !consume(',')) return true;
    int count = 0;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      if (count < 6) micros = micros * 10 + (text_[pos_] - '0');
      ++count;
      ++pos_;
    }
    if (count == 0) return false;
    for (int i = count; i < 6; ++i) micros *= 10;
    return true;
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

bool valid_date(int year, int month, int day) {
  using namespace std::chrono;
  return year_month_day{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                        std::chrono::day{static_cast<unsigned>(day)}}
      .ok();
}

std::int64_t days_since_epoch(int year, int month, int day) {
  using namespace std::chrono;
  sys_days days =
      year_month_day{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                     std::chrono::day{static_cast<unsigned>(day)}};
  return days.time_since_epoch().count();
}

bool parse_calendar_date(Cursor& cursor, std::int64_t& days) {
  int year = 0, month = 0, day = 0;
  if (!cursor.digits(4, year) || !cursor.consume('-') || !cursor.digits(2, month) ||
      !cursor.consume('-') || !cursor.digits(2, day)) {
    return false;
  }
  if (!valid_date(year, month, day)) return false;
  days = days_since_epoch(year, month, day);
  return true;
}

// "HH:MM[:SS[.fff]]" → microseconds since midnight.
bool parse_clock_time(Cursor& cursor, std::int64_t& micros) {
  int hour = 0, minute = 0, second = 0;
  if (!cursor.digits(2, hour) || !cursor.consume(':') || !cursor.digits(2, minute)) return false;
  std::int64_t fraction = 0;
  if (cursor.consume(':')) {
    if (!cursor.digits(2, second) || !cursor.fraction(fraction)) return false;
  }
  if (hour > 24 || minute > 59 || second > 60) return false;
  if (hour == 24 && (minute != 0 || second != 0 || fraction != 0)) return false;
  micros = ((hour * 60LL + minute) * 60LL + second) * 1000000LL + fraction;
  return true;
}

// "Z", "+HH:MM", "-HH:MM", "+HHMM" or nothing → offset in microseconds east of UTC.
bool parse_zone(Cursor& cursor, std::int64_t& offset_micros) {
  offset_micros = 0;
  if (cursor.at_end() || cursor.consume('Z') || cursor.consume('z')) return true;
  int sign = 0;
  if (cursor.consume('+')) {
    sign = 1;
  } else if (cursor.consume('-')) {
    sign = -1;
  } else {
    return false;
  }
  int hours = 0, minutes = 0;
  if (!cursor.digits(2, hours)) return false;
  cursor.consume(':');
  if (!cursor.at_end() && !cursor.digits(2, minutes)) return false;
  if (hours > 23 || minutes > 59) return false;
  offset_micros = sign * (hours * 60LL + minutes) * 60LL * 1000000LL;
  return true;
}

}  // namespace

std::optional<Instant> parse_date_time(std::string_view text) {
  Cursor cursor(text);
  std::int64_t days = 0, time = 0, offset = 0;
  if (!parse_calendar_date(cursor, days)) return std::nullopt;
  if (!cursor.consume('T') && !cursor.consume('t') && !cursor.consume(' ')) return std::nullopt;
  if (!parse_clock_time(cursor, time) || !parse_zone(cursor, offset) || !cursor.at_end()) {
    return std::nullopt;
  }
  return Instant{days * 86400LL * 1000000LL + time - offset};
}

std::optional<Instant> parse_date(std::string_view text) {
  Cursor cursor(text);
  std::int64_t days = 0;
  if (!parse_calendar_date(cursor, days) || !cursor.at_end()) return std::nullopt;
  return Instant{days * 86400LL * 1000000LL};
}

std::optional<std::int64_t> parse_time_of_day(std::string_view text) {
  Cursor cursor(text);
  std::int64_t time = 0, offset = 0;
  if (!parse_clock_time(cursor, time) || !parse_zone(cursor, offset) || !cursor.at_end()) {
    return std::nullopt;
  }
  constexpr std::int64_t kDay = 86400LL * 1000000LL;
  return ((time - offset) % kDay + kDay) % kDay;
}

namespace {

// Writes `value` as exactly `width` decimal digits (zero-padded) at `out`.
char* put_digits(char* out, std::int64_t value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return out + width;
}

}  // namespace

// Written by hand, not with snprintf: every recorded sample formats several instants, and
// snprintf's format parsing was a quarter of the ingestion path (callgrind, docs/performance.md).
std::string_view format_date_time(Instant instant, DateTimeBuffer& buffer) {
  using namespace std::chrono;
  constexpr std::int64_t kDay = 86400LL * 1000000LL;
  std::int64_t days = instant.micros / kDay;
  std::int64_t rest = instant.micros % kDay;
  if (rest < 0) {
    rest += kDay;
    --days;
  }
  year_month_day ymd{sys_days{std::chrono::days{days}}};
  std::int64_t seconds = rest / 1000000;
  std::int64_t micros = rest % 1000000;
  int year = static_cast<int>(ymd.year());
  char* out = buffer.data();
  if (year >= 0 && year <= 9999) {
    out = put_digits(out, year, 4);
  } else {
    out += std::snprintf(out, 16, "%04d", year);  // outside ISO 8601's four digits: rare
  }
  *out++ = '-';
  out = put_digits(out, static_cast<unsigned>(ymd.month()), 2);
  *out++ = '-';
  out = put_digits(out, static_cast<unsigned>(ymd.day()), 2);
  *out++ = 'T';
  out = put_digits(out, seconds / 3600, 2);
  *out++ = ':';
  out = put_digits(out, seconds / 60 % 60, 2);
  *out++ = ':';
  out = put_digits(out, seconds % 60, 2);
  *out++ = '.';
  out = micros % 1000 == 0 ? put_digits(out, micros / 1000, 3) : put_digits(out, micros, 6);
  *out++ = 'Z';
  return std::string_view(buffer.data(), static_cast<std::size_t>(out - buffer.data()));
}

std::string_view DateTimeFormatter::format(Instant instant) {
  constexpr std::int64_t kSecond = 1000000;
  std::int64_t second = instant.micros / kSecond;
  std::int64_t micros = instant.micros % kSecond;
  if (micros < 0) {
    micros += kSecond;
    --second;
  }
  // "YYYY-MM-DDTHH:MM:SS." is 20 characters, the time of day starts at 11; other years are
  // formatted whole every time.
  constexpr std::size_t kFraction = 20;
  constexpr std::size_t kTimeOfDay = 11;
  constexpr std::int64_t kDaySeconds = 86400;
  auto day_of = [](std::int64_t seconds) {
    return seconds >= 0 ? seconds / kDaySeconds : -((-seconds - 1) / kDaySeconds) - 1;
  };
  char* out = buffer_.data() + kFraction;
  if (!reusable_ || day_of(second) != day_of(second_)) {
    std::string_view text = format_date_time(instant, buffer_);
    second_ = second;
    reusable_ = text.size() > kFraction && text[kFraction - 1] == '.' && text[4] == '-';
    return text;
  }
  if (second != second_) {
    std::int64_t of_day = second - day_of(second) * kDaySeconds;
    out = buffer_.data() + kTimeOfDay;
    out = put_digits(out, of_day / 3600, 2);
    *out++ = ':';
    out = put_digits(out, of_day / 60 % 60, 2);
    *out++ = ':';
    out = put_digits(out, of_day % 60, 2);
    *out++ = '.';
    second_ = second;
  }
  out = micros % 1000 == 0 ? put_digits(out, micros / 1000, 3) : put_digits(out, micros, 6);
  *out++ = 'Z';
  return std::string_view(buffer_.data(), static_cast<std::size_t>(out - buffer_.data()));
}

std::string format_date_time(Instant instant) {
  DateTimeBuffer buffer;
  return std::string(format_date_time(instant, buffer));
}

}  // namespace citytwin
