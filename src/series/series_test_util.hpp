#pragma once

#include <bit>
#include <cstdint>
#include <ostream>
#include <vector>

#include "citytwin/series/sample.hpp"

namespace citytwin::series {

// Samples are equal when every stored field is, numbers compared bit for bit (so NaN
// payloads and -0.0 must survive, and NaN equals itself).
inline bool same_sample(const Sample& a, const Sample& b) {
  return a.time == b.time && a.time2 == b.time2 && a.kind == b.kind &&
         std::bit_cast<std::uint64_t>(a.number) == std::bit_cast<std::uint64_t>(b.number) &&
         a.boolean == b.boolean && a.text == b.text;
}

inline bool same_samples(const std::vector<Sample>& a, const std::vector<Sample>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!same_sample(a[i], b[i])) return false;
  }
  return true;
}

}  // namespace citytwin::series
