#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "citytwin/common/result.hpp"

namespace citytwin::series {

// XOR encoding of doubles (after Gorilla, Pelkonen et al., VLDB 2015). The first value is
// stored raw; each later one as the XOR with its predecessor:
//
//   0                                   same bits as the previous value
//   10 + meaningful bits                XOR fits the previous window of leading/trailing zeros
//   11 + 5 bits leading zeros (max 31)
//      + 6 bits meaningful length (0 means 64) + meaningful bits
//
// Works on the IEEE-754 bit patterns, so every double round-trips bit for bit: NaN
// payloads, -0.0, infinities and subnormals included.
std::string encode_doubles(std::span<const double> values);

Result<std::vector<double>> decode_doubles(std::string_view bytes, std::size_t count);

}  // namespace citytwin::series
