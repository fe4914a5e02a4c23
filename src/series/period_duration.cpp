#include "citytwin/series/period_duration.hpp"

#include <algorithm>
#include <chrono>
#include <string>

namespace citytwin::series {
namespace {

constexpr std::int64_t kSecond = 1'000'000;
constexpr std::int64_t kDay = 86'400 * kSecond;

Error bad_duration(std::string_view text, const std::string& why) {
  return make_error(ErrorKind::kBadRequestData,
                    "invalid aggrPeriodDuration '" + std::string(text) + "': " + why);
}

// The elements in the only order ISO 8601 allows; 'M' means months before 'T' and minutes
// after it, so the designator alone does not identify an element.
enum Element { kYears, kMonths, kWeeks, kDays, kHours, kMinutes, kSeconds, kNone };

Element element_of(char designator, bool in_time) {
  if (!in_time) {
    switch (designator) {
      case 'Y':
        return kYears;
      case 'M':
        return kMonths;
      case 'W':
        return kWeeks;
      case 'D':
        return kDays;
      default:
        return kNone;
    }
  }
  switch (designator) {
    case 'H':
      return kHours;
    case 'M':
      return kMinutes;
    case 'S':
      return kSeconds;
    default:
      return kNone;
  }
}

// Multiplier of each element: months for years and months, microseconds for the rest.
constexpr std::int64_t kScale[] = {12, 1, 7 * kDay, kDay, 3600 * kSecond, 60 * kSecond, kSecond};

bool add_scaled(std::int64_t& total, std::int64_t value, std::int64_t scale) {
  std::int64_t scaled = 0;
  return !__builtin_mul_overflow(value, scale, &scaled) &&
         !__builtin_add_overflow(total, scaled, &total);
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Result<PeriodDuration> run() {
    if (text_.empty() || text_[0] != 'P') return fail("must start with 'P'");
    pos_ = 1;
    if (pos_ == text_.size()) return fail("no elements");
    while (pos_ < text_.size()) {
      if (text_[pos_] == 'T') {
        if (in_time_) return fail("second 'T'");
        in_time_ = true;
        ++pos_;
        if (pos_ == text_.size()) return fail("'T' without a time element");
        continue;
      }
      CT_RETURN_IF_ERROR(element());
    }
    if (saw_week_ && elements_ > 1) return fail("weeks cannot be combined with other elements");
    return result_;
  }

 private:
  Error fail(const std::string& why) const { return bad_duration(text_, why); }

  Status element() {
    std::int64_t value = 0;
    std::size_t digits = 0;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      if (__builtin_mul_overflow(value, 10, &value) ||
          __builtin_add_overflow(value, text_[pos_] - '0', &value)) {
        return fail("number too large");
      }
      ++digits;
      ++pos_;
    }
    if (digits == 0) return fail("expected a number at position " + std::to_string(pos_));
    std::int64_t fraction = 0;
    bool has_fraction = false;
    if (pos_ < text_.size() && (text_[pos_] == '.' || text_[pos_] == ',')) {
      has_fraction = true;
      CT_RETURN_IF_ERROR(read_fraction(fraction));
    }
    if (pos_ == text_.size()) return fail("number without a designator");
    Element element = element_of(text_[pos_], in_time_);
    if (element == kNone) return fail(std::string("unexpected '") + text_[pos_] + "'");
    ++pos_;
    if (static_cast<int>(element) <= last_) return fail("elements out of order or repeated");
    if (has_fraction && element != kSeconds) return fail("only seconds may have a fraction");
    last_ = element;
    ++elements_;
    saw_week_ = saw_week_ || element == kWeeks;
    bool calendar = element == kYears || element == kMonths;
    std::int64_t& total = calendar ? result_.months : result_.micros;
    if (!add_scaled(total, value, kScale[element]) ||
        __builtin_add_overflow(total, fraction, &total)) {
      return fail("duration too large");
    }
    return ok_status();
  }

  // Fractional seconds: up to 6 digits (microsecond precision).
  Status read_fraction(std::int64_t& micros) {
    ++pos_;
    int digits = 0;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      if (++digits > 6) return fail("more than 6 fraction digits");
      micros = micros * 10 + (text_[pos_] - '0');
      ++pos_;
    }
    if (digits == 0) return fail("empty fraction");
    for (int i = digits; i < 6; ++i) micros *= 10;
    return ok_status();
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  bool in_time_ = false;
  bool saw_week_ = false;
  int last_ = -1;
  int elements_ = 0;
  PeriodDuration result_;
};

}  // namespace

Result<PeriodDuration> parse_period_duration(std::string_view text) {
  return Parser(text).run();
}

namespace {

// Calendar arithmetic stays inside what std::chrono::year represents (±32767).
constexpr std::int64_t kMaxCalendarMonths = 30'000 * 12;

std::int64_t floor_div_micros(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

}  // namespace

// `time` moved by `months` calendar months (UTC), the day clamped to the target month.
// Returns false when the date leaves the supported years.
bool add_calendar_months(std::int64_t time, std::int64_t months, std::int64_t& out) {
  using namespace std::chrono;
  std::int64_t days = floor_div_micros(time, kDay);
  if (days < -kMaxCalendarMonths * 31 || days > kMaxCalendarMonths * 31) return false;
  std::int64_t time_of_day = time - days * kDay;  // no overflow once days is in range
  year_month_day date{sys_days{std::chrono::days{days}}};
  std::int64_t total = static_cast<std::int64_t>(static_cast<int>(date.year())) * 12 +
                       static_cast<unsigned>(date.month()) - 1 + months;
  if (total < -kMaxCalendarMonths || total > kMaxCalendarMonths) return false;
  std::int64_t year_number = floor_div_micros(total, 12);
  auto month_number = static_cast<unsigned>(total - year_number * 12 + 1);
  std::chrono::year target_year{static_cast<int>(year_number)};
  std::chrono::month target_month{month_number};
  std::chrono::day last = year_month_day_last{target_year, month_day_last{target_month}}.day();
  std::chrono::day day = std::min(date.day(), last);
  std::int64_t target_days =
      sys_days{year_month_day{target_year, target_month, day}}.time_since_epoch().count();
  out = target_days * kDay + time_of_day;
  return true;
}

std::optional<std::int64_t> before_by(std::int64_t time, const PeriodDuration& period) {
  std::int64_t moved = 0;
  if (!add_calendar_months(time, -period.months, moved)) return std::nullopt;
  if (__builtin_sub_overflow(moved, period.micros, &moved)) return std::nullopt;
  return moved;
}

}  // namespace citytwin::series
