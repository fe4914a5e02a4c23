#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "citytwin/common/date_time_buffer.hpp"

namespace citytwin::core {

// The texts of aggregation period bounds ("2026-01-01T01:00:00Z"), each formatted once: an
// entity's hourly periods over a week share 169 bounds, and the entities a query thread
// aggregates one after another share them all when their periods are laid alike (a
// `between` query). Formatting every bound of every entity again was 3 % of an hourly
// aggregation's CPU. Bound `index` is remembered with its instant: another instant there is
// formatted anew, never mistaken for it.
class PeriodBoundTexts {
 public:
  // Before the bounds of `periods` periods (periods + 1 bounds) are asked for.
  void begin(std::size_t periods);
  std::string_view text(std::size_t bound, std::int64_t micros);

 private:
  struct Span {
    std::int64_t micros = 0;
    std::uint32_t begin = 0;
    std::uint32_t size = 0;  // 0: not formatted yet
  };

  std::vector<Span> spans_;
  std::string texts_;
  DateTimeFormatter formatter_;  // successive bounds mostly share their day
};

}  // namespace citytwin::core
