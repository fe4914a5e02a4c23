#pragma once

#include <string_view>

#include <boost/json/parse_options.hpp>
#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>
#include <boost/system/error_code.hpp>

namespace citytwin {

// boost::json::parse with correctly rounded numbers. Boost.JSON 1.81 computes a decimal
// number's double from a 19-digit mantissa and a power of ten, which is off by one unit in the
// last place for some inputs (4.9999999999999995e39, found by the KPI import fuzz target).
// A value then changes every time it is stored and read back. This parser keeps Boost.JSON's
// grammar, limits and errors but takes each non-integer number from its text with
// std::from_chars, which rounds correctly; what Boost.JSON writes reads back bit for bit.
// On error `ec` is set and the result is null.
boost::json::value parse_json(std::string_view text, boost::system::error_code& ec,
                              boost::json::storage_ptr storage = {},
                              const boost::json::parse_options& options = {});

}  // namespace citytwin
