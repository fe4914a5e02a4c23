#include "citytwin/series/period_duration.hpp"

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

}  // namespace citytwin::series
