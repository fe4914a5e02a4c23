#include "chunk_pieces.hpp"

#include <algorithm>

namespace citytwin::store::kv {
namespace {

constexpr std::int64_t kDayMicros = 86'400'000'000;

// floor(micros / day): the UTC day's number, also for instants before 1970.
std::int64_t day_of(std::int64_t micros) {
  return micros / kDayMicros - (micros % kDayMicros < 0 ? 1 : 0);
}

// [begin, end) in pieces of near-equal size, at most chunk_samples each.
void cut_evenly(std::size_t begin, std::size_t end, std::size_t chunk_samples,
                std::vector<std::size_t>& ends) {
  const std::size_t count = end - begin;
  const std::size_t pieces = (count + chunk_samples - 1) / chunk_samples;
  for (std::size_t p = 1; p <= pieces; ++p) ends.push_back(begin + count * p / pieces);
}

bool days_ascend(std::span<const std::optional<std::int64_t>> observed) {
  for (std::size_t i = 0; i < observed.size(); ++i) {
    if (!observed[i] || (i > 0 && *observed[i] < *observed[i - 1])) return false;
  }
  return true;
}

}  // namespace

std::vector<std::size_t> chunk_piece_ends(std::span<const std::optional<std::int64_t>> observed,
                                          std::size_t chunk_samples) {
  chunk_samples = std::max<std::size_t>(chunk_samples, 1);
  std::vector<std::size_t> ends;
  if (observed.empty()) return ends;
  if (!days_ascend(observed)) {
    cut_evenly(0, observed.size(), chunk_samples, ends);
    return ends;
  }
  std::size_t piece = 0;  // where the piece being filled with whole days begins
  std::size_t day = 0;
  while (day < observed.size()) {
    const std::int64_t number = day_of(*observed[day]);
    std::size_t next = day + 1;
    while (next < observed.size() && day_of(*observed[next]) == number) ++next;
    if (next - piece > chunk_samples) {
      // The day does not fit with the days before it: they end their piece, and a day too
      // large for any piece is cut evenly.
      if (day > piece) ends.push_back(day);
      piece = day;
      if (next - day > chunk_samples) {
        cut_evenly(day, next, chunk_samples, ends);
        piece = next;
      }
    }
    day = next;
  }
  if (piece < observed.size()) ends.push_back(observed.size());
  return ends;
}

}  // namespace citytwin::store::kv
