#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "citytwin/common/result.hpp"

namespace citytwin::series {

// Delta-of-delta encoding of microsecond timestamps (after Gorilla, Pelkonen et al., VLDB
// 2015), with buckets widened for microseconds. A first byte gives the scale: 2 when every
// timestamp is a whole second, 1 when a whole millisecond, 0 otherwise; the values are
// divided by 1000^scale before encoding. The first value is then stored raw (64 bits);
// each later one as the change of the delta to its predecessor, zigzag-mapped, in the
// smallest bucket that holds it:
//
//   0                 delta unchanged (a perfectly regular series costs 1 bit per sample)
//   10    + 7 bits    |dod| < 64 units (µs, ms or s after scaling)
//   110   + 14 bits   |dod| < 8192 units
//   1110  + 21 bits   |dod| < 2^20 units
//   11110 + 32 bits   |dod| < 2^31 units
//   11111 + 64 bits   anything else
//
// Deltas are computed with wrapping 64-bit arithmetic, so any order (out-of-order samples,
// negative deltas) and any values (INT64_MIN next to INT64_MAX) round-trip exactly.
std::string encode_timestamps(std::span<const std::int64_t> times);

// Decodes exactly `count` timestamps; a truncated or padded-with-garbage stream is an Error.
Result<std::vector<std::int64_t>> decode_timestamps(std::string_view bytes, std::size_t count);
// The same into `out` (resized to `count`; its contents are unspecified after an Error), so
// a reader of many chunks reuses one buffer. `ascending`, when given, is set true only when
// the timestamps never decrease, learnt from the deltas while decoding (false may also mean
// that it could not tell: wrapping deltas), so that readers need not check them again.
Status decode_timestamps(std::string_view bytes, std::size_t count, std::vector<std::int64_t>& out,
                         bool* ascending = nullptr);

}  // namespace citytwin::series
