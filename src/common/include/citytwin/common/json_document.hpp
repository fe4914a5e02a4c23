#pragma once

#include <string_view>

#include <boost/json.hpp>

#include "citytwin/common/result.hpp"

namespace citytwin {

// Whether `value` holds a number Boost.JSON parsed as +-infinity (an exponent beyond a
// 64-bit double's range, such as 1e999): such numbers cannot be stored or written back as
// JSON, so a value carrying one must be refused rather than kept as null.
bool has_non_finite_number(const boost::json::value& value);

// JSON text received from outside (a request body, a device payload, a webhook) parsed into
// a value. Invalid JSON is kInvalidRequest; a number beyond a double's range is
// kBadRequestData. `what` names the text in the error ("the request body"). `storage`: where
// the value's memory comes from (the default resource when empty).
Result<boost::json::value> parse_json_document(std::string_view text, std::string_view what,
                                               const boost::json::parse_options& options = {},
                                               boost::json::storage_ptr storage = {});

}  // namespace citytwin
