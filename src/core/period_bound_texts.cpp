#include "period_bound_texts.hpp"

#include "citytwin/common/instant.hpp"

namespace citytwin::core {

namespace {
// A bound's text is at most "-292277-01-09T04:00:54.775807Z": room to spare per bound
// before texts of other instants (periods laid otherwise) are dropped rather than kept.
constexpr std::size_t kTextBytesPerBound = 64;
}  // namespace

void PeriodBoundTexts::begin(std::size_t periods) {
  const std::size_t bounds = periods + 1;
  if (texts_.size() > bounds * kTextBytesPerBound) {
    spans_.clear();
    texts_.clear();
  }
  if (spans_.size() < bounds) spans_.resize(bounds);
  texts_.reserve(bounds * sizeof "2026-01-01T00:00:00.000Z");
}

std::string_view PeriodBoundTexts::text(std::size_t bound, std::int64_t micros) {
  if (bound >= spans_.size()) spans_.resize(bound + 1);
  Span& span = spans_[bound];
  if (span.size == 0 || span.micros != micros) {
    std::string_view formatted = formatter_.format(Instant{micros});
    span = {micros, static_cast<std::uint32_t>(texts_.size()),
            static_cast<std::uint32_t>(formatted.size())};
    texts_.append(formatted);
  }
  return std::string_view(texts_).substr(span.begin, span.size);
}

}  // namespace citytwin::core
